/**
 * Ranger-style activation range restriction (Chen et al. 2021, "A Low-cost Fault Corrector for
 * Deep Neural Networks through Range Restriction", DSN): a Clip node after every activation,
 * bounded by the largest (and, where the activation can be negative, the smallest) value that
 * activation produced on profiling images. A bit flip that makes an activation explode past
 * anything seen fault-free is cut back to the profiled range.
 *
 * `profileRangerBounds` then `withRanger` give the clipped model, which campaigns run like any
 * other; `--protect ranger` does both for a campaign (`graph-protect.ts`).
 */
import { PrunefiError } from '../core/errors.js';
import { cloneModel } from '../onnx/graph.js';
import { type Model, onnxOpset } from '../onnx/ir.js';
import { f32, type Tensor } from '../onnx/tensor.js';
import { createSession } from '../runtime/session.js';
import { sampleRange } from './samples.js';

/**
 * The activations Ranger restricts, and whether each can output negative values (then the
 * profiled minimum is a lower bound too; a Relu's own lower bound, 0, stays). Bounded ones
 * (Sigmoid, Tanh, HardSigmoid, Clip) need no restriction and are left alone.
 */
export const RANGER_ACTIVATIONS: Readonly<Record<string, { negative: boolean }>> = {
  Relu: { negative: false },
  LeakyRelu: { negative: true },
  Elu: { negative: true },
  Selu: { negative: true },
  Celu: { negative: true },
  Gelu: { negative: true },
  HardSwish: { negative: true },
};

/** The profiled range of one activation tensor (by the name of the activation's output). */
export interface RangerBound {
  tensor: string;
  min: number;
  max: number;
}

function activations(model: Model): { tensor: string; negative: boolean }[] {
  return model.graph.nodes.flatMap((n) => {
    const act = n.domain === '' || n.domain === 'ai.onnx' ? RANGER_ACTIVATIONS[n.opType] : undefined;
    const tensor = n.outputs[0];
    return act && tensor !== undefined ? [{ tensor, negative: act.negative }] : [];
  });
}

/**
 * The golden range of every restricted activation on `images` (the model's first input, e.g.
 * training images): max over every element of every image, and min for activations that can be
 * negative (0 for Relu, its own range). Inference runs `batch` images at a time, so the
 * activations of a large profiling set never sit in memory at once; each image's activations
 * are the same float32 values in any batch, so the bounds do not depend on it.
 */
export async function profileRangerBounds(model: Model, images: Tensor, batch = 100): Promise<RangerBound[]> {
  const acts = activations(model);
  if (acts.length === 0)
    throw new PrunefiError(
      'ONNX_UNSUPPORTED',
      `Ranger restricts the outputs of ${Object.keys(RANGER_ACTIVATIONS).join(', ')}; this model has none of them`,
    );
  const probe = cloneModel(model);
  const declared = new Set(probe.graph.outputs.map((o) => o.name));
  for (const a of acts)
    if (!declared.has(a.tensor)) probe.graph.outputs.push({ name: a.tensor, elemType: 'float32' });
  const initializers = new Set(model.graph.initializers.keys());
  const input = model.graph.inputs.find((i) => !initializers.has(i.name));
  if (!input) throw new PrunefiError('ONNX_UNSUPPORTED', 'Ranger profiling needs a model with a data input');
  const session = await createSession(probe);
  const ranges = acts.map((a) => ({ ...a, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY }));
  const n = images.dims[0] ?? 0;
  const feeds = new Map([[input.name, images]]);
  try {
    for (let b = 0; b < n; b += batch) {
      const out = await session.run(
        sampleRange(feeds, b, Math.min(n, b + batch)),
        acts.map((a) => a.tensor),
      );
      for (const r of ranges) {
        for (const v of (out[r.tensor]?.data ?? []) as Float32Array) {
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
      }
    }
    return ranges.map((r) => ({ tensor: r.tensor, min: r.negative ? r.min : 0, max: r.max }));
  } finally {
    await session.release();
  }
}

/**
 * The model with a Clip(min, max) after each profiled activation. The activation's output is
 * renamed and the Clip takes its old name, so every consumer (and a graph output) reads the
 * clipped value without being rewritten. Clip takes its bounds as inputs from opset 11 on.
 */
export function withRanger(model: Model, bounds: readonly RangerBound[]): Model {
  if (onnxOpset(model) < 11)
    throw new PrunefiError(
      'ONNX_UNSUPPORTED',
      `Ranger inserts Clip nodes with bound inputs, which need opset 11 or later; this model imports opset ${onnxOpset(model)}: convert it to a newer opset first`,
    );
  const out = cloneModel(model);
  const g = out.graph;
  for (const b of bounds) {
    const at = g.nodes.findIndex((n) => n.outputs[0] === b.tensor);
    const node = g.nodes[at];
    if (!node)
      throw new PrunefiError(
        'ONNX_UNSUPPORTED',
        `Ranger bound for '${b.tensor}', which no node of this model outputs: profile this model's bounds`,
      );
    const raw = `${b.tensor}.ranger_in`;
    const lo = `${b.tensor}.ranger_min`;
    const hi = `${b.tensor}.ranger_max`;
    g.nodes[at] = { ...node, outputs: [raw, ...node.outputs.slice(1)] };
    g.initializers.set(lo, f32([], [b.min]));
    g.initializers.set(hi, f32([], [b.max]));
    g.nodes.splice(at + 1, 0, {
      name: `${b.tensor}.ranger`,
      opType: 'Clip',
      domain: '',
      inputs: [raw, lo, hi],
      outputs: [b.tensor],
      attributes: {},
    });
  }
  return out;
}
