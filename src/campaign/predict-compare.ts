/**
 * A prediction from single-bit data set against a measured BER campaign of the same model, images
 * and memory: per rate, both predictions, the measured mean accuracy with its t interval, and
 * whether each prediction falls inside it (outside marks fault interactions the composition of
 * single faults does not see, typically at high rates).
 */
import { PrunefiError } from '../core/errors.js';
import type { Interval } from '../stats/interval.js';
import type { CampaignConfig } from './config.js';
import {
  type ComposedPrediction,
  checkRate,
  predictComposed,
  predictIndependent,
  predictionRng,
  type SingleBitData,
} from './predict.js';
import { type CampaignStore, firstDifference } from './store.js';
import { summarizeCampaign } from './summary.js';

/** The measured BER campaign's mean accuracy per rate. */
export interface MeasuredBer {
  path: string;
  rates: Map<number, Interval>;
}

/**
 * Reads a measured BER campaign to compare with the single-bit campaign `single` (its config):
 * it must be a bit-flip BER campaign on the same model, images and memory (else the comparison
 * would mix two experiments), untargeted like the single-bit one, with two or more experiments at
 * a rate for that rate to count.
 */
export function readMeasuredBer(
  store: CampaignStore,
  single: CampaignConfig,
  confidence = 0.95,
): MeasuredBer {
  const c = store.config as CampaignConfig;
  const path = store.path;
  const refuse = (what: string): PrunefiError =>
    new PrunefiError(
      'CAMPAIGN_CONFIG_MISMATCH',
      `--measured ${path} ${what}; give a BER campaign ('prunefi campaign run --plan ber') of the single-bit campaign's model, images and memory`,
    );
  if (c.plan.kind !== 'ber') throw refuse(`holds a '${c.plan.kind}' campaign`);
  if ((c.plan.type ?? 'bit-flip') !== 'bit-flip') throw refuse(`injects '${c.plan.type}' faults`);
  if (c.plan.targeting !== undefined) throw refuse('targets part of the memory');
  for (const key of ['model', 'data', 'memory'] as const) {
    const d = firstDifference(c[key], single[key], key);
    if (d)
      throw refuse(`differs in '${d.path}' (${JSON.stringify(d.a)} there, ${JSON.stringify(d.b)} in --db)`);
  }
  const rates = new Map<number, Interval>();
  for (const g of summarizeCampaign(store.records(), (r) => r.stratum, confidence)) {
    const m = /^ber=(.+)$/.exec(g.group);
    if (m && g.meanAccuracy) rates.set(Number(m[1]), g.meanAccuracy);
  }
  return { path, rates };
}

/** One rate of a prediction, with the measurement when there is one. */
export interface PredictedPoint {
  ber: number;
  /** Expected flipped bits per experiment (memory bits × ber). */
  expectedFlips: number;
  independent: Interval;
  composed: ComposedPrediction;
  measured: Interval | null;
  /** Whether each prediction's point estimate lies in the measured interval (null unmeasured). */
  independentInside: boolean | null;
  composedInside: boolean | null;
}

/** What `predictBer` does; `onRate` reports each finished rate (for progress). */
export interface PredictOptions {
  rates: readonly number[];
  trials: number;
  seed: number;
  confidence?: number;
  measured?: MeasuredBer;
  onRate?: (done: number) => void;
  signal?: AbortSignal;
}

/**
 * Both predictions at every rate (each checked in the BER fault model's words; with a measured
 * campaign, every rate must be one it measured, since an unmeasured one cannot be compared), and
 * the comparison when measured. Stops before the next rate once `signal` fires.
 */
export function predictBer(d: SingleBitData, o: PredictOptions): PredictedPoint[] {
  const confidence = o.confidence ?? 0.95;
  for (const ber of o.rates) {
    checkRate(ber);
    if (o.measured && !o.measured.rates.has(ber))
      throw new PrunefiError(
        'CAMPAIGN_CONFIG_MISMATCH',
        `rate ${ber} was not measured in ${o.measured.path} (it measured ${[...o.measured.rates.keys()].join(', ') || 'no rate with 2 or more experiments'}); give --rates from those, or leave --rates out to use them all`,
      );
  }
  const inside = (x: number, iv: Interval | null): boolean | null =>
    iv ? x >= iv.lower && x <= iv.upper : null;
  const out: PredictedPoint[] = [];
  for (const ber of o.rates) {
    if (o.signal?.aborted) break;
    const independent = predictIndependent(d, ber, confidence);
    const composed = predictComposed(d, ber, o.trials, predictionRng(o.seed, ber), confidence);
    const measured = o.measured?.rates.get(ber) ?? null;
    out.push({
      ber,
      expectedFlips: d.words * d.losses.length * ber,
      independent,
      composed,
      measured,
      independentInside: inside(independent.estimate, measured),
      composedInside: inside(composed.mean.estimate, measured),
    });
    o.onRate?.(out.length);
  }
  return out;
}
