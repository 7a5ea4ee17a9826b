/**
 * prunefi's statistics: confidence intervals for rates and means, sample sizes for statistical
 * fault injection, sequential stopping, paired and unpaired model comparisons, and the curve
 * summaries of the report. Pure functions; randomness only through a passed-in `Rng`.
 */
export type { BootstrapOptions, Statistic } from './bootstrap.js';
export {
  bcaInterval,
  bootstrapInterval,
  bootstrapReplicates,
  jackknifeValues,
  percentileInterval,
  stratifiedBootstrap,
  tInterval,
} from './bootstrap.js';
export { boundedMeanInterval } from './bounded-mean.js';
export type {
  McNemarResult,
  PairedComparison,
  TestResult,
  TwoProportionResult,
  WelchResult,
} from './compare.js';
export {
  holmAdjust,
  mcnemarFromOutcomes,
  mcnemarTest,
  pairedBootstrap,
  twoProportionZTest,
  welchTTest,
} from './compare.js';
export { aucInterval, thresholdInterval } from './curves.js';
export type { Interval } from './interval.js';
export { halfWidth } from './interval.js';
export type { ProportionMethod } from './proportion.js';
export {
  agrestiCoullInterval,
  clopperPearsonInterval,
  proportionInterval,
  proportionMethods,
  wilsonInterval,
} from './proportion.js';
export type { MarginOptions, SampleSizeOptions } from './samplesize.js';
export { leveugleMargin, leveugleSampleSize } from './samplesize.js';
export type { RateCount, SequentialDecision, SequentialOptions } from './sequential.js';
export { sequentialStop } from './sequential.js';
export type { Tails } from './special.js';
export {
  betaInc,
  betaIncCInv,
  betaIncInv,
  binomialCdf,
  chiSquareSf,
  gammaIncTails,
  logBeta,
  logGamma,
  normalCdf,
  normalCritical,
  normalQuantile,
  studentTCdf,
  studentTCritical,
  studentTQuantile,
} from './special.js';
export type { Crossing } from './summary.js';
export { aucLogX, mean, quantile, sd, sum, thresholdCrossing, variance } from './summary.js';
