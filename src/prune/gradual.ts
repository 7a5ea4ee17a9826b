/**
 * Magnitude pruning interleaved with training: gradual magnitude pruning on Zhu & Gupta's cubic
 * schedule, and iterative magnitude pruning with weight rewinding (the lottery-ticket procedure
 * of Frankle & Carbin 2019 and Frankle et al. 2020).
 */
import { mustGet } from '../core/checked.js';
import { cloneModel } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { numel, tensor } from '../onnx/tensor.js';
import { sampleBatchCount } from '../train/samples.js';
import { type WeightSnapshot, WeightStore } from '../train/weights.js';
import { setupOf } from './saliency.js';
import type { PruneTarget } from './targets.js';
import { trainStage } from './training.js';
import type { Masks, MethodResult, PruneMethod, Scope } from './types.js';
import { unstructuredMasks } from './unstructured.js';

const TRAINED = {
  granularity: 'unstructured',
  defaultScope: 'layer',
  scopes: ['layer', 'global'],
  needsData: true,
  needsGradients: true,
  needsTraining: true,
} as const;

/**
 * Zhu & Gupta's sparsity at step t: s_f + (s_i − s_f)(1 − (t − t0)/(t1 − t0))³ between t0 and
 * t1, s_i before, s_f after. Pruning is fast at first, when many weights are redundant, and slows
 * as the target nears.
 */
export function cubicSparsity(t: number, t0: number, t1: number, initial: number, final: number): number {
  if (t <= t0) return initial;
  if (t >= t1) return final;
  return final + (initial - final) * (1 - (t - t0) / (t1 - t0)) ** 3;
}

function magnitudeMasksFrom(
  weights: WeightStore,
  targets: readonly PruneTarget[],
  scope: Scope,
  fraction: (t: PruneTarget) => number,
): Masks {
  const step = targets.map((t) => ({ ...t, sparsity: fraction(t) }));
  const scores = targets.map((t) => Float32Array.from(weights.get(t.weight), Math.abs));
  return unstructuredMasks(step, scores, scope);
}

/** Gradual magnitude pruning. */
export const gmp: PruneMethod = {
  ...TRAINED,
  name: 'gmp',
  description: 'prune by magnitude while training, sparsity rising on the cubic schedule of Zhu & Gupta',
  reference:
    'Zhu, Gupta 2017, To prune, or not to prune: exploring the efficacy of pruning for model compression',
  options: {
    epochs: {
      type: 'int',
      description: 'training epochs (pruning happens during the first part)',
      default: 2,
      min: 1,
    },
    'start-fraction': {
      type: 'number',
      description: 'fraction of training before the first pruning step',
      default: 0,
      min: 0,
      max: 1,
    },
    'end-fraction': {
      type: 'number',
      description: 'fraction of training at which the target is reached',
      default: 0.75,
      min: 0,
      max: 1,
    },
    steps: { type: 'int', description: 'number of pruning steps between start and end', default: 10, min: 1 },
  },
  async run(ctx): Promise<MethodResult> {
    const setup = setupOf(ctx);
    const o = ctx.options.method;
    const epochs = o.epochs as number;
    const total = epochs * sampleBatchCount(setup.train, setup.recipe.batchSize);
    const t0 = Math.round((o['start-fraction'] as number) * total);
    const t1 = Math.max(t0 + 1, Math.round((o['end-fraction'] as number) * total));
    const every = Math.max(1, Math.floor((t1 - t0) / (o.steps as number)));
    // The training loop re-applies these masks after every update, so editing them in place
    // takes effect from the next step.
    const masks: Masks = new Map(ctx.targets.map((t) => [t.weight, new Uint8Array(numel(t.dims)).fill(1)]));
    const pruneTo = (weights: WeightStore, step: number): void => {
      const next = magnitudeMasksFrom(weights, ctx.targets, ctx.options.scope, (t) =>
        cubicSparsity(step, t0, t1, 0, t.sparsity),
      );
      for (const [name, m] of next) {
        const live = mustGet(masks, name);
        const w = weights.get(name);
        for (let i = 0; i < m.length; i++) {
          if (!m[i]) {
            live[i] = 0;
            w[i] = 0;
          }
        }
      }
    };
    const trained = await trainStage(ctx.model, setup, {
      stage: 'gmp',
      epochs,
      seed: ctx.options.seed,
      masks,
      onStepEnd: ({ weights, step }) => {
        if (step >= t0 && step <= t1 && ((step - t0) % every === 0 || step === t1)) pruneTo(weights, step);
      },
    });
    pruneTo(trained.weights, t1);
    return { masks, model: modelWith(trained.model, trained.weights, masks), notes: [] };
  },
};

