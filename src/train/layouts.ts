/**
 * Conv kernels rearranged in TypeScript before every run, fed to the training graph as extra
 * inputs (ONNX Runtime's Slice with negative steps and its 4-D/5-D Transposes are slow, and a
 * kernel is small next to the activations): the flipped kernel of the stride-1 input gradient and
 * the taps-major kernel of lowered convolutions.
 */
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
  const [co, cig] = [dims[0]!, dims[1]!];
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

/**
 * W [Co, Ci, ...k] → [Co, K, Ci] (kernel taps before input channels), for lowered Convs; with
 * `zeroTap`, [Co, K + 1, Ci] whose last tap is zero.
 */
export function tapsMajorConvWeight(
  w: FloatArray,
  dims: readonly number[],
  out?: FloatArray,
  zeroTap = false,
): FloatArray {
  const [co, ci] = [dims[0]!, dims[1]!];
  const kk = numel(dims.slice(2));
  const taps = zeroTap ? kk + 1 : kk;
  const size = co * taps * ci;
  const res =
    out && out.length === size && out.constructor === w.constructor
      ? out
      : w instanceof Float64Array
        ? new Float64Array(size)
        : new Float32Array(size);
  for (let o = 0; o < co; o++) {
    const src = o * ci * kk;
    const dst = o * taps * ci;
    for (let i = 0; i < ci; i++) for (let k = 0; k < kk; k++) res[dst + k * ci + i] = w[src + i * kk + k]!;
    if (zeroTap) res.fill(0, dst + kk * ci, dst + taps * ci);
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
  return d.kind === 'flipped'
    ? flipConvWeight(w, dims, d.group, out)
    : tapsMajorConvWeight(w, dims, out, d.zeroTap ?? false);
}
