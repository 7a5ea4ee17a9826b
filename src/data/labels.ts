/** Relabelling an image set by class name, so its labels mean what a model's outputs mean. */
import { PrunefiError } from '../core/errors.js';
import { imageSetHash } from './cache.js';
import type { ImageSet } from './types.js';

/**
 * `set` with each image labelled by its class's position in `names` (classes become `names`), or
 * `set` itself when its classes already are `names` in order. Every class of the set must be in
 * `names` (callers check this against the model first and say what to pass).
 */
export function relabel(set: ImageSet, names: readonly string[]): ImageSet {
  if (names.length === set.classes.length && names.every((n, i) => n === set.classes[i])) return set;
  if (names.length > 256)
    throw new PrunefiError(
      'DATA_INVALID',
      `${names.length} class names are more than the 256 labels prunefi stores per image (one byte)`,
    );
  const map = set.classes.map((c) => {
    const i = names.indexOf(c);
    if (i < 0) throw new RangeError(`class '${c}' of ${set.name} is not in the names to relabel by`);
    return i;
  });
  const labels = Uint8Array.from(set.labels, (l) => {
    const to = map[l];
    if (to === undefined)
      throw new RangeError(`label ${l} of ${set.name} is not below its ${map.length} classes`);
    return to;
  });
  return { ...set, classes: names, labels, hash: imageSetHash(set.shape, set.images, labels) };
}