/** A copy of `model` with the given weight values (by name), masked. */
function modelWith(model: Model, values: WeightStore | WeightSnapshot, masks: Masks): Model {
  const out = cloneModel(model);
  for (const [name, t] of out.graph.initializers) {
    const v = values instanceof Map ? values.get(name) : values.has(name) ? values.get(name) : undefined;
    if (!v || t.dtype !== 'float32') continue;
    const data = Float32Array.from(v);
    const m = masks.get(name);
    if (m) for (let i = 0; i < data.length; i++) if (!m[i]) data[i] = 0;
    out.graph.initializers.set(name, tensor('float32', t.dims, data));
  }
  return out;
}

/** Iterative magnitude pruning with rewinding. */
export const imp: PruneMethod = {
  ...TRAINED,
  defaultScope: 'global',
  scopes: ['global', 'layer'],
  name: 'imp',
  description:
    'train, prune the smallest weights, rewind the rest to their early values, repeat (lottery ticket)',
  reference:
    'Frankle, Dziugaite, Roy, Carbin 2020, Linear Mode Connectivity and the Lottery Ticket Hypothesis',
  options: {
    rounds: {
      type: 'int',
      description: 'train-prune-rewind rounds; round r reaches 1-(1-s)^(r/rounds)',
      default: 3,
      min: 1,
    },
    epochs: { type: 'int', description: 'training epochs per round', default: 1, min: 1 },
    'rewind-step': {
      type: 'int',
      description: 'training step whose weights survivors rewind to (0: the given weights)',
      default: 0,
      min: 0,
    },
  },
  async run(ctx): Promise<MethodResult> {
    const setup = setupOf(ctx);
    const o = ctx.options.method;
    const rounds = o.rounds as number;
    const k = o['rewind-step'] as number;
    const steps = (o.epochs as number) * sampleBatchCount(setup.train, setup.recipe.batchSize);
    if (k > steps) {
      throw new RangeError(
        `option rewind-step of method imp must be at most the ${steps} steps of a round, got ${k}`,
      );
    }
    let rewind: WeightSnapshot | undefined =
      k === 0 ? WeightStore.fromModel(ctx.model).snapshot() : undefined;
    let current = ctx.model;
    let masks: Masks = new Map();
    for (let r = 1; r <= rounds; r++) {
      const trained = await trainStage(current, setup, {
        stage: `imp round ${r}/${rounds}`,
        epochs: o.epochs as number,
        seed: ctx.options.seed + r - 1,
        ...(masks.size ? { masks } : {}),
        onStepEnd: ({ weights, step }) => {
          if (r === 1 && step === k) rewind = weights.snapshot();
        },
      });
      masks = magnitudeMasksFrom(
        trained.weights,
        ctx.targets,
        ctx.options.scope,
        (t) => 1 - (1 - t.sparsity) ** (r / rounds),
      );
      current = modelWith(ctx.model, rewind!, masks);
    }
    return {
      masks,
      model: current,
      notes: [`rewound to training step ${k}; fine-tune with the round budget to finish the ticket`],
    };
  },
};
