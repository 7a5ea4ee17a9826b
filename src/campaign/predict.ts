/**
 * BER curves predicted from a single-bit campaign, without running the model again: every stored
 * single-fault experiment says what fraction of the golden-correct images one flip at its bit
 * position breaks, and a bit error rate is many such flips at once. Two predictions:
 *
 * - the independent-fault approximation: each stored bit flips independently with probability
 *   `ber`, and each flip breaks an image independently of the others, with the probability its bit
 *   position's experiments measured;
 * - a Monte-Carlo composition: draw the faults of one BER experiment (their number, and one stored
 *   experiment per fault from its bit position), and combine the drawn experiments' outcomes.
 *
 * The store keeps counts per experiment, not which images an experiment broke, so both treat the
 * images a fault breaks as drawn independently of the other faults' (see `composeTrial`).
 */
import { PrunefiError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { faultModel } from '../fault/fault-models.js';
import { NUMBER_FORMATS } from '../fault/number-formats.js';
import { tInterval } from '../stats/bootstrap.js';
import type { Interval } from '../stats/interval.js';
import { normalCritical } from '../stats/special.js';
import type { CampaignConfig } from './config.js';
import type { CampaignStore } from './store.js';

/** What a prediction reads from a single-bit campaign. */
export interface SingleBitData {
  path: string;
  /** Images of the fixed set, and those the golden model classifies correctly. */
  images: number;
  goldenCorrect: number;
  /** Stored words (weights): each bit position has this many bits in memory. */
  words: number;
  /**
   * Per bit position (index = bit): the fraction of golden-correct images each stored experiment
   * lost, (golden correct − correct) / golden correct; negative when a flip fixed more images
   * than it broke.
   */
  losses: Float64Array[];
}

function unfit(path: string, what: string, command = 'campaign predict'): PrunefiError {
  return new PrunefiError(
    'CAMPAIGN_CONFIG_MISMATCH',
    `${path} ${what}; ${command} needs a finished single-bit bit-flip campaign over every bit of dense, unprotected weights ('prunefi campaign run --plan single-bit')`,
  );
}

/** What a complete single-bit sweep stored: its golden score and memory size. */
export interface SingleBitSweep {
  config: CampaignConfig;
  golden: { images: number; correct: number };
  memoryBits: number;
}

/**
 * Checks that `store` holds a single-bit bit-flip plan over every bit position of dense,
 * unprotected, untargeted memory (so one experiment at bit b stands for a uniform draw over every
 * stored word's bit b), with its golden score and memory size stored; `command` is named in the
 * error.
 */
export function checkSingleBitSweep(store: CampaignStore, command: string): SingleBitSweep {
  const config = store.config as CampaignConfig;
  const plan = config.plan;
  const path = store.path;
  const fail = (what: string): PrunefiError => unfit(path, what, command);
  if (plan.kind !== 'single-bit') throw fail(`holds a '${plan.kind}' campaign`);
  if ((plan.type ?? 'bit-flip') !== 'bit-flip') throw fail(`injects '${plan.type}' faults`);
  if (plan.bits !== undefined) throw fail('sweeps only some bit positions (--bits)');
  if (plan.targeting !== undefined) throw fail('targets part of the memory');
  if (config.memory.storage !== 'dense') throw fail(`stores weights as '${config.memory.storage}'`);
  if (config.memory.protect?.length) throw fail('protects its memory');
  const golden = store.metaJson('golden', null) as { images?: unknown; correct?: unknown } | null;
  const memory = store.metaJson('memory', null) as { bits?: unknown } | null;
  if (typeof golden?.images !== 'number' || typeof golden.correct !== 'number' || golden.correct <= 0)
    throw fail('has no golden score with a correct image');
  if (typeof memory?.bits !== 'number') throw fail('has no stored memory size');
  return { config, golden: { images: golden.images, correct: golden.correct }, memoryBits: memory.bits };
}

/**
 * Reads and checks the single-bit campaign a prediction starts from (see `checkSingleBitSweep`;
 * a BER flip of any stored bit is then a flip of some word's bit b), with at least two
 * experiments per bit (a variance needs two).
 */
export function readSingleBit(store: CampaignStore): SingleBitData {
  const path = store.path;
  const { config, golden, memoryBits } = checkSingleBitSweep(store, 'campaign predict');
  const wordBits = NUMBER_FORMATS.get(config.memory.numberFormat).bits;
  const lists: number[][] = Array.from({ length: wordBits }, () => []);
  for (const r of store.records()) lists[r.bit]?.push((golden.correct - r.correct) / golden.correct);
  const thin = lists.findIndex((l) => l.length < 2);
  if (thin >= 0)
    throw unfit(
      path,
      `has ${lists[thin]?.length ?? 0} experiments at bit ${thin} (2 or more at every bit are needed: 'prunefi campaign resume ${path}' finishes it)`,
    );
  return {
    path,
    images: golden.images,
    goldenCorrect: golden.correct,
    words: memoryBits / wordBits,
    losses: lists.map((l) => Float64Array.from(l)),
  };
}

/** Checks a bit error rate in the BER fault model's own words (a number in (0, 1)). */
export function checkRate(ber: number): void {
  faultModel({ model: 'ber', ber });
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function variance(xs: Float64Array, m: number): number {
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

/**
 * The independent-fault approximation at `ber`. A fixed golden-correct image survives when none
 * of the stored bits that would break it flips; bit position b holds `words` bits of which a
 * fraction p_b (its experiments' mean loss) break the image, so it survives with probability
 * Π_b (1 − ber)^(words · p_b), and the accuracy is the golden accuracy times that. (This is
 * E[(1 − p_b)^K_b] over the binomial number K_b of flips at bit b, not (1 − p_b)^(E K_b): the two
 * agree only for small p_b, and a bit whose every flip breaks the image, p_b = 1, still leaves
 * the image intact when no flip lands there.) The interval carries the sampling error of the
 * p_b (a normal interval on Σ p_b, whose variance is Σ var_b / n_b) through the same monotone map.
 */
export function predictIndependent(d: SingleBitData, ber: number, confidence = 0.95): Interval {
  checkRate(ber);
  let s = 0;
  let v = 0;
  for (const l of d.losses) {
    const m = mean(l);
    s += m;
    v += variance(l, m) / l.length;
  }
  const z = normalCritical(confidence);
  const acc = (sum: number): number =>
    (d.goldenCorrect / d.images) * Math.exp(d.words * sum * Math.log1p(-ber));
  const h = z * Math.sqrt(v);
  return {
    estimate: acc(s),
    lower: acc(s + h),
    upper: acc(s - h),
    confidence,
    method: 'normal on the summed bit losses',
  };
}

/**
 * The accuracy of one composed BER experiment: the number of flipped bits is binomial over the
 * memory (drawn as geometric gaps between flipped bits, as the BER fault model draws them), each
 * flip lands on a uniform bit position (every position holds `words` bits in dense memory) and
 * reuses a uniformly drawn stored experiment of that position. The drawn experiments' per-image
 * outcomes are combined as "an image is wrong if any drawn fault makes it wrong"; since the store
 * does not say which images an experiment broke, each is taken to break its fraction of the
 * golden-correct images independently of the others, and the trial's accuracy is the expected
 * value of that: golden accuracy × Π (1 − loss). This ignores fault interactions (two flips that
 * are harmless alone but not together, or that break the same fragile images), which is what
 * the comparison with a measured BER campaign shows at high rates.
 */
export function composeTrial(d: SingleBitData, ber: number, rng: Rng): number {
  const bits = d.losses.length;
  const total = d.words * bits;
  let logSurvive = 0;
  for (let at = rng.geometric(ber); at < total; at += 1 + rng.geometric(ber)) {
    const l = d.losses[rng.int(bits)] ?? new Float64Array(1);
    logSurvive += Math.log1p(-(l[rng.int(l.length)] ?? 0));
    if (logSurvive === Number.NEGATIVE_INFINITY) break;
  }
  return (d.goldenCorrect / d.images) * Math.exp(logSurvive);
}

/** A Monte-Carlo prediction: the mean over trials (with its t interval) and the trials' spread. */
export interface ComposedPrediction {
  trials: number;
  mean: Interval;
  /** The central `confidence` range of one trial's accuracy (what one BER experiment may give). */
  spread: { lower: number; upper: number };
}

/**
 * The Monte-Carlo composition at `ber` over `trials` trials; trial t draws from
 * `rng.split('trial', t)`, so a seed reproduces it exactly and trials replay alone.
 */
export function predictComposed(
  d: SingleBitData,
  ber: number,
  trials: number,
  rng: Rng,
  confidence = 0.95,
): ComposedPrediction {
  checkRate(ber);
  const acc = new Float64Array(trials);
  for (let t = 0; t < trials; t++) acc[t] = composeTrial(d, ber, rng.split('trial', t));
  const sorted = acc.slice().sort();
  const q = (p: number): number => sorted[Math.min(trials - 1, Math.max(0, Math.floor(p * trials)))] ?? 0;
  return {
    trials,
    mean: tInterval(acc, confidence),
    spread: { lower: q((1 - confidence) / 2), upper: q((1 + confidence) / 2) },
  };
}

/** The generator of a prediction's Monte-Carlo trials for a seed and a rate. */
export function predictionRng(seed: number, ber: number): Rng {
  return Rng.seeded(seed).split('predict', String(ber));
}
