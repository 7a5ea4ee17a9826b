/**
 * Linear and logarithmic scales with "nice" ticks (steps of 1, 2 or 5 times a power of ten;
 * decades on log axes). A scale maps data values to pixels and owns its tick labels, so every
 * chart type gets the same axes.
 */

/** One axis tick; minor ticks have no label. */
export interface Tick {
  value: number;
  label: string;
  major: boolean;
}

/** A data → pixel mapping. */
export interface Scale {
  readonly kind: 'linear' | 'log';
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  map(v: number): number;
  ticks(): Tick[];
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/** `10ᵉ` with a superscript exponent. */
export function tenTo(exponent: number): string {
  return `10${[...String(exponent)].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}

/** m·10^e as an exact double (parsed, so 1e-5 is 1e-5 and not 10 ** -5 = 9.999…e-6). */
function decimal(mantissa: number, exponent: number): number {
  return Number(`${mantissa}e${exponent}`);
}

/** `m × 10^e` written as `m×10ᵉ` (or `10ᵉ` when m is 1), the way papers label log axes. */
export function powerLabel(mantissa: number, exponent: number): string {
  if (exponent >= -2 && exponent <= 3) return String(decimal(mantissa, exponent));
  return mantissa === 1 ? tenTo(exponent) : `${mantissa}×${tenTo(exponent)}`;
}

/** The 1-2-5 step that gives about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** Options shared by both scale kinds. */
export interface ScaleOptions {
  /** Widen the domain to the nearest ticks (default true). */
  nice?: boolean;
  /** Approximate number of labelled ticks on a linear axis (default 5). */
  tickCount?: number;
  /** Tick label text (default: plain numbers, or powers of ten on log axes). */
  format?: (v: number) => string;
}

/**
 * A linear scale. A degenerate domain (min = max) is widened by one unit each side so a flat
 * series still draws in the middle of the plot.
 */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
  opts: ScaleOptions = {},
): Scale {
  let [lo, hi] = domain;
  if (!(Number.isFinite(lo) && Number.isFinite(hi)))
    throw new RangeError(`linearScale: domain must be finite, got [${lo}, ${hi}]`);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const count = opts.tickCount ?? 5;
  const step = niceStep(hi - lo, count);
  if (opts.nice !== false) {
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
  }
  const d = decimalsOf(step);
  const format = opts.format ?? ((v: number) => v.toFixed(d));
  const [r0, r1] = range;
  const map = (v: number): number => r0 + ((v - lo) / (hi - lo)) * (r1 - r0);
  return {
    kind: 'linear',
    domain: [lo, hi],
    range,
    map,
    ticks() {
      const out: Tick[] = [];
      const first = Math.ceil(lo / step - 1e-9);
      const last = Math.floor(hi / step + 1e-9);
      for (let i = first; i <= last; i++) {
        const v = Number((i * step).toFixed(12));
        out.push({ value: v, label: format(v), major: true });
      }
      return out;
    },
  };
}

/**
 * A base-10 logarithmic scale. Decades are labelled; when the domain spans fewer than three
 * decades the 2 and 5 multiples are labelled too, and under one decade every multiple, so the
 * axis never shows a single label.
 */
export function logScale(
  domain: readonly [number, number],
  range: readonly [number, number],
  opts: ScaleOptions = {},
): Scale {
  let [lo, hi] = domain;
  if (!(lo > 0 && hi > 0 && Number.isFinite(lo) && Number.isFinite(hi))) {
    throw new RangeError(`logScale: domain must be finite and positive, got [${lo}, ${hi}]`);
  }
  if (lo === hi) {
    lo /= 10;
    hi *= 10;
  }
  if (opts.nice !== false) {
    lo = decimal(1, Math.floor(Math.log10(lo) + 1e-9));
    hi = decimal(1, Math.ceil(Math.log10(hi) - 1e-9));
  }
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi);
  const [r0, r1] = range;
  const map = (v: number): number => r0 + ((Math.log10(v) - l0) / (l1 - l0)) * (r1 - r0);
  const dense = l1 - l0 < 3;
  const veryDense = l1 - l0 < 1;
  return {
    kind: 'log',
    domain: [lo, hi],
    range,
    map,
    ticks() {
      const out: Tick[] = [];
      for (let e = Math.floor(l0 + 1e-9); e <= Math.ceil(l1 - 1e-9); e++) {
        for (let m = 1; m <= 9; m++) {
          const v = decimal(m, e);
          const lv = Math.log10(v);
          if (lv < l0 - 1e-9 || lv > l1 + 1e-9) continue;
          const labelled = m === 1 || veryDense || (dense && (m === 2 || m === 5));
          out.push({
            value: v,
            label: labelled ? (opts.format?.(v) ?? powerLabel(m, e)) : '',
            major: m === 1,
          });
        }
      }
      return out;
    },
  };
}
