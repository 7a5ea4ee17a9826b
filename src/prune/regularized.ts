/**
 * Methods that shape the weights with a regularizer during training before cutting: network
 * slimming (Liu et al. 2017: L1 on BatchNorm scales, then prune channels by scale) and growing
 * regularization (Wang et al. 2021, GReg-1 and GReg-2: an L2 penalty whose factor grows until the
 * channels to prune are near zero).
 */
import { mustGet } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import type { Model } from '../onnx/ir.js';
import { toFloat32 } from '../onnx/tensor.js';
import type { GradientHookArgs } from '../train/loop.js';
import { sampleBatchCount } from '../train/samples.js';
import { WeightStore } from '../train/weights.js';
import { type ChannelAnalysis, type ChannelGroup, type ChannelPlan, channelOfEntries } from './channels.js';
import { filterNorms, type GroupTarget, groupTargets, selectChannels } from './filters.js';
import { planMasks } from './remove.js';
import { setupOf } from './saliency.js';
import { trainStage } from './training.js';
import type { MethodContext, MethodResult, PruneMethod } from './types.js';

const TRAINED = { needsData: true, needsGradients: true, needsTraining: true } as const;

/** The BatchNorm scale tensors of a group (the γ that network slimming regularizes). */
export function batchNormScales(g: ChannelGroup): string[] {
  return [
    ...new Set(
      g.slices
        .filter((s) => s.node.opType === 'BatchNormalization' && s.node.inputs[1] === s.tensor)
        .map((s) => s.tensor),
    ),
  ];
}

/** Network slimming's channel scores: Σ |γ| over the group's BatchNorms, read from `weights`. */
export function slimmingScores(g: ChannelGroup, read: (name: string) => ArrayLike<number>): Float64Array {
  const s = new Float64Array(g.size);
  for (const name of batchNormScales(g)) {
    const gamma = read(name);
    for (let c = 0; c < g.size; c++) s[c] = s[c]! + Math.abs(gamma[c]!);
  }
  return s;
}

/** Network slimming. */
export const slimming: PruneMethod = {
  name: 'slimming',
  description: 'train with an L1 penalty on BatchNorm scales, then remove the channels of smallest |γ|',
  reference:
    'Liu, Li, Shen, Huang, Yan, Zhang 2017, Learning Efficient Convolutional Networks through Network Slimming',
  granularity: 'filter',
  defaultScope: 'global',
  scopes: ['global', 'layer'],
  ...TRAINED,
  options: {
    lambda: { type: 'number', description: 'L1 penalty factor on BatchNorm scales', default: 1e-4, min: 0 },
    epochs: {
      type: 'int',
      description: 'sparsity-training epochs before pruning (0: score the given weights)',
      default: 1,
      min: 0,
    },
    lr: {
      type: 'number',
      description: 'constant learning rate of the sparsity training',
      default: 1e-3,
      min: 0,
    },
  },
  async run(ctx): Promise<MethodResult> {
    const analysis = ctx.channels!;
    const { groups: all, notes } = groupTargets(analysis, ctx.targets);
    const groups = all.filter((g) => {
      if (batchNormScales(g.group).length) return true;
      notes.push(
        `${g.group.sources.map((s) => s.layer.weight).join(', ')}: filters kept (no BatchNorm to read scales from)`,
      );
      return false;
    });
    if (groups.length === 0) {
      throw new PrunefiError(
        'PRUNE',
        `network slimming needs BatchNorm after the pruned layers; this model has none (${notes.join('; ')})`,
      );
    }
    const scales = [...new Set(groups.flatMap((g) => batchNormScales(g.group)))];
    const lambda = ctx.options.method.lambda as number;
    const epochs = ctx.options.method.epochs as number;
    const read0 = (name: string) => toFloat32(mustGet(ctx.model.graph.initializers, name));
    if (epochs === 0) {
      const plan = selectChannels(
        groups,
        groups.map((g) => slimmingScores(g.group, read0)),
        ctx.options.scope,
        'none',
      );
      return { masks: planMasks(ctx.model, analysis, plan), plan, notes };
    }
    const trained = await trainStage(ctx.model, setupOf(ctx), {
      stage: 'slimming',
      epochs,
      seed: ctx.options.seed,
      recipe: { lr: ctx.options.method.lr as number, schedule: 'constant' },
      // The L1 subgradient depends only on the current scales, so a resumed run matches.
      resumable: true,
      modifyGradients: ({ weights, grads }) => {
        for (const name of scales) {
          const gamma = weights.get(name);
          const g = mustGet(grads, name);
          for (let i = 0; i < g.length; i++) g[i] = g[i]! + lambda * Math.sign(gamma[i]!);
        }
      },
    });
    const read = (name: string) => trained.weights.get(name);
    const plan = selectChannels(
      groups,
      groups.map((g) => slimmingScores(g.group, read)),
      ctx.options.scope,
      'none',
    );
    return { masks: planMasks(trained.model, analysis, plan), plan, model: trained.model, notes };
  },
};

