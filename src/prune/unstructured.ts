/**
 * Unstructured and N:M masks from per-weight scores: the shared machinery of magnitude, random
 * and the pruning-at-initialization methods (which differ only in how they score).
 */
import { mustGet, nth } from '../core/checked.js';
import type { Graph } from '../onnx/ir.js';
import { toFloat32 } from '../onnx/tensor.js';
import { countToPrune, maskLowest, type Scores } from './masks.js';
import type { PruneTarget } from './targets.js';
import type { Masks, Scope } from './types.js';

/** |w| of a target's weights (Han et al. 2015's criterion). */
export function magnitudeScores(graph: Graph, target: PruneTarget): Float32Array {
  const w = toFloat32(mustGet(graph.initializers, target.weight));
  const s = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) s[i] = Math.abs(w[i]!);
  return s;
}

/**
 * Masks that remove the lowest-scored weights. With scope 'layer' each target loses its own
 * fraction; with 'global' the targets without a per-layer override share one threshold (one
 * count over the pooled weights, as torch.nn.utils.prune.global_unstructured), and overridden
 * targets are cut alone at their own fraction.
 */
export function unstructuredMasks(
  targets: readonly PruneTarget[],
  scores: readonly Scores[],
  scope: Scope,
): Masks {
  const masks: Masks = new Map();
  const pooled: number[] = [];
  targets.forEach((t, i) => {
    if (scope === 'global' && !t.overridden) {
      pooled.push(i);
      return;
    }
    const s = nth(scores, i);
    masks.set(t.weight, nth(maskLowest([s], countToPrune(t.sparsity, s.length)), 0));
  });
  if (pooled.length > 0) {
    const pools = pooled.map((i) => nth(scores, i));
    const total = pools.reduce((a, p) => a + p.length, 0);
    const k = countToPrune(nth(targets, nth(pooled, 0)).sparsity, total);
    maskLowest(pools, k).forEach((m, j) => {
      masks.set(nth(targets, nth(pooled, j)).weight, m);
    });
  }
  return masks;
}

/**
 * The axis of a weight tensor that is contracted with the layer's input (Conv: 1 of
 * [out, in, kh, kw]; Gemm with transB: 1; MatMul and Gemm without: 0): N:M groups run along it,
 * as NVIDIA's sparse tensor cores and torch.ao's semi-structured sparsity require.
 */
export function inputAxis(target: PruneTarget): number {
  return 1 - target.layer.outAxis;
}

/**
 * An N:M mask: in every run of `m` consecutive weights along the input axis (for each output
 * channel and kernel position) the `n` largest scores are kept. Ties keep the earlier weight.
 * Returns undefined when the input dimension is not a multiple of m (the layer cannot be
 * expressed in the hardware format and is left dense, as NVIDIA's ASP does).
 */
export function nmMask(
  scores: Scores,
  dims: readonly number[],
  axis: number,
  n: number,
  m: number,
): Uint8Array | undefined {
  const size = nth(dims, axis);
  if (size % m !== 0) return undefined;
  let stride = 1;
  for (let i = axis + 1; i < dims.length; i++) stride *= nth(dims, i);
  const outer = scores.length / (size * stride);
  const mask = new Uint8Array(scores.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < stride; j++) {
      for (let g = 0; g < size; g += m) {
        const base = (o * size + g) * stride + j;
        // n rounds of "largest not yet kept"; strict > keeps the earlier weight on ties.
        for (let r = 0; r < n; r++) {
          let best = -1;
          for (let q = 0; q < m; q++) {
            const i = base + q * stride;
            if (!mask[i] && (best < 0 || scores[i]! > scores[best]!)) best = i;
          }
          mask[best] = 1;
        }
      }
    }
  }
  return mask;
}
