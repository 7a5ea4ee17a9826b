/**
 * How many fault-injection experiments a campaign needs: statistical fault injection after
 * Leveugle, Calvez, Maistri & Vanhauwaert 2009 ("Statistical fault injection: quantified error and
 * confidence", DATE 2009, pp. 502–506). The population N is the number of possible faults (every
 * stored bit × every fault type, possibly × time), which for a ResNet is ~4e8 and for a multi-bit
 * or multi-cycle model is astronomically large; N = Infinity is allowed and gives the
 * infinite-population limit.
 */
import { checkConfidence, checkNumber, checkOpenUnit } from './args.js';
import { normalCritical } from './special.js';

function checkPopulation(fn: string, population: unknown): number {
  const N = checkNumber(fn, 'population', population);
  if (!(N === Number.POSITIVE_INFINITY || (Number.isInteger(N) && N >= 1)))
    throw new RangeError(
      `${fn}: population must be an integer >= 1 or Infinity, got ${N}; pass the number of possible faults`,
    );
  return N;
}

function checkP(fn: string, p: unknown): number {
  return checkOpenUnit(fn, 'p', p, 'pass the anticipated rate, or 0.5 for the worst case');
}

/** Options of the Leveugle sample-size formula. */
export interface SampleSizeOptions {
  /** N: the number of possible faults (an integer ≥ 1, or Infinity). */
  population: number;
  /** e: the largest acceptable difference between the measured and the true rate, e.g. 0.01. */
  margin: number;
  /** The confidence level; t is its two-sided normal critical value (1.96 for 0.95). */
  confidence?: number;
  /** The anticipated rate; 0.5 (the default) maximizes p(1 − p) and is always safe. */
  p?: number;
}

/**
 * Leveugle et al. 2009, eq. (1): n = N / (1 + e²(N − 1)/(t²p(1 − p))), rounded up to whole
 * experiments. Evaluated as n = n₀ / (1 + (n₀ − 1)/N) with n₀ = t²p(1 − p)/e², which is the same
 * expression divided through by N: no N − 1 against N cancellation at N = 1e12, and N = Infinity
 * gives n₀ directly. A result within 1e-9 above an integer (rounding of an exact integer) is not
 * rounded up further; the result never exceeds N.
 */
export function leveugleSampleSize(options: SampleSizeOptions): number {
  const fn = 'leveugleSampleSize';
  const N = checkPopulation(fn, options.population);
  const e = checkOpenUnit(
    fn,
    'margin',
    options.margin,
    'pass the error margin as a fraction, e.g. 0.01 for ±1%',
  );
  const t = normalCritical(checkConfidence(fn, options.confidence ?? 0.95));
  const p = checkP(fn, options.p ?? 0.5);
  const n0 = (t * t * p * (1 - p)) / (e * e);
  const n = n0 / (1 + (n0 - 1) / N);
  return Math.min(N, Math.max(1, Math.ceil(n - 1e-9)));
}

/** Options of the inverse formula: the margin that a given number of experiments achieves. */
export interface MarginOptions {
  population: number;
  /** n: experiments run (1 ≤ n ≤ N). */
  experiments: number;
  confidence?: number;
  p?: number;
}

/**
 * The error margin achieved by n experiments: eq. (1) solved for e,
 * e = t·√(p(1 − p)/n · (N − n)/(N − 1)), the normal-approximation margin with the finite
 * population correction; (N − n)/(N − 1) is formed as 1 − (n − 1)/(N − 1) so that it is exact for
 * N = 1e12 and 1 for N = Infinity. Exhaustive campaigns (n = N) have margin 0.
 */
export function leveugleMargin(options: MarginOptions): number {
  const fn = 'leveugleMargin';
  const N = checkPopulation(fn, options.population);
  const n = checkNumber(fn, 'experiments', options.experiments);
  if (!(Number.isInteger(n) && n >= 1 && n <= N))
    throw new RangeError(
      `${fn}: experiments must be an integer in [1, population = ${N}], got ${n}; pass the number of experiments run`,
    );
  const t = normalCritical(checkConfidence(fn, options.confidence ?? 0.95));
  const p = checkP(fn, options.p ?? 0.5);
  const fpc = N === Number.POSITIVE_INFINITY ? 1 : N === 1 ? 0 : 1 - (n - 1) / (N - 1);
  return t * Math.sqrt(((p * (1 - p)) / n) * fpc);
}
