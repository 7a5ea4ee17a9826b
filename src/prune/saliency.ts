/**
 * Gradient-based criteria: SNIP (Lee et al. 2019), GraSP (Wang et al. 2020), SynFlow (Tanaka
 * et al. 2020), all global unstructured as Frankle et al. 2021 compare them, and first-order
 * Taylor filter importance (Molchanov et al. 2019).
 */
import { mustGet, nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import { cloneModel } from '../onnx/graph.js';
import { imageInput, logitsOutput } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import { f32, numel, toFloat32 } from '../onnx/tensor.js';
import { trainableParameters } from '../train/autodiff/graph.js';
import { hessianVectorProduct } from '../train/hvp.js';
import { GradientSession } from '../train/session.js';
import type { FloatArray } from '../train/weights.js';
import { type ChannelAnalysis, type ChannelGroup, channelOfEntries } from './channels.js';
import { groupTargets, selectChannels } from './filters.js';
import { planMasks } from './remove.js';
import type { PruneTarget } from './targets.js';
import { forEachSaliencyBatch, meanGradients, type TrainingSetup } from './training.js';
import type { Masks, MethodContext, MethodResult, PruneMethod } from './types.js';
import { unstructuredMasks } from './unstructured.js';

/** The training setup of a method that needs data; pruneModel guarantees it. */
export function setupOf(ctx: MethodContext): TrainingSetup {
  if (!ctx.setup) throw new Error('this pruning method needs a training setup in its context');
  return ctx.setup;
}

function weightsOf(model: Model, name: string): Float32Array {
  return toFloat32(mustGet(model.graph.initializers, name));
}

const SALIENCY_BASE = {
  granularity: 'unstructured',
  defaultScope: 'global',
  scopes: ['global', 'layer'],
  needsData: true,
  needsGradients: true,
  needsTraining: false,
} as const;

const BATCHES = {
  type: 'int',
  description: 'training batches the gradients are averaged over',
  default: 1,
  min: 1,
} as const;

/** SNIP's connection sensitivity |g ⊙ θ| of every target weight. */
export async function snipScores(ctx: MethodContext): Promise<Float64Array[]> {
  const s = setupOf(ctx);
  const wrt = ctx.targets.map((t) => t.weight);
  const g = await meanGradients(ctx.model, s.train, {
    wrt,
    batches: ctx.options.method.batches as number,
    batchSize: s.recipe.batchSize,
    seed: ctx.options.seed,
  });
  return wrt.map((w) => {
    const theta = weightsOf(ctx.model, w);
    const gw = mustGet(g, w);
    return Float64Array.from(theta, (v, i) => Math.abs(v * gw[i]!));
  });
}

/** SNIP: single-shot pruning by connection sensitivity. */
export const snip: PruneMethod = {
  ...SALIENCY_BASE,
  name: 'snip',
  description: 'remove the weights of smallest connection sensitivity |θ ⊙ ∂L/∂θ| on training batches',
  reference: 'Lee, Ajanthan, Torr 2019, SNIP: Single-shot Network Pruning based on Connection Sensitivity',
  options: { batches: BATCHES },
  async run(ctx) {
    return { masks: unstructuredMasks(ctx.targets, await snipScores(ctx), ctx.options.scope), notes: [] };
  },
};

/** A copy of the model whose logits are divided by `t` (GraSP's temperature). */
export function withTemperature(model: Model, t: number): Model {
  const m = cloneModel(model);
  const out = logitsOutput(m);
  const g = m.graph;
  const scaled = `${out.name}/temperature`;
  const k = `${out.name}/inverse_temperature`;
  g.initializers.set(k, f32([], [1 / t]));
  for (const n of g.nodes) n.outputs = n.outputs.map((o) => (o === out.name ? scaled : o));
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === out.name ? scaled : i));
  g.nodes.push({
    name: '/prunefi/temperature',
    opType: 'Mul',
    domain: '',
    inputs: [scaled, k],
    outputs: [out.name],
    attributes: {},
  });
  return m;
}

/**
 * GraSP's scores θ ⊙ Hg, with g the loss gradient and H the Hessian of the loss on the same
 * batches (logits divided by the temperature). Hg is the batches' mean of central finite
 * differences of gradients (`hessianVectorProduct`), (∇L(θ + εg) − ∇L(θ − εg)) / 2ε with
 * ε = 1e-3·‖θ‖/‖g‖, since the runtime has no second-order ops. Removing the lowest θ ⊙ Hg is removing the highest −θ ⊙ Hg, the weights whose removal
 * least reduces the gradient flow (Wang et al. 2020, eq. 8).
 */
