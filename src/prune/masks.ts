/**
 * Keep-masks: choosing the k lowest-scored entries (per layer or pooled across layers), applying
 * masks to a graph's initializers, and measuring the sparsity they reach.
 */
import { nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import type { Graph } from '../onnx/ir.js';
import { toFloat32 } from '../onnx/tensor.js';
import type { Masks } from './types.js';

/** Scores of one pool member: higher means more important (kept longer). */
export type Scores = Float32Array | Float64Array;

/**
 * Number of entries to remove for a fraction of n, rounded to nearest as torch.nn.utils.prune
 * does (so 30% of 64 filters removes 19, as PyTorch would).
 */
export function countToPrune(sparsity: number, n: number): number {
  return Math.round(sparsity * n);
}

/**
 * Keep-masks that remove exactly `k` entries with the lowest scores across all `pools` taken
 * together (one pool: layer-wise; several: a global threshold). Ties at the threshold are broken
 * by position (earlier pools and indices first), so the result is deterministic. NaN scores are
 * an error: they mean the scoring overflowed, and no threshold is meaningful then.
 */
export function maskLowest(pools: readonly Scores[], k: number): Uint8Array[] {
  const total = pools.reduce((a, p) => a + p.length, 0);
  if (!Number.isInteger(k) || k < 0 || k > total)
    throw new RangeError(`cannot remove ${k} of ${total} entries`);
  const masks = pools.map((p) => new Uint8Array(p.length).fill(1));
  if (k === 0) return masks;
  const all = new Float64Array(total);
  let o = 0;
  for (const p of pools) {
    for (let i = 0; i < p.length; i++) {
      const v = p[i]!;
      if (Number.isNaN(v)) {
        throw new PrunefiError(
          'PRUNE',
          'pruning scores contain NaN (the scoring overflowed); lower the learning rate or use float64-safe scores',
        );
      }
      all[o++] = v;
    }
  }
  const threshold = kthSmallest(all, k - 1);
  let below = 0;
  for (let i = 0; i < total; i++) if (all[i]! < threshold) below++;
  let tiesLeft = k - below;
  pools.forEach((p, j) => {
    const m = nth(masks, j);
    for (let i = 0; i < p.length; i++) {
      const v = p[i]!;
      if (v < threshold) m[i] = 0;
      else if (v === threshold && tiesLeft > 0) {
        m[i] = 0;
        tiesLeft--;
      }
    }
  });
  return masks;
}

/**
 * The value of rank `r` (0-based) in ascending order, by quickselect with median-of-three pivots
 * (reorders `a`). Linear time: Node 20's TypedArray sort takes about 5 s for ResNet-18's 11 M
 * weights, quickselect a fraction of a second.
 */
export function kthSmallest(a: Float64Array, r: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else return a[r]!;
  }
  return a[r]!;
}

/** Fraction of zeros in a mask. */
export function maskSparsity(mask: Uint8Array): number {
  let z = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) z++;
  return mask.length ? z / mask.length : 0;
}

/**
 * Zeroes the masked entries of the graph's initializers in place. Works for every float storage
 * (float16/bfloat16 keep raw bit patterns, and +0.0 is the all-zero pattern in all of them).
 */
export function applyMasks(graph: Graph, masks: Masks): void {
  for (const [name, mask] of masks) {
    const t = graph.initializers.get(name);
    if (!t) throw new PrunefiError('PRUNE', `mask for '${name}', which is not an initializer of the model`);
    if (t.data.length !== mask.length) {
      throw new PrunefiError(
        'PRUNE',
        `mask for '${name}' has ${mask.length} entries but the tensor has ${t.data.length}`,
      );
    }
    const d = t.data as { [i: number]: number | bigint; length: number };
    const zero = typeof d[0] === 'bigint' ? 0n : 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 0) d[i] = zero;
  }
}

/** The mask of the entries of a tensor that are currently non-zero (keeps earlier pruning). */
export function nonzeroMask(graph: Graph, name: string): Uint8Array {
  const t = graph.initializers.get(name);
  if (!t) throw new PrunefiError('PRUNE', `the model has no initializer '${name}'`);
  const v = toFloat32(t);
  const m = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) m[i] = v[i] === 0 ? 0 : 1;
  return m;
}
