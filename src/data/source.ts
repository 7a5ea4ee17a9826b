/**
 * What a dataset source is: a format prunefi can read (mnist JSON digits, IDX, CIFAR-10 binary,
 * image folders), described for `prunefi datasets` and able to recognise and load a file tree.
 */
import type { RegistryEntry } from '../core/registry.js';
import type { ImageChannels } from './decode.js';
import type { FileTree } from './tree.js';

/** A split decoded to memory, before it becomes an `ImageSet`. */
export interface RawSplit {
  readonly count: number;
  readonly shape: readonly [number, number, number];
  readonly classes: readonly string[];
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

/** Options that reach a source's loader. */
export interface LoadContext {
  threads?: number;
  /** Planes image files decode to (see `DatasetSource.convertsChannels`); default 3. */
  channels?: ImageChannels;
  onProgress?: (done: number, total: number) => void;
}

/** A dataset format. Registered in `datasetSources`; the order there is the order of recognition. */
export interface DatasetSource extends RegistryEntry {
  /** For sources usable as a bare keyword (`mnist`): the folder holding their files. */
  readonly locate?: () => string;
  /** The forms of `--data` this source accepts, for help and error messages. */
  readonly usage: string;
  /**
   * True for sources of image files, which decode to the channels asked for (`LoadContext.channels`)
   * as PIL converts them; the other formats store their channel count and ignore the request.
   */
  readonly convertsChannels?: boolean;
  /**
   * True when this source can read the tree. `named` is true when the user named this source
   * (`<source>:<path>`): only the files matter then, not guesses from folder names.
   */
  recognise(tree: FileTree, named?: boolean): boolean;
  /** The splits the tree holds, e.g. ['train', 'test']. */
  splits(tree: FileTree): string[];
  /** The files whose bytes make up `split` (they key the cache for folder trees). */
  inputs(tree: FileTree, split: string): string[];
  /** Name of the normalization preset models trained on this data expect. */
  normalization(shape: readonly [number, number, number]): string;
  load(tree: FileTree, split: string, ctx: LoadContext): Promise<RawSplit>;
}
