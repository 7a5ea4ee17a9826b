/**
 * The interval for the mean of a bounded outcome (an accuracy in [0, 1]) from a few independent
 * trials, as BER campaigns measure it. Student's t is kept where the sample shows its spread, but a
 * sample of identical values gives t a zero-width interval, which says the mean is known exactly:
 * 20 BER trials that all missed every harmful bit cannot tell a rate whose trials never hit one from
 * one whose trials hit one 1 time in 10. That case needs a bound on how often a trial differs.
 */
import { checkConfidence, checkNumber, checkSample } from './args.js';
import { tInterval } from './bootstrap.js';
import type { Interval } from './interval.js';
import { clopperPearsonInterval } from './proportion.js';

/**
 * An interval for the mean of an outcome bounded to [lo, hi] (default [0, 1]) from independent
 * trials `values` (n ≥ 2):
 * - when the values differ, Student's t interval truncated to [lo, hi] (the mean lies there, so
 *   truncation keeps its coverage);
 * - when all n equal x₀, a trial differs from x₀ with some probability q, and the mean is
 *   (1 − q)·x₀ + q·E[X | X ≠ x₀], with the last term anywhere in [lo, hi]. With 0 of n trials
 *   differing, Clopper–Pearson bounds q ≤ q_u = 1 − (α/2)^(1/n) (the two-sided form of the rule of
 *   three, q_u ≈ 3/n one-sided: Hanley & Lippman-Hand 1983, JAMA 249:1743), and the mean is
 *   monotone in q, so [x₀ − q_u(x₀ − lo), x₀ + q_u(hi − x₀)] covers it with at least that
 *   confidence. It is wide because n identical trials really say that little about rare events.
 */
export function boundedMeanInterval(
  values: ArrayLike<number>,
  confidence = 0.95,
  bounds: { lo: number; hi: number } = { lo: 0, hi: 1 },
): Interval {
  const fn = 'boundedMeanInterval';
  const xs = checkSample(fn, 'values', values, 2);
  checkConfidence(fn, confidence);
  const lo = checkNumber(fn, 'bounds.lo', bounds.lo);
  const hi = checkNumber(fn, 'bounds.hi', bounds.hi);
  if (!(lo < hi)) throw new RangeError(`${fn}: bounds.lo (${lo}) must be below bounds.hi (${hi})`);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    if (x < lo || x > hi)
      throw new RangeError(`${fn}: values[${i}] = ${x} lies outside the bounds [${lo}, ${hi}]`);
  }
  const t = tInterval(xs, confidence);
  if (t.upper > t.lower)
    return { ...t, lower: Math.max(lo, t.lower), upper: Math.min(hi, t.upper), method: 't, truncated' };
  const x0 = t.estimate;
  const q = clopperPearsonInterval(0, xs.length, confidence).upper;
  return {
    estimate: x0,
    lower: x0 - q * (x0 - lo),
    upper: x0 + q * (hi - x0),
    confidence,
    method: 'identical trials: clopper-pearson on a differing trial',
  };
}
