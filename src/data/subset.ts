/**
 * Choosing fixed image subsets: the first n images of each class (the subset PyTorch baselines
 * take from class-sorted folders), a class-balanced `--limit`, and copying a subset out as its own
 * ImageSet.
 */
import { imageSetHash } from './cache.js';
import type { ImageSet } from './types.js';

/** Throws RangeError unless `i` is the index of an image of `set`. */
export function checkIndex(set: ImageSet, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= set.count) {
    throw new RangeError(`image index ${i} is outside ${set.name} (${set.count} images)`);
  }
}

function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/**
 * Indices of the first `n` images of each class in set order, grouped by class (class 0's, then
 * class 1's, ...). On a class-sorted image folder this is exactly `load_images(n)` of
 * ../shared/bench/torch_baseline.py. A class with fewer than n images contributes all it has.
 */
export function firstPerClass(set: ImageSet, n: number): Int32Array {
  checkCount('images per class', n);
  const k = set.classes.length;
  const taken = new Int32Array(k);
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < set.count; i++) {
    const c = set.labels[i]!;
    if (taken[c]! < n) {
      taken[c]!++;
      byClass[c]!.push(i);
    }
  }
  return Int32Array.from(byClass.flat());
}

/**
 * Indices of `limit` images spread evenly over the classes: classes take turns (in label order)
 * giving their next image in set order, so every class gets ⌊limit/k⌋ or one more, and a class
 * that runs out leaves its turns to the others. Returned in set order. With limit = n·k on a
 * class-sorted set this selects the same images as `firstPerClass(set, n)`.
 */
export function balancedIndices(set: ImageSet, limit: number): Int32Array {
  checkCount('limit', limit);
  if (limit >= set.count) return Int32Array.from({ length: set.count }, (_, i) => i);
  const k = set.classes.length;
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < set.count; i++) byClass[set.labels[i]!]!.push(i);
  const next = new Int32Array(k);
  const out: number[] = [];
  while (out.length < limit) {
    for (let c = 0; c < k && out.length < limit; c++) {
      const list = byClass[c]!;
      if (next[c]! < list.length) out.push(list[next[c]!++]!);
    }
  }
  return Int32Array.from(out).sort();
}

/**
 * A new ImageSet holding the images at `indices`, in that order (its own copy of the pixels and
 * a new content hash). Throws RangeError for an index outside the set.
 */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const images = new Uint8Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    checkIndex(set, i);
    images.set(set.images.subarray(i * per, (i + 1) * per), j * per);
    labels[j] = set.labels[i]!;
  }
  return {
    ...set,
    count: indices.length,
    images,
    labels,
    hash: imageSetHash(set.shape, images, labels),
  };
}