/** The growing-regularization penalty on the filter weights of chosen channels. */
class GrowingPenalty {
  /** Per source weight tensor: the channel of each entry in its group (-1: none). */
  private readonly entries: { tensor: string; group: number; channel: Int32Array }[];
  /** Per tensor: the current penalty factor of each entry. */
  readonly factors = new Map<string, Float32Array>();

  constructor(model: Model, analysis: ChannelAnalysis, groups: readonly GroupTarget[]) {
    this.entries = groups.flatMap((g) =>
      g.group.slices
        .filter((s) => s.role === 'source' && g.group.sources.some((src) => src.layer.weight === s.tensor))
        .map((s) => ({
          tensor: s.tensor,
          group: g.group.id,
          channel: channelOfEntries(model.graph, s, g.group.id, analysis),
        })),
    );
    for (const e of this.entries) this.factors.set(e.tensor, new Float32Array(e.channel.length));
  }

  /** Sets the factor of every entry of the `chosen` channels (all channels when undefined) to `f`. */
  set(f: number, chosen?: ChannelPlan, others = 0): void {
    for (const e of this.entries) {
      const a = mustGet(this.factors, e.tensor);
      const pick = chosen?.get(e.group);
      for (let i = 0; i < a.length; i++) {
        const c = e.channel[i]!;
        if (c >= 0) a[i] = !chosen || pick?.has(c) ? f : others;
      }
    }
  }

  /** Adds the penalty's gradient f·θ to the loss gradient. */
  apply({ weights, grads }: GradientHookArgs): void {
    for (const [tensor, f] of this.factors) {
      const w = weights.get(tensor);
      const g = mustGet(grads, tensor);
      for (let i = 0; i < g.length; i++) if (f[i]) g[i] = g[i]! + f[i]! * w[i]!;
    }
  }
}

/** L1 filter scores of each group from live weights (summed over its producing layers). */
function l1Scores(groups: readonly GroupTarget[], weights: WeightStore): Float64Array[] {
  return groups.map((g) => {
    const total = new Float64Array(g.group.size);
    for (const s of g.group.sources) {
      const w = weights.get(s.layer.weight);
      const norms = filterNorms(Float32Array.from(w), weights.dimsOf(s.layer.weight), s.axis, 1);
      for (let c = 0; c < total.length; c++) total[c] = total[c]! + norms[c]!;
    }
    return total;
  });
}

const GREG_OPTIONS = {
  ceiling: {
    type: 'number',
    description: 'final L2 penalty factor on the channels being pruned',
    default: 1,
    min: 0,
  },
  epochs: {
    type: 'number',
    description: 'epochs over which the factor grows from 0 to the ceiling',
    default: 2,
    min: 0.001,
  },
  'stabilize-epochs': {
    type: 'number',
    description: 'epochs trained at the ceiling before cutting',
    default: 0.5,
    min: 0,
  },
  interval: { type: 'int', description: 'steps between factor increases', default: 5, min: 1 },
  lr: { type: 'number', description: 'constant learning rate while regularizing', default: 1e-3, min: 0 },
} as const;

