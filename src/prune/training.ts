/**
 * What pruning needs from the training engine (src/train): a recipe for the methods that train
 * and for fine-tuning, gradients of the loss over a few batches, and fine-tuning with the pruned
 * weights held at zero.
 */

import { join } from 'node:path';
import { mustGet } from '../core/checked.js';
import { Rng } from '../core/rng.js';
import { cloneModel } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { trainableParameters } from '../train/autodiff/graph.js';
import type { Objective } from '../train/autodiff/objective.js';
import { type GradientHookArgs, type TrainProgress, type TrainResult, train } from '../train/loop.js';
import { defaultAugment, type TrainRecipe } from '../train/recipe.js';
import { sampleBatches, sampleShapes, type TrainSet } from '../train/samples.js';
import { GradientSession, type StepInputs } from '../train/session.js';
import type { FloatArray, WeightStore } from '../train/weights.js';
import { nonzeroMask } from './masks.js';
import type { Masks } from './types.js';

/** Data and recipe for methods that need data, gradients or training, and for fine-tuning. */
export interface TrainingSetup {
  /** Images, or a tensor set (token ids and masks) with one class per sample. */
  train: TrainSet;
  /** Evaluated after each training epoch when given. */
  test?: TrainSet;
  /**
   * The recipe of every training run (`FINETUNE_RECIPE` is the usual one); each stage gives its
   * epochs and seed. Absent `augment`: `defaultAugment` of the training set.
   */
  recipe: Omit<TrainRecipe, 'epochs' | 'seed'>;
  threads?: number;
  signal?: AbortSignal;
  /** Progress of every training run, labelled by what it is for ('slimming', 'fine-tune'...). */
  onTrainProgress?: (stage: string, p: TrainProgress) => void;
  /**
   * A folder for the checkpoints of resumable stages: one file per stage, written every epoch,
   * continued from when a rerun reaches the same stage with the same inputs.
   */
  checkpointDir?: string;
  /** Also checkpoint resumable stages within an epoch this often (seconds; see TrainOptions). */
  checkpointEvery?: number;
}

/** Options of one training run for a pruning stage. */
export interface StageOptions {
  stage: string;
  epochs: number;
  seed: number;
  masks?: Masks;
  /** Changes to the setup's recipe for this stage (regularization phases use a constant lr). */
  recipe?: Partial<Omit<TrainRecipe, 'epochs' | 'seed'>>;
  modifyGradients?: (args: GradientHookArgs) => void;
  onStepEnd?: (args: { weights: WeightStore; step: number; epoch: number }) => void;
  /**
   * Whether the stage may continue from the setup's checkpoint. Only for stages whose hooks keep
   * no state between steps: a resumed run does not replay the steps before the checkpoint.
   */
  resumable?: boolean;
}

/** The checkpoint file of a resumable stage, when the setup keeps checkpoints. */
function stageCheckpoint(setup: TrainingSetup, stage: string): string | undefined {
  if (!setup.checkpointDir) return undefined;
  return join(setup.checkpointDir, `${stage.replace(/[^A-Za-z0-9-]+/g, '_')}.ckpt`);
}

/** Trains `model` with the setup's recipe for one pruning stage. */
export function trainStage(model: Model, setup: TrainingSetup, o: StageOptions): Promise<TrainResult> {
  const r = { ...setup.recipe, ...o.recipe };
  const augment = r.augment ?? defaultAugment(setup.train);
  const checkpoint = o.resumable ? stageCheckpoint(setup, o.stage) : undefined;
  return train(model, {
    train: setup.train,
    ...(setup.test ? { test: setup.test } : {}),
    ...r,
    epochs: o.epochs,
    seed: o.seed,
    ...(augment ? { augment } : {}),
    ...(o.masks ? { masks: o.masks } : {}),
    ...(o.modifyGradients ? { modifyGradients: o.modifyGradients } : {}),
    ...(o.onStepEnd ? { onStepEnd: o.onStepEnd } : {}),
    ...(setup.threads !== undefined ? { threads: setup.threads } : {}),
    ...(setup.signal ? { signal: setup.signal } : {}),
    ...(checkpoint ? { checkpoint, resumeIfCompatible: true } : {}),
    ...(checkpoint && setup.checkpointEvery ? { checkpointEvery: setup.checkpointEvery } : {}),
    onProgress: (p) => setup.onTrainProgress?.(o.stage, p),
  });
}

