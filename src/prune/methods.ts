/**
 * The pruning methods that need neither data nor training: magnitude, random, N:M and the
 * filter criteria (the others live in saliency.ts, regularized.ts and gradual.ts; registry.ts
 * lists them all).
 */
import { PrunefiError } from '../core/errors.js';
import { numel } from '../onnx/tensor.js';
import { blockedReason, type ChannelAnalysis } from './channels.js';
import {
  type FilterScorer,
  filterNorms,
  geometricMedianScores,
  groupScores,
  groupTargets,
  selectChannels,
} from './filters.js';
import { planMasks } from './remove.js';
import type { Masks, MethodContext, MethodResult, PruneMethod } from './types.js';
import { inputAxis, magnitudeScores, nmMask, unstructuredMasks } from './unstructured.js';

const NO_NEEDS = { needsData: false, needsGradients: false, needsTraining: false } as const;

function channelsOf(ctx: MethodContext): ChannelAnalysis {
  if (!ctx.channels) throw new Error('filter methods need the channel analysis in their context');
  return ctx.channels;
}

/** Runs a filter criterion: score each channel group, choose channels, mask them. */
export function runFilterMethod(ctx: MethodContext, scorer: FilterScorer): MethodResult {
  const analysis = channelsOf(ctx);
  const { groups, notes } = groupTargets(analysis, ctx.targets);
  if (groups.length === 0) {
    throw new PrunefiError(
      'PRUNE',
      `no layer has filters that can be pruned (${notes.join('; ') || 'no convolution or linear layer'})`,
    );
  }
  const scores = groups.map((g) => groupScores(ctx.model.graph, g.group, scorer));
  const plan = selectChannels(groups, scores, ctx.options.scope);
  return { masks: planMasks(ctx.model, analysis, plan), plan, notes };
}

const FILTER_BASE = {
  granularity: 'filter',
  defaultScope: 'layer',
  scopes: ['layer', 'global'],
  ...NO_NEEDS,
  options: {},
} as const;

/** Magnitude pruning (Han et al. 2015): remove the weights of smallest |w|. */
export const magnitude: PruneMethod = {
  name: 'magnitude',
  description: 'remove the weights of smallest magnitude, per layer or with one global threshold',
  reference:
    'Han, Pool, Tran, Dally 2015, Learning both Weights and Connections for Efficient Neural Networks',
  granularity: 'unstructured',
  defaultScope: 'global',
  scopes: ['global', 'layer'],
  ...NO_NEEDS,
  options: {},
  async run(ctx) {
    const scores = ctx.targets.map((t) => magnitudeScores(ctx.model.graph, t));
    return { masks: unstructuredMasks(ctx.targets, scores, ctx.options.scope), notes: [] };
  },
};

/** Random pruning: the baseline every criterion must beat (Frankle et al. 2021). */
export const random: PruneMethod = {
  name: 'random',
  description: 'remove weights uniformly at random (the baseline a criterion must beat)',
  reference:
    'Frankle, Dziugaite, Roy, Carbin 2021, Pruning Neural Networks at Initialization: Why are We Missing the Mark?',
  granularity: 'unstructured',
  defaultScope: 'layer',
  scopes: ['layer', 'global'],
  ...NO_NEEDS,
  options: {},
  async run(ctx) {
    const scores = ctx.targets.map((t) => {
      const r = ctx.rng.split('random', t.weight);
      return Float64Array.from({ length: numel(t.dims) }, () => r.float());
    });
    return { masks: unstructuredMasks(ctx.targets, scores, ctx.options.scope), notes: [] };
  },
};

