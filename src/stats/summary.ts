/**
 * Descriptive statistics and the curve summaries the report prints: mean, standard deviation,
 * quantiles, the area under an accuracy-vs-BER curve on a log axis, and the BER at which accuracy
 * first drops by a given amount.
 */
import { checkNumber, checkPositive, checkSample } from './args.js';

/**
 * Neumaier's compensated sum (Neumaier 1974, ZAMM 54:39–51): exact to about one rounding for
 * any n, so a mean over 1e6 accuracies does not drift with the order of the experiments.
 */
export function sum(xs: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
}

/** The arithmetic mean of a non-empty sample. */
export function mean(xs: ArrayLike<number>): number {
  checkSample('mean', 'xs', xs, 1);
  return sum(xs) / xs.length;
}

/**
 * The sample variance with Bessel's correction (divisor n − 1), by the two-pass algorithm (Chan,
 * Golub & LeVeque 1983, The American Statistician 37:242–247), which avoids the cancellation of
 * Σx² − n·mean². Needs n ≥ 2.
 */
export function variance(xs: ArrayLike<number>): number {
  checkSample('variance', 'xs', xs, 2);
  const m = sum(xs) / xs.length;
  let ss = 0;
  let comp = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i]! - m;
    ss += d * d;
    comp += d;
  }
  // The second term corrects the rounding error left in m (Chan, Golub & LeVeque, eq. 1.7).
  return (ss - (comp * comp) / xs.length) / (xs.length - 1);
}

/** The sample standard deviation √variance (divisor n − 1); needs n ≥ 2. */
export function sd(xs: ArrayLike<number>): number {
  checkSample('sd', 'xs', xs, 2);
  return Math.sqrt(Math.max(0, variance(xs)));
}

/**
 * Linear interpolation between two order statistics as numpy does it (`_lerp`: from the nearer
 * end, so that t = 1 returns b exactly). An infinite end wins, which is what a censored
 * bootstrap replicate (a threshold beyond the tested range) must do.
 */
function lerp(a: number, b: number, t: number): number {
  if (t === 0 || a === b) return a;
  if (!Number.isFinite(a)) return a;
  if (!Number.isFinite(b)) return b;
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** Type-7 quantile of an already sorted array (no checks): the internal workhorse. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const j = Math.floor(h);
  if (j >= sorted.length - 1) return sorted[sorted.length - 1]!;
  return lerp(sorted[j]!, sorted[j + 1]!, h - j);
}

/**
 * The q-quantile by Hyndman & Fan's definition 7 (1996, The American Statistician 50:361–365):
 * linear interpolation at position (n − 1)q of the sorted sample. It is the default of numpy,
 * R and Excel, so figures from other tools agree. ±Infinity values are allowed (censored
 * bootstrap replicates); NaN is not.
 */
export function quantile(xs: ArrayLike<number>, q: number): number {
  const fn = 'quantile';
  if (!(Array.isArray(xs) || ArrayBuffer.isView(xs)))
    throw new TypeError(`${fn}: xs must be an array of numbers, got ${typeof xs}`);
  if (xs.length === 0) throw new RangeError(`${fn}: xs needs at least 1 value, got 0`);
  checkNumber(fn, 'q', q);
  if (!(q >= 0 && q <= 1))
    throw new RangeError(`${fn}: q must be in [0, 1], got ${q}; pass 0.5 for the median`);
  const sorted = Float64Array.from(xs);
  for (let i = 0; i < sorted.length; i++) {
    if (Number.isNaN(sorted[i]!)) throw new RangeError(`${fn}: xs[${i}] is NaN`);
  }
  sorted.sort();
  return quantileSorted(sorted, q);
}

function checkCurve(fn: string, x: unknown, y: unknown): [ArrayLike<number>, ArrayLike<number>] {
  const xs = checkSample(fn, 'x', x, 2);
  const ys = checkSample(fn, 'y', y, 2);
  if (xs.length !== ys.length)
    throw new RangeError(`${fn}: x and y must have the same length, got ${xs.length} and ${ys.length}`);
  for (let i = 0; i < xs.length; i++) {
    if (!(xs[i]! > 0)) throw new RangeError(`${fn}: x[${i}] must be > 0 for a log axis, got ${xs[i]}`);
    if (i > 0 && !(xs[i]! > xs[i - 1]!))
      throw new RangeError(
        `${fn}: x must be strictly increasing, got x[${i - 1}] = ${xs[i - 1]} and x[${i}] = ${xs[i]}; sort the points by x`,
      );
  }
  return [xs, ys];
}

/**
 * The area under y(x) with x on a log₁₀ axis, by the trapezoid rule: Σ (log₁₀xᵢ₊₁ − log₁₀xᵢ)·
 * (yᵢ + yᵢ₊₁)/2, in units of y × decades. With `normalize` it is divided by the decades spanned,
 * giving the average y over the range (comparable between sweeps of different ranges). A
 * fault-tolerance summary that weights each decade of bit error rate equally.
 */
export function aucLogX(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: { normalize?: boolean } = {},
): number {
  const [xs, ys] = checkCurve('aucLogX', x, y);
  let area = 0;
  for (let i = 1; i < xs.length; i++) {
    area += (Math.log10(xs[i]!) - Math.log10(xs[i - 1]!)) * 0.5 * (ys[i]! + ys[i - 1]!);
  }
  if (!options.normalize) return area;
  return area / (Math.log10(xs[xs.length - 1]!) - Math.log10(xs[0]!));
}

/** Where a curve crosses a level, with the side of the tested range it falls on when it does not. */
export interface Crossing {
  /** The crossing x; 0 when already below at the first x, Infinity when never below. */
  x: number;
  /** 'none': interpolated inside the range; 'below': at or before x[0]; 'above': beyond x[last]. */
  censored: 'none' | 'below' | 'above';
}

/**
 * The x at which y first drops below `reference − drop` (e.g. the BER at which accuracy has lost
 * 5 points), by linear interpolation of y against log x between the last point at or above the
 * level and the first point below it. If y[0] is already below, the crossing is somewhere at or
 * before x[0] (x = 0, censored 'below'); if y never drops below, it is beyond the range
 * (x = Infinity, censored 'above'). Those two values order correctly in bootstrap quantiles.
 */
export function thresholdCrossing(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  reference: number,
  drop: number,
): Crossing {
  const fn = 'thresholdCrossing';
  const [xs, ys] = checkCurve(fn, x, y);
  checkNumber(fn, 'reference', reference);
  if (!Number.isFinite(reference)) throw new RangeError(`${fn}: reference must be finite, got ${reference}`);
  checkPositive(fn, 'drop', drop, 'pass the decrease that counts, e.g. 0.05 for 5 accuracy points');
  const level = reference - drop;
  if (ys[0]! < level) return { x: 0, censored: 'below' };
  for (let i = 1; i < xs.length; i++) {
    if (ys[i]! < level) {
      const y0 = ys[i - 1]!;
      const t = (y0 - level) / (y0 - ys[i]!);
      const l0 = Math.log(xs[i - 1]!);
      return { x: Math.exp(l0 + t * (Math.log(xs[i]!) - l0)), censored: 'none' };
    }
  }
  return { x: Number.POSITIVE_INFINITY, censored: 'above' };
}
