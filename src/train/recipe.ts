/**
 * Default recipes, chosen by the kind of data when the user gives none. Measured with
 * `prunefi train` on this project's data (see README, Training):
 * - small grey images (MNIST-like, ≤ 32×32, 1 channel): AdamW lr 2e-3, batch 16, one-cycle,
 *   weight decay 5e-4, no augmentation (flips and shifts corrupt digits) — LeNet-5 reaches
 *   97.3% on the 2 004 test digits of the mnist package in 3 epochs;
 * - colour images (CIFAR-like): SGD momentum 0.9, one-cycle with peak lr 0.05, batch 128,
 *   weight decay 5e-4, random crop (padding 4) and horizontal flip, as the PyTorch recipes the
 *   shared models were trained with.
 */
import type { ImageSet } from '../data/types.js';
import type { TrainConfig } from './loop.js';

/** The recipe fields a preset fills in. */
export type Recipe = Omit<TrainConfig, 'epochs' | 'seed'>;

/** The default recipe for a training set (see the module comment for the choices). */
export function defaultRecipe(set: Pick<ImageSet, 'shape'>): Recipe {
  const [c, h, w] = set.shape;
  if (c === 1 && h <= 32 && w <= 32) {
    return {
      optimizer: 'adamw',
      lr: 2e-3,
      batchSize: 16,
      momentum: 0.9,
      weightDecay: 5e-4,
      schedule: 'onecycle',
    };
  }
  return {
    optimizer: 'sgd',
    lr: 0.05,
    batchSize: 128,
    momentum: 0.9,
    weightDecay: 5e-4,
    schedule: 'onecycle',
    ...(c === 3 ? { augment: { padding: 4, flip: true } } : {}),
  };
}

/**
 * The recipe for tensor datasets (token ids and masks): AdamW, lr 1e-3, batch 32, weight decay
 * 0.01 (transformer practice: decay is decoupled and small), one-cycle, no augmentation. Suited
 * to small encoders trained from scratch; fine-tuning a pretrained one wants a much smaller
 * rate (Hugging Face's Trainer defaults to 5e-5): pass --lr.
 */
export function tensorRecipe(): Recipe {
  return {
    optimizer: 'adamw',
    lr: 1e-3,
    batchSize: 32,
    momentum: 0.9,
    weightDecay: 0.01,
    schedule: 'onecycle',
  };
}
