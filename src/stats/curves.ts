/**
 * Intervals for the tolerance summaries of an accuracy-vs-BER sweep, propagated from the trials
 * by the stratified bootstrap (each BER point's trials resampled on their own, as the campaign
 * drew them independently). `trials[i]` holds the per-trial accuracies at `x[i]`.
 */
import { type BootstrapOptions, stratifiedBootstrap } from './bootstrap.js';
import type { Interval } from './interval.js';
import { aucLogX, thresholdCrossing } from './summary.js';

function checkTrials(fn: string, x: ArrayLike<number>, trials: readonly ArrayLike<number>[]): void {
  if (!Array.isArray(trials))
    throw new TypeError(`${fn}: trials must be an array of samples, got ${typeof trials}`);
  if (trials.length !== x.length)
    throw new RangeError(
      `${fn}: trials must have one sample per x value, got ${trials.length} samples for ${x.length} x values`,
    );
}

/**
 * The area under the mean accuracy curve on a log₁₀ x axis (see `aucLogX`) with a stratified
 * bootstrap percentile interval; `normalize` divides by the decades spanned (average accuracy).
 */
export function aucInterval(
  x: ArrayLike<number>,
  trials: readonly ArrayLike<number>[],
  options: BootstrapOptions & { normalize?: boolean },
): Interval {
  checkTrials('aucInterval', x, trials);
  const normalize = options.normalize ?? false;
  aucLogX(x, new Float64Array(x.length), { normalize }); // validates x before resampling
  return {
    ...stratifiedBootstrap(trials, (m) => aucLogX(x, m, { normalize }), options),
    method: 'stratified-percentile',
  };
}

/**
 * The x at which mean accuracy first drops below `reference − drop` (see `thresholdCrossing`),
 * with a stratified bootstrap percentile interval. Bounds are 0 when resamples cross before the
 * first x ("at or below x[0]") and Infinity when they never cross ("beyond the last x"): honest
 * censored bounds that a report prints as "< x[0]" and "> x[last]".
 */
export function thresholdInterval(
  x: ArrayLike<number>,
  trials: readonly ArrayLike<number>[],
  reference: number,
  drop: number,
  options: BootstrapOptions,
): Interval {
  checkTrials('thresholdInterval', x, trials);
  thresholdCrossing(x, new Float64Array(x.length).fill(reference), reference, drop); // validates arguments
  return {
    ...stratifiedBootstrap(trials, (m) => thresholdCrossing(x, m, reference, drop).x, options),
    method: 'stratified-percentile',
  };
}
