/**
 * Wanda (Sun, Liu, Bair, Kolter 2024, "A Simple and Effective Pruning Approach for Large
 * Language Models"): a weight's score is |w| · ‖x_k‖, the magnitude times the L2 norm of the
 * input feature it multiplies over calibration samples, and each output row keeps its highest
 * scores (the paper's per-output comparison group). No gradients, no retraining. For Conv layers
 * the feature is the input channel (its norm over samples and positions).
 */
import { mustGet, nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { cloneModel } from '../onnx/graph.js';
import { getInt } from '../onnx/ir.js';
import { numel, toFloat32 } from '../onnx/tensor.js';
import { createSession } from '../runtime/session.js';
import { sampleBatches } from '../train/samples.js';
import { setupOf } from './saliency.js';
import type { PruneTarget } from './targets.js';
import type { Masks, MethodContext, MethodResult, PruneMethod } from './types.js';

/** Squared L2 norm of every input feature of each target's layer, over the calibration samples. */
async function featureNorms(ctx: MethodContext, samples: number): Promise<Float64Array[]> {
  const setup = setupOf(ctx);
  const g = ctx.model.graph;
  const inputs = ctx.targets.map((t) => nth(t.layer.node.inputs, 0));
  const probe = cloneModel(ctx.model);
  const data = g.inputs.find((v) => !g.initializers.has(v.name))!.name;
  // The first layer reads the graph input itself: it is fed, not fetched.
  const have = new Set([...g.outputs.map((o) => o.name), ...g.inputs.map((v) => v.name)]);
  const fetch = [...new Set(inputs)].filter((v) => !have.has(v));
  probe.graph.outputs = [...g.outputs, ...fetch.map((name) => ({ name, elemType: 'float32' as const }))];
  const session = await createSession(probe, setup.threads !== undefined ? { threads: setup.threads } : {});
  const sums = ctx.targets.map(
    (t) => new Float64Array(featureCount(t, mustGet(g.initializers, t.weight).dims)),
  );
  let seen = 0;
  try {
    for (const b of sampleBatches(setup.train, data, {
      batchSize: setup.recipe.batchSize,
      shuffle: Rng.seeded(ctx.options.seed).split('wanda'),
    })) {
      if (seen >= samples) break;
      const out = {
        ...b.feeds,
        ...(await session.run(b.feeds, fetch.length ? fetch : [nth(g.outputs, 0).name])),
      };
      ctx.targets.forEach((t, i) => {
        const x = out[inputs[i]!]!;
        const v = toFloat32(x);
        const s = sums[i]!;
        // Conv: channel axis 1 of [N, C, H, W]; matrix products: the last axis.
        const conv = t.layer.node.opType === 'Conv';
        const inner = conv ? numel(x.dims.slice(2)) : 1;
        const k = s.length;
        for (let p = 0; p < v.length; p++) {
          const f = conv ? Math.floor(p / inner) % k : p % k;
          s[f] = s[f]! + v[p]! * v[p]!;
        }
      });
      seen += b.y.length;
    }
  } finally {
    await session.release();
  }
  return sums;
}

/** Input features of a layer: Conv input channels, or the shared dim K of a matrix product. */
function featureCount(t: PruneTarget, dims: readonly number[]): number {
  const n = t.layer.node;
  if (n.opType === 'Conv') return nth(dims, 1) * getInt(n, 'group', 1);
  return t.layer.outAxis === 1 ? nth(dims, 0) : nth(dims, 1);
}

/** Output row and input feature of every weight of a target. */
function coordinates(
  t: PruneTarget,
  dims: readonly number[],
): { rows: number; row: Int32Array; feature: Int32Array } {
  const size = numel(dims);
  const row = new Int32Array(size);
  const feature = new Int32Array(size);
  const n = t.layer.node;
  if (n.opType === 'Conv') {
    const [o, cg] = dims as [number, number];
    const k = size / (o * cg);
    const group = getInt(n, 'group', 1);
    for (let p = 0; p < size; p++) {
      row[p] = Math.floor(p / (cg * k));
      feature[p] = Math.floor(row[p]! / (o / group)) * cg + (Math.floor(p / k) % cg);
    }
    return { rows: o, row, feature };
  }
  const [a, b] = dims as [number, number];
  for (let p = 0; p < size; p++) {
    // outAxis 1: W[k, o] (MatMul, Gemm transB = 0); else W[o, k].
    row[p] = t.layer.outAxis === 1 ? p % b : Math.floor(p / b);
    feature[p] = t.layer.outAxis === 1 ? Math.floor(p / b) : p % b;
  }
  return { rows: t.layer.outAxis === 1 ? b : a, row, feature };
}

/** The Wanda masks: per output row, the lowest |w|·‖x‖ go. */
function wandaMasks(ctx: MethodContext, norms: Float64Array[]): Masks {
  const masks: Masks = new Map();
  ctx.targets.forEach((t, i) => {
    const tensor = mustGet(ctx.model.graph.initializers, t.weight);
    const w = toFloat32(tensor);
    const { rows, row, feature } = coordinates(t, tensor.dims);
    const byRow: number[][] = Array.from({ length: rows }, () => []);
    for (let p = 0; p < w.length; p++) byRow[row[p]!]!.push(p);
    const m = new Uint8Array(w.length).fill(1);
    const norm = nth(norms, i);
    const score = (p: number) => Math.abs(w[p]!) * Math.sqrt(norm[feature[p]!]!);
    for (const ps of byRow) {
      const drop = Math.round(t.sparsity * ps.length);
      ps.sort((x, y) => score(x) - score(y) || x - y);
      for (const p of ps.slice(0, drop)) m[p] = 0;
    }
    masks.set(t.weight, m);
  });
  return masks;
}

/** Wanda: the method registry entry. */
export const wanda: PruneMethod = {
  name: 'wanda',
  description:
    'remove, per output row, the weights of smallest |w|·‖x‖ (activation-aware magnitude) on calibration samples',
  reference: 'Sun, Liu, Bair, Kolter 2024, A Simple and Effective Pruning Approach for Large Language Models',
  granularity: 'unstructured',
  defaultScope: 'layer',
  scopes: ['layer'],
  needsData: true,
  needsGradients: false,
  needsTraining: false,
  options: {
    samples: {
      type: 'int',
      description: 'calibration samples the input norms are measured on',
      default: 128,
      min: 1,
    },
  },
  async run(ctx): Promise<MethodResult> {
    const unsupported = ctx.targets.find((t) => !['Conv', 'Gemm', 'MatMul'].includes(t.layer.node.opType));
    if (unsupported) {
      throw new PrunefiError(
        'PRUNE',
        `wanda scores Conv, Gemm and MatMul weights; '${unsupported.weight}' feeds a ${unsupported.layer.node.opType}`,
      );
    }
    const norms = await featureNorms(ctx, ctx.options.method.samples as number);
    return { masks: wandaMasks(ctx, norms), notes: [] };
  },
};
