/**
 * Confidence intervals for a binomial proportion k/n (an SDC rate: k experiments with silent data
 * corruption out of n). Wilson's score interval is the default: near-nominal coverage even for
 * rates near 0 and small n, where the textbook Wald interval collapses (Brown, Cai & DasGupta
 * 2001, "Interval estimation for a binomial proportion", Statistical Science 16:101–133).
 */
import { Registry, type RegistryEntry } from '../core/registry.js';
import { checkConfidence, checkInteger } from './args.js';
import type { Interval } from './interval.js';
import { betaIncCInv, betaIncInv, normalCritical } from './special.js';

function checkCounts(fn: string, k: unknown, n: unknown): [number, number] {
  const nn = checkInteger(fn, 'n', n, 1, Number.POSITIVE_INFINITY, 'pass the number of experiments (trials)');
  const kk = checkInteger(fn, 'k', k, 0, nn, `pass the number of events among the n = ${nn} experiments`);
  return [kk, nn];
}

/**
 * Wilson's score interval (Wilson 1927, JASA 22:209–212): the set of p whose score test does not
 * reject, (k + z²/2)/(n + z²) ± z/(n + z²) · √(k(n − k)/n + z²/4). The bounds are set to exactly
 * 0 when k = 0 and exactly 1 when k = n (the closed form gives them up to rounding).
 */
export function wilsonInterval(k: number, n: number, confidence = 0.95): Interval {
  const fn = 'wilsonInterval';
  const [kk, nn] = checkCounts(fn, k, n);
  checkConfidence(fn, confidence);
  const z = normalCritical(confidence);
  const z2 = z * z;
  const center = (kk + z2 / 2) / (nn + z2);
  const half = (z / (nn + z2)) * Math.sqrt((kk * (nn - kk)) / nn + z2 / 4);
  return {
    estimate: kk / nn,
    lower: kk === 0 ? 0 : Math.max(0, center - half),
    upper: kk === nn ? 1 : Math.min(1, center + half),
    confidence,
    method: 'wilson',
  };
}

/**
 * The Clopper–Pearson "exact" interval (Clopper & Pearson 1934, Biometrika 26:404–413): bounds
 * are the Beta(k, n − k + 1) quantile at α/2 and the Beta(k + 1, n − k) quantile at 1 − α/2, with
 * 0 for k = 0 and 1 for k = n. Coverage is at least nominal for every p (hence conservative). The
 * upper bound uses the complementary inverse so that α = 1e-12 is not lost in 1 − α/2.
 */
export function clopperPearsonInterval(k: number, n: number, confidence = 0.95): Interval {
  const fn = 'clopperPearsonInterval';
  const [kk, nn] = checkCounts(fn, k, n);
  checkConfidence(fn, confidence);
  const tail = (1 - confidence) / 2;
  return {
    estimate: kk / nn,
    lower: kk === 0 ? 0 : betaIncInv(tail, kk, nn - kk + 1),
    upper: kk === nn ? 1 : betaIncCInv(tail, kk + 1, nn - kk),
    confidence,
    method: 'clopper-pearson',
  };
}

/**
 * The Agresti–Coull interval (Agresti & Coull 1998, The American Statistician 52:119–126): the
 * Wald interval around the adjusted estimate p̃ = (k + z²/2)/ñ, ñ = n + z², i.e.
 * p̃ ± z√(p̃(1 − p̃)/ñ), clipped to [0, 1]. Slightly wider than Wilson; offered for comparison.
 */
export function agrestiCoullInterval(k: number, n: number, confidence = 0.95): Interval {
  const fn = 'agrestiCoullInterval';
  const [kk, nn] = checkCounts(fn, k, n);
  checkConfidence(fn, confidence);
  const z = normalCritical(confidence);
  const nt = nn + z * z;
  const pt = (kk + (z * z) / 2) / nt;
  const half = z * Math.sqrt((pt * (1 - pt)) / nt);
  return {
    estimate: kk / nn,
    lower: Math.max(0, pt - half),
    upper: Math.min(1, pt + half),
    confidence,
    method: 'agresti-coull',
  };
}

/** A named proportion interval, for configurations and the CLI's listings. */
export interface ProportionMethod extends RegistryEntry {
  interval(k: number, n: number, confidence: number): Interval;
}

/** The proportion interval methods by name ('wilson', 'clopper-pearson', 'agresti-coull'). */
export const proportionMethods = new Registry<ProportionMethod>('proportion interval method', [
  {
    name: 'wilson',
    description: 'score interval; near-nominal coverage for small n and rates near 0',
    reference: 'Wilson 1927, JASA 22:209-212',
    interval: wilsonInterval,
  },
  {
    name: 'clopper-pearson',
    description: 'exact (beta quantile) interval; coverage never below nominal, conservative',
    reference: 'Clopper & Pearson 1934, Biometrika 26:404-413',
    interval: clopperPearsonInterval,
  },
  {
    name: 'agresti-coull',
    description: 'Wald interval around the adjusted estimate (k + z²/2)/(n + z²)',
    reference: 'Agresti & Coull 1998, The American Statistician 52:119-126',
    interval: agrestiCoullInterval,
  },
]);

/**
 * A proportion interval by method name (campaign configurations store the name), defaulting to
 * Wilson at 95%. An unknown name is a PrunefiError('UNKNOWN_NAME') listing the valid ones.
 */
export function proportionInterval(
  k: number,
  n: number,
  options: { method?: string; confidence?: number } = {},
): Interval {
  return proportionMethods.get(options.method ?? 'wilson').interval(k, n, options.confidence ?? 0.95);
}