export async function graspScores(ctx: MethodContext): Promise<Float64Array[]> {
  const s = setupOf(ctx);
  const model = withTemperature(ctx.model, ctx.options.method.temperature as number);
  const wrt = ctx.targets.map((t) => t.weight);
  const opts = {
    wrt,
    batches: ctx.options.method.batches as number,
    batchSize: s.recipe.batchSize,
    seed: ctx.options.seed,
  };
  const g = await meanGradients(model, s.train, opts);
  let thetaNorm = 0;
  let gNorm = 0;
  for (const w of wrt) {
    for (const v of weightsOf(model, w)) thetaNorm += v * v;
    for (const v of g.get(w)!) gNorm += v * v;
  }
  if (gNorm === 0)
    throw new PrunefiError(
      'PRUNE',
      'GraSP: the loss gradient is zero on these batches; the scores are undefined',
    );
  const epsilon = (1e-3 * Math.sqrt(thetaNorm)) / Math.sqrt(gNorm);
  const hg = new Map(wrt.map((w) => [w, new Float64Array(mustGet(g, w).length)]));
  const n = await forEachSaliencyBatch(model, s.train, opts, async (session, batch) => {
    const { hv } = await hessianVectorProduct(session, batch, g, { epsilon });
    for (const [w, sum] of hg) {
      const h = mustGet(hv, w);
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + h[i]!;
    }
  });
  return wrt.map((w) => {
    const theta = weightsOf(model, w);
    const h = mustGet(hg, w);
    return Float64Array.from(theta, (v, i) => (v * h[i]!) / n);
  });
}

/** GraSP: keep the weights that preserve gradient flow. */
export const grasp: PruneMethod = {
  ...SALIENCY_BASE,
  name: 'grasp',
  description:
    'remove the weights whose removal least reduces gradient flow (−θ ⊙ Hg, Hessian-gradient product)',
  reference: 'Wang, Zhang, Grosse 2020, Picking Winning Tickets Before Training by Preserving Gradient Flow',
  options: {
    batches: BATCHES,
    temperature: {
      type: 'number',
      description: 'logits are divided by this before the loss',
      default: 200,
      min: 1e-6,
    },
  },
  async run(ctx) {
    return { masks: unstructuredMasks(ctx.targets, await graspScores(ctx), ctx.options.scope), notes: [] };
  },
};

/** |θ| of every tensor of a SynFlow session (the same in every round). */
const absCache = new WeakMap<GradientSession, Map<string, FloatArray>>();

/**
 * SynFlow's scores |θ ⊙ ∂R/∂θ| under `masks`, where R is the sum of the outputs of the network
 * with every floating-point tensor replaced by its absolute value (Tanaka's linearization, which
 * includes BatchNorm statistics) and masked weights zero, on one all-ones input.
 */

export async function synflowScores(
  session: GradientSession,
  model: Model,
  targets: readonly PruneTarget[],
  masks: Masks,
): Promise<Float64Array[]> {
  const input = imageInput(model);
  const dims = (input.shape ?? []).map((d, i) =>
    typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : Number.NaN,
  );
  if (dims.length < 2 || dims.some((d) => Number.isNaN(d))) {
    throw new PrunefiError(
      'PRUNE',
      `SynFlow needs the input shape of '${input.name}'; the model declares [${input.shape}]`,
    );
  }
  dims[0] = 1;
  // |θ| of everything is the same every round: compute it once per session.
  let abs = absCache.get(session);
  if (!abs) {
    abs = new Map(session.weights.names().map((n) => [n, session.weights.get(n).map(Math.abs)]));
    absCache.set(session, abs);
  }
  const overrides = new Map(abs);
  for (const t of targets) {
    const a = mustGet(abs, t.weight).slice();
    overrides.set(t.weight, a);
    const m = mustGet(masks, t.weight);
    for (let i = 0; i < a.length; i++) if (!m[i]) a[i] = 0;
  }
  const out = await session.run({ x: f32(dims, new Float32Array(numel(dims)).fill(1)), overrides });
  if (!Number.isFinite(out.loss)) {
    throw new PrunefiError(
      'PRUNE',
      `SynFlow's R overflowed float32 (${out.loss}); the network is too deep for this input scale`,
    );
  }
  return targets.map((t) => {
    const a = mustGet(overrides, t.weight);
    const g = mustGet(out.grads, t.weight);
    return Float64Array.from(a, (v, i) => Math.abs(v * g[i]!));
  });
}

