/**
 * Sequential stopping for campaigns: stop once every reported rate is known to the precision
 * asked for. Looking at the data repeatedly and stopping at the first look where the intervals
 * are narrow enough inflates the chance that a reported interval misses its rate (each look is
 * another chance to stop on a lucky, too-narrow interval; Armitage, McPherson & Rowe 1969, JRSS A
 * 132:235–244). The correction used here is Bonferroni over a planned maximum number of looks
 * (alpha spending with equal shares): every look's intervals are computed at level
 * 1 − α/L (and 1 − α/(L·m) for m rates when simultaneous coverage is asked for). By the union
 * bound, the probability that any interval at any look misses is at most α, whatever data-
 * dependent rule decides when to stop, so the intervals reported at the stopping look have
 * coverage ≥ 1 − α. It is conservative (wider than needed), and simple enough to state in a report.
 */
import { checkConfidence, checkInteger, checkPositive } from './args.js';
import { halfWidth, type Interval } from './interval.js';
import { proportionInterval } from './proportion.js';

/** Events k out of n experiments, for one reported rate. */
export interface RateCount {
  k: number;
  n: number;
}

/** Options of a sequential stopping check. */
export interface SequentialOptions {
  /** The target: stop when every interval's half-width ((upper − lower)/2) is at most this. */
  halfWidth: number;
  /** Overall coverage after the correction; 0.95 by default. */
  confidence?: number;
  /** L: the most looks the campaign will take (the alpha budget is split among them). */
  maxLooks: number;
  /** Which look this is (1-based); checked against maxLooks when given. */
  look?: number;
  /** Also split alpha among the m rates, for coverage of all of them at once. */
  simultaneous?: boolean;
  /**
   * Proportion interval method: 'wilson' (default; near-nominal coverage) or 'clopper-pearson'
   * (coverage never below nominal, so the bound above is a guarantee rather than an approximation).
   */
  method?: string;
}

/** The decision and the corrected intervals behind it. */
export interface SequentialDecision {
  /** True when every rate's half-width is at most the target. */
  stop: boolean;
  /** The level each interval was computed at: 1 − α/L (or 1 − α/(L·m)). */
  perLookConfidence: number;
  intervals: Interval[];
  /** The largest half-width, and which rate has it (what the campaign should run more of). */
  widest: number;
  widestIndex: number;
}

/**
 * Whether a campaign can stop: computes each rate's interval at the Bonferroni-corrected level and
 * compares the widest half-width with the target. Rates with no experiments yet (n = 0) are
 * infinitely wide and never allow stopping.
 */
export function sequentialStop(counts: readonly RateCount[], options: SequentialOptions): SequentialDecision {
  const fn = 'sequentialStop';
  if (!Array.isArray(counts))
    throw new TypeError(`${fn}: counts must be an array of {k, n}, got ${typeof counts}`);
  if (counts.length === 0) throw new RangeError(`${fn}: counts needs at least one rate, got none`);
  const target = checkPositive(
    fn,
    'options.halfWidth',
    options.halfWidth,
    'pass the precision wanted, e.g. 0.01',
  );
  const confidence = checkConfidence(fn, options.confidence ?? 0.95);
  const L = checkInteger(
    fn,
    'options.maxLooks',
    options.maxLooks,
    1,
    1e9,
    'plan the largest number of looks',
  );
  if (options.look !== undefined) {
    checkInteger(
      fn,
      'options.look',
      options.look,
      1,
      L,
      `the alpha budget was split among maxLooks = ${L} looks; a further look needs a new plan with a larger maxLooks`,
    );
  }
  const shares = L * (options.simultaneous ? counts.length : 1);
  const perLookConfidence = 1 - (1 - confidence) / shares;
  let widest = -1;
  let widestIndex = 0;
  const intervals = counts.map((c, i) => {
    if (typeof c !== 'object' || c === null)
      throw new TypeError(`${fn}: counts[${i}] must be an object {k, n}, got ${String(c)}`);
    if (c.n === 0 && c.k === 0) {
      if (widest < Number.POSITIVE_INFINITY) {
        widest = Number.POSITIVE_INFINITY;
        widestIndex = i;
      }
      return { estimate: Number.NaN, lower: 0, upper: 1, confidence: perLookConfidence, method: 'none' };
    }
    const iv = proportionInterval(c.k, c.n, {
      method: options.method ?? 'wilson',
      confidence: perLookConfidence,
    });
    const h = halfWidth(iv);
    if (h > widest) {
      widest = h;
      widestIndex = i;
    }
    return iv;
  });
  return { stop: widest <= target, perLookConfidence, intervals, widest, widestIndex };
}
