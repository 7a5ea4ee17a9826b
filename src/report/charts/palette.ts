/**
 * Colours and line styles that stay distinguishable for colour-blind readers and in greyscale
 * print: the Okabe–Ito qualitative palette (plus three of Paul Tol's darker colours when a study
 * has many methods), dash patterns and marker shapes as a second channel, and viridis for
 * heat maps.
 */
import { nth } from '../../core/checked.js';

/** Black is reserved for the unpruned baseline so it stands out in every chart. */
export const BASELINE_COLOUR = '#000000';

/** Qualitative colours in order of use (Okabe–Ito without yellow, then Tol's wine/olive/indigo). */
export const QUALITATIVE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#882255',
  '#999933',
  '#332288',
];

/** Dash patterns for the 1st, 2nd... sparsity of a method ('' is solid). */
export const DASHES = ['', '7 4', '2 3', '9 3 2 3', '4 2'];

/** Marker shapes, the same order as DASHES. */
export const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'cross'] as const;
export type Marker = (typeof MARKERS)[number];

/** How one series is drawn. */
export interface SeriesStyle {
  colour: string;
  dash: string;
  marker: Marker;
}

/**
 * Styles for variants: one colour per method (in order of first appearance, baseline black) and
 * one dash/marker per sparsity level within the method, so a method's variants read as a family.
 */
export function styleVariants(
  variants: readonly { id: string; method: string; target: number }[],
): Map<string, SeriesStyle> {
  const methods: string[] = [];
  for (const v of variants) if (v.method !== 'none' && !methods.includes(v.method)) methods.push(v.method);
  const out = new Map<string, SeriesStyle>();
  for (const v of variants) {
    const siblings = [...new Set(variants.filter((w) => w.method === v.method).map((w) => w.target))].sort(
      (a, b) => a - b,
    );
    const k = siblings.indexOf(v.target);
    const mi = methods.indexOf(v.method);
    const colour = v.method === 'none' ? BASELINE_COLOUR : nth(QUALITATIVE, mi % QUALITATIVE.length);
    // Past the palette, cycle the dash offset too so no two variants look identical.
    const cycle = mi < 0 ? 0 : Math.floor(mi / QUALITATIVE.length);
    out.set(v.id, {
      colour,
      dash: nth(DASHES, (k + cycle) % DASHES.length),
      marker: MARKERS[(k + cycle) % MARKERS.length]!,
    });
  }
  return out;
}

const VIRIDIS = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
] as const;

/** Viridis colour at t in [0, 1] (clamped), linearly interpolated between ten stops. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  const c = [0, 1, 2].map((j) => Math.round(a[j]! + (b[j]! - a[j]!) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). */
export function textOn(hex: string): string {
  const ch = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = ch.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const lum = 0.2126 * nth(lin, 0) + 0.7152 * nth(lin, 1) + 0.0722 * nth(lin, 2);
  return lum > 0.18 ? '#000000' : '#ffffff';
}