/** N:M semi-structured sparsity (2:4 on NVIDIA Ampere sparse tensor cores). */
export const nm: PruneMethod = {
  name: 'nm',
  description: 'keep the n largest of every m consecutive weights along the input dimension (2:4 by default)',
  reference: 'Mishra et al. 2021, Accelerating Sparse Deep Neural Networks (NVIDIA 2:4 structured sparsity)',
  granularity: 'n:m',
  defaultScope: 'layer',
  scopes: ['layer'],
  ...NO_NEEDS,
  options: {
    n: { type: 'int', description: 'weights kept in each group', default: 2, min: 1 },
    m: { type: 'int', description: 'group length along the input dimension', default: 4, min: 2 },
  },
  async run(ctx) {
    const n = ctx.options.method.n as number;
    const m = ctx.options.method.m as number;
    if (n >= m) throw new RangeError(`option n of method nm must be smaller than m, got n=${n}, m=${m}`);
    const masks: Masks = new Map();
    const notes: string[] = [];
    for (const t of ctx.targets) {
      const axis = inputAxis(t);
      const mask = nmMask(magnitudeScores(ctx.model.graph, t), t.dims, axis, n, m);
      if (mask) masks.set(t.weight, mask);
      else notes.push(`${t.weight}: left dense (input dimension ${t.dims[axis]} is not a multiple of ${m})`);
    }
    return { masks, notes };
  },
};

/** L1-norm filter pruning (Li et al. 2017). */
export const l1Filter: PruneMethod = {
  ...FILTER_BASE,
  name: 'l1-filter',
  description:
    'remove the filters (output channels) of smallest L1 norm, with their BatchNorm and consumer inputs',
  reference: 'Li, Kadav, Durdanovic, Samet, Graf 2017, Pruning Filters for Efficient ConvNets',
  async run(ctx) {
    return runFilterMethod(ctx, (v, d, a) => filterNorms(v, d, a, 1));
  },
};

/** L2-norm filter pruning (the variant Li et al. 2017 compare against; torch ln_structured n=2). */
export const l2Filter: PruneMethod = {
  ...FILTER_BASE,
  name: 'l2-filter',
  description: 'remove the filters of smallest L2 norm',
  reference: 'Li, Kadav, Durdanovic, Samet, Graf 2017, Pruning Filters for Efficient ConvNets',
  async run(ctx) {
    return runFilterMethod(ctx, (v, d, a) => filterNorms(v, d, a, 2));
  },
};

/** Filter pruning via the geometric median (He et al. 2019). */
export const fpgm: PruneMethod = {
  ...FILTER_BASE,
  name: 'fpgm',
  description: 'remove the filters nearest the geometric median of their layer (the most replaceable ones)',
  reference: 'He, Liu, Wang, Hu, Yang 2019, Filter Pruning via Geometric Median for Deep CNN Acceleration',
  async run(ctx) {
    return runFilterMethod(ctx, geometricMedianScores);
  },
};

/**
 * MLP hidden units of transformer blocks: L1 filter pruning restricted to the channel groups a
 * matrix product produces and the structural pass can cut out (fc1's outputs through GELU into
 * fc2's inputs). The residual stream and attention channels are tied to reshapes and stay dense;
 * heads have their own method.
 */
export const mlpUnits: PruneMethod = {
  ...FILTER_BASE,
  name: 'mlp-units',
  description:
    'remove the hidden units between two matrix products (transformer MLPs, a BERT pooler) of smallest L1 norm; other channels stay dense',
  reference: 'Fang, Ma, Song, Mi, Wang 2023, DepGraph: Towards Any Structural Pruning',
  async run(ctx) {
    const analysis = channelsOf(ctx);
    const products = new Set(['MatMul', 'Gemm']);
    const units = analysis.groups.filter(
      (g) =>
        g.sources.length > 0 &&
        g.sources.every((s) => products.has(s.layer.node.opType)) &&
        !blockedReason(g),
    );
    if (units.length === 0)
      throw new PrunefiError(
        'PRUNE',
        'no MLP hidden units can be removed (no removable channels between matrix products)',
      );
    return runFilterMethod({ ...ctx, channels: { ...analysis, groups: units } }, (v, d, a) =>
      filterNorms(v, d, a, 1),
    );
  },
};