/** SynFlow: iterative, data-free pruning that conserves synaptic flow. */
export const synflow: PruneMethod = {
  ...SALIENCY_BASE,
  needsData: false,
  name: 'synflow',
  description: 'iterative data-free pruning by synaptic flow |θ ⊙ ∂R/∂θ|, exponential sparsity schedule',
  reference:
    'Tanaka, Kunin, Yamins, Ganguli 2020, Pruning Neural Networks without any Data by Iteratively Conserving Synaptic Flow',
  options: {
    iterations: {
      type: 'int',
      description: 'scoring rounds; round k keeps (1-s)^(k/n)',
      default: 100,
      min: 1,
    },
  },
  async run(ctx) {
    const n = ctx.options.method.iterations as number;
    const session = await GradientSession.create(ctx.model, {
      wrt: ctx.targets.map((t) => t.weight),
      objective: { kind: 'sum' },
      batchNorm: 'eval',
      dropout: false,
    });
    let masks: Masks = new Map(ctx.targets.map((t) => [t.weight, new Uint8Array(numel(t.dims)).fill(1)]));
    try {
      for (let k = 1; k <= n; k++) {
        const scores = await synflowScores(session, ctx.model, ctx.targets, masks);
        const step = ctx.targets.map((t) => ({ ...t, sparsity: 1 - (1 - t.sparsity) ** (k / n) }));
        masks = unstructuredMasks(step, scores, ctx.options.scope);
        ctx.onProgress?.({ unit: 'iterations', done: k, total: n, phase: 'synflow' });
      }
    } finally {
      await session.release();
    }
    return { masks, notes: [] };
  },
};

/**
 * Molchanov et al. 2019's first-order Taylor importance of each channel: per batch, the sum of
 * g·θ over every parameter of the channel (its filters in all producing layers, bias and
 * BatchNorm scale and shift), squared; averaged over batches. It estimates the squared loss
 * change when the channel is removed.
 */
export async function taylorScores(
  ctx: MethodContext,
  analysis: ChannelAnalysis,
  groups: readonly ChannelGroup[],
): Promise<Float64Array[]> {
  const s = setupOf(ctx);
  const params = new Set(trainableParameters(ctx.model.graph));
  const parts = groups.map((g) =>
    g.slices
      .filter((sl) => (sl.role === 'source' || sl.role === 'param') && params.has(sl.tensor))
      .map((sl) => ({ tensor: sl.tensor, channel: channelOfEntries(ctx.model.graph, sl, g.id, analysis) })),
  );
  const wrt = [...new Set(parts.flat().map((p) => p.tensor))];
  const imp = groups.map((g) => new Float64Array(g.size));
  const batchesUsed = ctx.options.method.batches as number;
  await meanGradients(
    ctx.model,
    s.train,
    { wrt, batches: batchesUsed, batchSize: s.recipe.batchSize, seed: ctx.options.seed },
    (grads) => {
      groups.forEach((g, gi) => {
        const sum = new Float64Array(g.size);
        for (const p of parts[gi]!) {
          const theta = weightsOf(ctx.model, p.tensor);
          const gr = grads.get(p.tensor)!;
          for (let i = 0; i < theta.length; i++) {
            const c = p.channel[i]!;
            if (c >= 0) sum[c] = sum[c]! + theta[i]! * gr[i]!;
          }
        }
        const acc = nth(imp, gi);
        for (let c = 0; c < g.size; c++) acc[c] = acc[c]! + (sum[c]! * sum[c]!) / batchesUsed;
      });
    },
  );
  return imp;
}

/** First-order Taylor filter pruning. */
export const taylor: PruneMethod = {
  name: 'taylor',
  description:
    'remove the channels of smallest first-order Taylor importance (Σ g·θ over the channel)², averaged over batches',
  reference: 'Molchanov, Mallya, Tyree, Frosio, Kautz 2019, Importance Estimation for Neural Network Pruning',
  granularity: 'filter',
  defaultScope: 'global',
  scopes: ['global', 'layer'],
  needsData: true,
  needsGradients: true,
  needsTraining: false,
  options: { batches: { ...BATCHES, default: 10 } },
  async run(ctx): Promise<MethodResult> {
    const analysis = ctx.channels!;
    const { groups, notes } = groupTargets(analysis, ctx.targets);
    const scores = await taylorScores(
      ctx,
      analysis,
      groups.map((g) => g.group),
    );
    // Taylor importances estimate loss changes, comparable across layers: no normalization.
    const plan = selectChannels(groups, scores, ctx.options.scope, 'none');
    return { masks: planMasks(ctx.model, analysis, plan), plan, notes };
  },
};
