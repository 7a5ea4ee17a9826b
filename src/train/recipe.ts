/**
 * The training recipe: one type, with one set of field names, for every stage that trains
 * (`prunefi train`, pruning methods that train, fine-tuning, study steps), and its defaults.
 * Other stages derive their recipes from it (`Omit`, `Partial`) rather than declaring their own,
 * so a setting means the same wherever it is written.
 *
 * Defaults for training from scratch, chosen by the kind of data when the user gives none.
 * Measured with `prunefi train` on this project's data (see README, Training):
 * - small grey images (MNIST-like, ≤ 32×32, 1 channel): AdamW lr 2e-3, batch 16, one-cycle,
 *   weight decay 5e-4, no augmentation (flips and shifts corrupt digits) — LeNet-5 reaches
 *   97.3% on the 2 004 test digits of the mnist package in 3 epochs;
 * - colour images (CIFAR-like): SGD momentum 0.9, one-cycle with peak lr 0.05, batch 128,
 *   weight decay 5e-4, random crop (padding 4) and horizontal flip, as the PyTorch recipes the
 *   shared models were trained with.
 */
import type { ImageSet } from '../data/types.js';
import type { TrainSet } from './samples.js';

/** Everything besides data, masks and hooks that determines a training run's result (hashed into checkpoints). */
export interface TrainRecipe {
  /** Passes over the training set. */
  epochs: number;
  /** Samples per training step. */
  batchSize: number;
  /** Name in the `optimizers` registry (src/train/optim.ts). */
  optimizer: string;
  /** Learning rate (one-cycle: its peak). */
  lr: number;
  /** SGD momentum or AdamW β1. Absent: 0.9 (the `optimizers` entries' default). */
  momentum?: number;
  /** Weight decay, decoupled for AdamW. Absent: the optimizer's default (SGD 0, AdamW 0.01, as PyTorch). */
  weightDecay?: number;
  /** Nesterov momentum (SGD only). Absent: off. */
  nesterov?: boolean;
  /** Name in the `schedules` registry (src/train/schedule.ts). */
  schedule: string;
  /** Linear warm-up length in epochs (may be fractional; onecycle: the length of its rise). Absent: none. */
  warmupEpochs?: number;
  /** step schedule: decay period in epochs and factor. Absent: a third of the epochs, 0.1. */
  stepEpochs?: number;
  gamma?: number;
  /** Cross-entropy label smoothing in [0, 1). Absent: none. */
  labelSmoothing?: number;
  /** Seed of shuffling, augmentation and dropout. */
  seed: number | string;
  /** Random crop with this zero padding (0: none) and horizontal flips. Absent: none. */
  augment?: { padding: number; flip: boolean };
}

/**
 * The augmentation a training set gets unless told otherwise: random crop (padding 4) and
 * horizontal flip for colour images, as the PyTorch CIFAR recipes; none for grey images (flips
 * and shifts corrupt digits) or tensor sets (token ids have no geometry).
 */
export function defaultAugment(set: TrainSet | Pick<ImageSet, 'shape'>): TrainRecipe['augment'] {
  return 'shape' in set && set.shape[0] === 3 ? { padding: 4, flip: true } : undefined;
}

/** The default recipe for training from scratch on a set of images (see the module comment for the choices). */
export function defaultRecipe(set: Pick<ImageSet, 'shape'>): Omit<TrainRecipe, 'epochs' | 'seed'> {
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
  const augment = defaultAugment(set);
  return {
    optimizer: 'sgd',
    lr: 0.05,
    batchSize: 128,
    momentum: 0.9,
    weightDecay: 5e-4,
    schedule: 'onecycle',
    ...(augment ? { augment } : {}),
  };
}

/**
 * The recipe for tensor datasets (token ids and masks): AdamW, lr 1e-3, batch 32, weight decay
 * 0.01 (transformer practice: decay is decoupled and small), one-cycle, no augmentation. Suited
 * to small encoders trained from scratch; fine-tuning a pretrained one wants a much smaller
 * rate (Hugging Face's Trainer defaults to 5e-5): pass --lr.
 */
export function tensorRecipe(): Omit<TrainRecipe, 'epochs' | 'seed'> {
  return {
    optimizer: 'adamw',
    lr: 1e-3,
    batchSize: 32,
    momentum: 0.9,
    weightDecay: 0.01,
    schedule: 'onecycle',
  };
}

/**
 * The recipe of fine-tuning after pruning, and of the pruning methods that train, when the user
 * gives none: SGD with momentum 0.9 and weight decay 5e-4, batch 128, one-cycle at peak lr 0.01
 * (a fifth of the colour-image training rate: the weights are trained already). The epochs are
 * the caller's budget; augmentation is left to `defaultAugment`.
 */
export const FINETUNE_RECIPE = {
  batchSize: 128,
  optimizer: 'sgd',
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: 'onecycle',
} satisfies Omit<TrainRecipe, 'epochs' | 'seed'>;
