/**
 * The clean-accuracy cost of a campaign's graph protections (Ranger): the model as the campaign
 * computes it fault-free, with and without the protections, on the campaign's own samples, and
 * the paired interval of the difference (both models see every sample, so per-sample
 * differences are paired: far narrower than two independent accuracies). Memory codes and value
 * guards have no clean cost by construction (a code decodes fault-free words to themselves; a
 * clip range is the fault-free weights' own), so only graph protections are measured.
 */
import { argmaxRows } from '../core/argmax.js';
import { Rng } from '../core/rng.js';
import type { Model } from '../onnx/ir.js';
import { createSession } from '../runtime/session.js';
import { pairedBootstrap } from '../stats/compare.js';
import type { Interval } from '../stats/interval.js';
import type { CampaignConfig } from './config.js';
import { injectedGraph } from './evaluator.js';
import { protectedGraph, rangerSpec } from './graph-protect.js';
import { type ImageInput, type SampleInput, sampleRange, samplesOf } from './samples.js';
import type { CampaignStore } from './store.js';

/** Clean accuracy without and with a campaign's graph protections, as stored in its `cleanCost` meta. */
export interface CleanCost {
  /** The protections measured (the graph ones). */
  protections: string[];
  samples: number;
  unprotectedAccuracy: number;
  protectedAccuracy: number;
  /** protected − unprotected accuracy: 95% BCa bootstrap interval over the paired samples. */
  difference: Interval;
  /**
   * Seconds per sample of one inference pass of each model, measured one after the other in the
   * same process: the protections' inference-time overhead (a same-run ratio, noisy on a busy machine).
   */
  unprotectedSeconds: number;
  protectedSeconds: number;
}

/** Per-sample correctness (every scored position right) of one model, and its seconds per sample. */
async function correctness(
  model: Model,
  input: ImageInput | SampleInput,
  o: { threads?: number; batch: number },
): Promise<{ correct: Float64Array; seconds: number }> {
  const { feeds, count } = samplesOf(model.graph, input);
  const output = model.graph.outputs[0]?.name ?? '';
  const session = await createSession(model, o.threads !== undefined ? { threads: o.threads } : {});
  const correct = new Float64Array(count);
  let ms = 0;
  try {
    // One untimed batch first: a session's first run allocates and plans, which is no per-sample cost.
    await session.run(sampleRange(feeds, 0, Math.min(count, o.batch)), [output]);
    for (let b = 0; b < count; b += o.batch) {
      const e = Math.min(count, b + o.batch);
      const t0 = performance.now();
      const out = (await session.run(sampleRange(feeds, b, e), [output]))[output];
      ms += performance.now() - t0;
      const classes = out?.dims.at(-1) ?? 1;
      const pred = argmaxRows((out?.data ?? new Float32Array()) as Float32Array, classes);
      const per = pred.length / (e - b);
      for (let i = b; i < e; i++) {
        // Labels are per output position, sample after sample; negative ones are not scored.
        let ok = 1;
        for (let p = 0; p < per; p++) {
          const y = input.labels[i * per + p] ?? -1;
          if (y >= 0 && pred[(i - b) * per + p] !== y) ok = 0;
        }
        correct[i] = ok;
      }
    }
  } finally {
    await session.release();
  }
  return { correct, seconds: ms / 1000 / count };
}

/**
 * The clean-accuracy cost of the config's graph protections on `input` (the campaign's samples),
 * or undefined when it names none. The paired bootstrap's generator is seeded by a fixed label,
 * so the interval is a function of the two models' predictions alone.
 */
export async function measureCleanCost(
  model: Model,
  config: Pick<CampaignConfig, 'memory' | 'ranger'>,
  input: ImageInput | SampleInput,
  o: { threads?: number; batch?: number } = {},
): Promise<CleanCost | undefined> {
  const ranger = rangerSpec(config.memory.protect);
  if (!ranger) return undefined;
  const run = { batch: o.batch ?? 250, ...(o.threads !== undefined ? { threads: o.threads } : {}) };
  const plain = await correctness(injectedGraph(model, { foldBn: config.memory.foldBn }), input, run);
  const guarded = await correctness(protectedGraph(model, config), input, run);
  const mean = (x: Float64Array): number => x.reduce((s, v) => s + v, 0) / x.length;
  const { difference } = pairedBootstrap(guarded.correct, plain.correct, {
    rng: Rng.seeded('prunefi-protect-clean-cost'),
  });
  return {
    protections: [ranger.name],
    samples: plain.correct.length,
    unprotectedAccuracy: mean(plain.correct),
    protectedAccuracy: mean(guarded.correct),
    difference,
    unprotectedSeconds: plain.seconds,
    protectedSeconds: guarded.seconds,
  };
}

/**
 * The campaign's clean-accuracy cost from its `cleanCost` meta, measured and stored first when
 * it is missing (undefined without graph protections). Measured once per database: a resumed or
 * queued campaign reads it back.
 */
export async function ensureCleanCost(
  store: CampaignStore,
  model: Model,
  input: ImageInput | SampleInput,
  o: { threads?: number; batch?: number } = {},
): Promise<CleanCost | undefined> {
  const stored = store.metaJson('cleanCost', null) as CleanCost | null;
  if (stored) return stored;
  const cost = await measureCleanCost(model, store.config as CampaignConfig, input, o);
  if (cost) store.setMeta('cleanCost', JSON.stringify(cost));
  return cost;
}
