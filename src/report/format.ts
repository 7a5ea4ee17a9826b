/**
 * How numbers read in the report. Every displayed number goes through one of these functions, so
 * the test that checks "each number shown is in the CSV" can re-format the CSV value and compare
 * text exactly. No locale-dependent formatting: output must not change between machines.
 */
import { tenTo } from './charts/scale.js';

/** Integer with thousands separators: 11173962 → '11,173,962'. */
export function fmtInt(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A fraction as a percentage: 0.8812 → '88.1%'. */
export function fmtPct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** A difference of fractions in percentage points, signed: -0.017 → '−1.7 pt'. */
export function fmtPoints(x: number, digits = 1): string {
  // The sign is the value's own, so a small loss never prints as '+0.0'.
  const v = Math.abs(x * 100).toFixed(digits);
  return `${x < 0 ? '−' : x > 0 ? '+' : '±'}${v} pt`;
}

/** A count with an SI prefix: 556651520 → '556.7 M'. */
export function fmtSI(n: number, unit = ''): string {
  const abs = Math.abs(n);
  const [d, p] = abs >= 1e9 ? [1e9, 'G'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'k'] : [1, ''];
  const v = n / d;
  return `${d === 1 ? String(Math.round(v)) : v.toFixed(abs / d >= 100 ? 0 : 1)} ${p}${unit}`.trim();
}

/**
 * Two significant digits, in scientific form as papers write it outside 0.01–9999:
 * 1.27e-7 → '1.3×10⁻⁷', 9.96e-7 → '1.0×10⁻⁶', 0.0456 → '0.046'.
 */
export function fmtSci(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const [m, e] = x.toExponential(1).split('e') as [string, string];
  const exp = Number(e);
  if (exp >= -2 && exp <= 3) return String(Number(x.toPrecision(2)));
  return `${m}×${tenTo(exp)}`;
}

/** A ratio: '6.2×', '0.45×', '12×'. */
export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  const s = a >= 10 ? x.toFixed(0) : a >= 1 ? x.toFixed(1) : x.toPrecision(2);
  return `${s}×`;
}

/** A p-value: three decimals, or '< 0.001'. */
export function fmtP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** An interval written after an estimate: '[84.2, 90.1]' with the same formatter for both ends. */
export function fmtInterval(lo: string, hi: string): string {
  return `[${lo}, ${hi}]`;
}

/** Durations for provenance: 8120 s → '2 h 15 min 20 s'. */
export function fmtDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : '', r ? `${r} s` : ''].filter(Boolean).join(' ');
}
