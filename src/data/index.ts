/** Datasets: sources and their recognition, decoding, caching, normalization, subsets, batching. */
export {
  type Augmentation,
  type BatchOptions,
  batchCount,
  batches,
  imagesToTensor,
  labelsOf,
} from './batch.js';
export { cacheRoot, imageSetHash } from './cache.js';
export { CIFAR10_CLASSES } from './cifar.js';
export { DECODER_VERSION, IMAGE_EXTENSIONS, type ImageChannels } from './decode.js';
export { FASHION_CLASSES, parseIdx } from './idx.js';
export { SPLIT_NAMES, WHOLE_SPLIT } from './imagefolder.js';
export { relabel } from './labels.js';
export { datasetSources, type LoadOptions, loadDataset } from './load.js';
export { type NormalizationPreset, normalizations } from './normalize.js';
export { isNpy, parseNpy } from './npy.js';
export type { DatasetSource } from './source.js';
export { balancedIndices, firstPerClass, subset } from './subset.js';
export { readTar, type TarEntry } from './tar.js';
export {
  type InputSpec,
  isTensorSpec,
  LABELS,
  loadTensorSet,
  matchTensorSet,
  sliceRows,
  type TensorBatch,
  type TensorBatchOptions,
  type TensorLoadOptions,
  type TensorMatch,
  type TensorSet,
  tensorBatches,
} from './tensorset.js';
export type { Batch, ImageSet, Normalization } from './types.js';
export { crc32, isZip, readZip } from './zip.js';
