/**
 * What training reads: an image set (normalized, optionally augmented float32 NCHW batches) or a
 * tensor set (one array per model input, e.g. token ids and attention masks, one class label per
 * sample). Both shuffle with the same seeded permutation per epoch, so a run replays exactly.
 */
import { PrunefiError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { batchCount, batches } from '../data/batch.js';
import { type TensorSet, tensorBatches } from '../data/tensorset.js';
import type { ImageSet, Normalization } from '../data/types.js';
import type { Tensor } from '../onnx/tensor.js';

/** A training or evaluation set. */
export type TrainSet = ImageSet | TensorSet;

/** One batch: the feeds by input name (images feed `input`) and one label per sample. */
export interface SampleBatch {
  feeds: Record<string, Tensor>;
  y: ArrayLike<number>;
}

/** How to draw batches (see data/batch.ts for images). */
export interface SampleBatchOptions {
  batchSize: number;
  shuffle?: Rng;
  epoch?: number;
  augment?: { rng: Rng; padding: number; flip: boolean };
  normalization?: Normalization;
}

const isTensorSet = (set: TrainSet): set is TensorSet => 'inputs' in set;

/**
 * A tensor set must give one class per sample: per-token labels ([samples, tokens]) need a
 * per-token objective, which training does not have yet.
 */
function checkClassLabels(set: TensorSet): void {
  if (set.labels.dims.length !== 1) {
    throw new PrunefiError(
      'TRAIN',
      `${set.name}: labels have shape ${set.labels.dims.join('×')}, but training takes one class per sample (labels of shape [${set.count}]); per-token training is not supported yet`,
    );
  }
}

/** The batches of one epoch. `input` names the model's data input (images only). */
export function* sampleBatches(set: TrainSet, input: string, o: SampleBatchOptions): Generator<SampleBatch> {
  if (isTensorSet(set)) {
    checkClassLabels(set);
    const epoch = o.epoch ?? 0;
    const indices = o.shuffle ? o.shuffle.split('shuffle', epoch).permutation(set.count) : undefined;
    for (const b of tensorBatches(set, { batchSize: o.batchSize, ...(indices ? { indices } : {}) }))
      yield { feeds: b.feeds, y: b.y };
    return;
  }
  for (const b of batches(set, o)) yield { feeds: { [input]: b.x }, y: b.y };
}

/** Batches per epoch. */
export function sampleBatchCount(set: TrainSet, batchSize: number): number {
  return isTensorSet(set) ? Math.ceil(set.count / batchSize) : batchCount(set, { batchSize });
}

/** The dims of a tensor set's arrays by input name (their sequence lengths bind symbolic dims). */
export function sampleShapes(set: TrainSet): Record<string, readonly number[]> {
  return isTensorSet(set) ? Object.fromEntries([...set.inputs].map(([n, t]) => [n, t.dims])) : {};
}
