/**
 * The data contract between src/data and the stages that consume it (train, campaign, cli).
 * Images are decoded once to uint8 NCHW and normalized to float32 only when batched.
 */
import type { Tensor } from '../onnx/tensor.js';

/** Per-channel normalization on the [0, 1] scale: x = (pixel / 255 - mean[c]) / std[c]. */
export interface Normalization {
  readonly name: string;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** One split of a dataset, decoded into memory. */
export interface ImageSet {
  /** A stable description, e.g. 'mnist:test' or 'imagefolder:/data/cifar10-jpeg/test.tar.gz'. */
  readonly name: string;
  readonly split: string;
  readonly count: number;
  /** [channels, height, width]. */
  readonly shape: readonly [number, number, number];
  readonly classes: readonly string[];
  /** count × C × H × W bytes, image-major, NCHW. */
  readonly images: Uint8Array;
  /** Class index of each image. */
  readonly labels: Uint8Array;
  /** The normalization models trained on this dataset expect by default. */
  readonly normalization: Normalization;
  /** Content hash of the decoded data (images + labels), for cache keys and provenance. */
  readonly hash: string;
}

/** A batch ready for a model: normalized float32 NCHW images and their labels. */
export interface Batch {
  readonly x: Tensor<'float32'>;
  readonly y: Int32Array;
  /** Indices of the images in their ImageSet. */
  readonly indices: Int32Array;
}