/**
 * GReg-1 and GReg-2. GReg-1 picks the channels to prune by L1 norm first, then grows their
 * penalty. GReg-2 first grows a uniform penalty on all channels up to `pick-ceiling` (weights
 * with high curvature resist it, so magnitudes separate), picks by L1 norm then, and continues as
 * GReg-1 with the kept channels unpenalized. The factor grows by ceiling·interval/steps every
 * `interval` steps, the paper's schedule stretched over `epochs`.
 */
async function growingRegularization(ctx: MethodContext, variant: 1 | 2): Promise<MethodResult> {
  const setup = setupOf(ctx);
  const analysis = ctx.channels!;
  const { groups, notes } = groupTargets(analysis, ctx.targets);
  const o = ctx.options.method;
  const perEpoch = sampleBatchCount(setup.train, setup.recipe.batchSize);
  const interval = o.interval as number;
  const growSteps = Math.max(1, Math.round((o.epochs as number) * perEpoch));
  const pickEpochs = variant === 2 ? (o['pick-epochs'] as number) : 0;
  const pickSteps = Math.round(pickEpochs * perEpoch);
  // The training engine runs whole epochs; the schedule itself is in steps.
  const epochs = Math.max(
    1,
    Math.ceil(pickEpochs + (o.epochs as number) + (o['stabilize-epochs'] as number)),
  );
  const penalty = new GrowingPenalty(ctx.model, analysis, groups);
  const choose = (weights: WeightStore): ChannelPlan =>
    selectChannels(groups, l1Scores(groups, weights), ctx.options.scope);
  // GReg-1 picks from the weights it starts with; GReg-2 from those it has after its pick phase.
  let plan: ChannelPlan | undefined = variant === 1 ? choose(WeightStore.fromModel(ctx.model)) : undefined;
  // The factor changes every `interval` steps and is a function of that boundary alone, so a run
  // resumed at any step sets the same factor as one that never stopped.
  let boundary = -1;
  const trained = await trainStage(ctx.model, setup, {
    stage: `greg-${variant}`,
    epochs,
    seed: ctx.options.seed,
    recipe: { lr: o.lr as number, schedule: 'constant' },
    // GReg-2's plan comes from the weights at the end of its pick phase, which a resumed run
    // no longer has; GReg-1's hook depends only on the step and its initial weights.
    resumable: variant === 1,
    modifyGradients: (args) => {
      const t = args.step - (args.step % interval);
      if (t !== boundary) {
        boundary = t;
        if (t < pickSteps)
          penalty.set(((o['pick-ceiling'] as number) * Math.min(t + interval, pickSteps)) / pickSteps);
        else {
          plan ??= choose(args.weights);
          const k = Math.min(t - pickSteps + interval, growSteps);
          penalty.set(((o.ceiling as number) * k) / growSteps, plan, 0);
        }
      }
      penalty.apply(args);
    },
  });
  plan ??= choose(trained.weights);
  return { masks: planMasks(trained.model, analysis, plan), plan, model: trained.model, notes };
}

const GREG_BASE = {
  granularity: 'filter',
  defaultScope: 'layer',
  scopes: ['layer', 'global'],
  ...TRAINED,
} as const;

/** GReg-1. */
export const greg1: PruneMethod = {
  ...GREG_BASE,
  name: 'greg-1',
  description: 'pick filters by L1 norm, drive them to zero with a growing L2 penalty, then remove them',
  reference: 'Wang, Qin, Zhang, Fu 2021, Neural Pruning via Growing Regularization (GReg-1)',
  options: GREG_OPTIONS,
  run: (ctx) => growingRegularization(ctx, 1),
};

/** GReg-2. */
export const greg2: PruneMethod = {
  ...GREG_BASE,
  name: 'greg-2',
  description: 'grow a uniform L2 penalty so magnitudes separate by curvature, pick by L1, then as GReg-1',
  reference: 'Wang, Qin, Zhang, Fu 2021, Neural Pruning via Growing Regularization (GReg-2)',
  options: {
    ...GREG_OPTIONS,
    'pick-ceiling': {
      type: 'number',
      description: 'uniform penalty factor reached before picking',
      default: 1e-2,
      min: 0,
    },
    'pick-epochs': { type: 'number', description: 'epochs of the uniform growth', default: 1, min: 0 },
  },
  run: (ctx) => growingRegularization(ctx, 2),
};