/** Options of `meanGradients` and `forEachSaliencyBatch`. */
export interface GradientOptions {
  /** Values to differentiate (initializer names). */
  wrt: readonly string[];
  /** Number of batches to average over. */
  batches: number;
  batchSize: number;
  seed: number;
  objective?: Objective;
}

/**
 * Runs `fn` with one gradient session (BatchNorm in eval mode, no dropout, as Synaptic-Flow
 * scores pruning-at-initialization methods) on each of the first `batches` shuffled training
 * batches, always the same ones for a seed. Returns the number of batches seen.
 */
export async function forEachSaliencyBatch(
  model: Model,
  set: TrainSet,
  o: GradientOptions,
  fn: (session: GradientSession, batch: StepInputs) => Promise<void>,
): Promise<number> {
  const session = await GradientSession.create(model, {
    wrt: o.wrt,
    batchNorm: 'eval',
    dropout: false,
    objective: o.objective ?? { kind: 'cross-entropy' },
    inputShapes: sampleShapes(set),
  });
  let n = 0;
  try {
    for (const b of sampleBatches(set, session.graph.dataInput, {
      batchSize: o.batchSize,
      shuffle: Rng.seeded(o.seed).split('saliency'),
    })) {
      if (n >= o.batches) break;
      await fn(session, { feeds: b.feeds, labels: b.y });
      n++;
    }
  } finally {
    await session.release();
  }
  return n;
}

/**
 * The gradients of the mean cross-entropy over the saliency batches (`forEachSaliencyBatch`),
 * summed over batches and divided by their number. `perBatch` sees each batch's gradients
 * (Taylor accumulates squared per-batch terms).
 */
export async function meanGradients(
  model: Model,
  set: TrainSet,
  o: GradientOptions,
  perBatch?: (grads: Map<string, FloatArray>) => void,
): Promise<Map<string, Float64Array>> {
  const sums = new Map<string, Float64Array>();
  const n = await forEachSaliencyBatch(model, set, o, async (session, batch) => {
    const out = await session.run(batch);
    perBatch?.(out.grads);
    for (const w of o.wrt) {
      const g = mustGet(out.grads, w);
      const s = sums.get(w) ?? new Float64Array(g.length);
      sums.set(w, s);
      for (let i = 0; i < s.length; i++) s[i] = s[i]! + g[i]!;
    }
  });
  for (const s of sums.values()) for (let i = 0; i < s.length; i++) s[i] = s[i]! / n;
  return sums;
}

/**
 * The masks that hold a pruned model's zeros during fine-tuning: for every trainable tensor the
 * pruning masked, its current non-zero pattern (after physical removal the shapes changed, so the
 * pattern is read from the smaller model rather than carried over).
 */
export function fineTuneMasks(model: Model, pruned: Masks): Masks {
  const params = new Set(trainableParameters(model.graph));
  const out: Masks = new Map();
  for (const name of pruned.keys()) if (params.has(name)) out.set(name, nonzeroMask(model.graph, name));
  return out;
}

/** Fine-tunes a pruned model, keeping its pruned weights at zero. */
export function fineTune(
  model: Model,
  masks: Masks,
  setup: TrainingSetup,
  epochs: number,
  seed: number,
): Promise<TrainResult> {
  return trainStage(cloneModel(model), setup, {
    stage: 'fine-tune',
    epochs,
    seed,
    masks: fineTuneMasks(model, masks),
    resumable: true,
  });
}
