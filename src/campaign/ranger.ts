/**
 * Ranger-style activation range restriction (Chen et al. 2021, "A Low-cost Fault Corrector for
 * Deep Neural Networks through Range Restriction", DSN): a Clip node after every activation,
 * bounded by the largest (and, where the activation can be negative, the smallest) value that
 * activation produced on profiling images. A bit flip that makes an activation explode past
 * anything seen fault-free is cut back to the profiled range.
 *
 * Library functions only: `profileRangerBounds` then `withRanger` give the clipped model, which
 * campaigns can run like any other. It is not (yet) a `--protect` entry.
 */
import { PrunefiError } from '../core/errors.js';
import { cloneModel } from '../onnx/graph.js';
import { type Model, onnxOpset } from '../onnx/ir.js';
import { f32, type Tensor } from '../onnx/tensor.js';
import { createSession } from '../runtime/session.js';

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
 * negative (0 for Relu, its own range). One inference over all the images.
 */
export async function profileRangerBounds(model: Model, images: Tensor): Promise<RangerBound[]> {
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
  try {
    const out = await session.run(
      { [input.name]: images },
      acts.map((a) => a.tensor),
    );
    return acts.map((a) => {
      const data = (out[a.tensor]?.data ?? []) as Float32Array;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of data) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      return { tensor: a.tensor, min: a.negative ? min : 0, max };
    });
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
