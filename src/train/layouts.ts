/**
 * Conv kernels rearranged in TypeScript before every run, fed to the training graph as extra
 * inputs (ONNX Runtime's Slice with negative steps and its 4-D/5-D Transposes are slow, and a
 * kernel is small next to the activations): the flipped kernel of the stride-1 input gradient.
 * (Lowered Convs' taps-major kernels are computed in the graph: see lowered.ts.)
 */
import { nth } from '../core/checked.js';
import { numel } from '../onnx/tensor.js';
import type { DerivedInput } from './autodiff/context.js';
import type { FloatArray } from './weights.js';

function output(w: FloatArray, out?: FloatArray): FloatArray {
  return out && out.length === w.length && out.constructor === w.constructor
    ? out
    : (w.slice() as FloatArray);
}

/**
 * The kernel of a Conv's stride-1 input gradient: W [Co, Ci/g, ...k] → [Ci, Co/g, ...k] with
 * input and output channels swapped within each group and the kernel reversed in space (which
 * is reversing its flattened spatial index). Writes into `out` when it has the right size.
 */
export function flipConvWeight(
  w: FloatArray,
  dims: readonly number[],
  group: number,
  out?: FloatArray,
): FloatArray {
  const [co, cig] = [nth(dims, 0), nth(dims, 1)];
  const kk = numel(dims.slice(2));
  const cog = co / group;
  const res = output(w, out);
  for (let o = 0; o < co; o++) {
    const gi = Math.floor(o / cog);
    const oo = o % cog;
    for (let i = 0; i < cig; i++) {
      const src = (o * cig + i) * kk;
      const dst = ((gi * cig + i) * cog + oo) * kk + kk - 1;
      for (let k = 0; k < kk; k++) res[dst - k] = w[src + k]!;
    }
  }
  return res;
}

/** Computes a derived input from its source weight (see DerivedInput). */
export function deriveInput(
  d: DerivedInput,
  w: FloatArray,
  dims: readonly number[],
  out?: FloatArray,
): FloatArray {
  return flipConvWeight(w, dims, d.group, out);
}
