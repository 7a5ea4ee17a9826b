/**
 * A tiny learnable image set for the pruning tests that train: class k has a bright patch in a
 * class-specific place, plus seeded noise, so a few SGD steps separate the classes.
 */
import { Rng } from '../../src/core/rng.js';
import { imageSetHash } from '../../src/data/cache.js';
import type { ImageSet } from '../../src/data/types.js';
import type { TrainingSetup } from '../../src/prune/training.js';
import { FINETUNE_RECIPE } from '../../src/train/recipe.js';

/** `count` images of [c, hw, hw] in `classes` classes. */
export function tinySet(count: number, c: number, hw: number, classes: number, seed = 1): ImageSet {
  const rng = Rng.seeded(seed);
  const px = c * hw * hw;
  const images = new Uint8Array(count * px);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const k = n % classes;
    labels[n] = k;
    for (let i = 0; i < px; i++) images[n * px + i] = rng.int(80);
    const y0 = Math.floor((k * hw) / classes);
    for (let ch = 0; ch < c; ch++)
      for (let y = y0; y < Math.min(hw, y0 + 2); y++)
        for (let x = 0; x < hw; x++) images[n * px + (ch * hw + y) * hw + x] = 200 + rng.int(55);
  }
  const shape = [c, hw, hw] as const;
  return {
    name: `tiny:${seed}`,
    split: 'train',
    count,
    shape,
    classes: Array.from({ length: classes }, (_, i) => `c${i}`),
    images,
    labels,
    normalization: { name: 'none', mean: [0], std: [1] },
    hash: imageSetHash(shape, images, labels),
  };
}

/** A training setup over `set` with small batches and a constant learning rate. */
export function tinySetup(set: ImageSet, lr = 0.05): TrainingSetup {
  return {
    train: set,
    test: set,
    recipe: {
      ...FINETUNE_RECIPE,
      batchSize: 8,
      lr,
      schedule: 'constant',
      augment: { padding: 0, flip: false },
    },
    threads: 1,
  };
}
