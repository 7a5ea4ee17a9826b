/**
 * `loadDataset`: from a `--data` spec to a decoded split in memory, through the cache. The spec is
 * a keyword (`mnist`, `fashion-mnist`), a folder or archive path (its format recognised from its
 * files), or `<source>:<path>` to name the format explicitly.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PrunefiError } from '../core/errors.js';
import { Registry } from '../core/registry.js';
import { type CacheEntry, cachePath, cacheRoot, imageSetHash, readCache, writeCache } from './cache.js';
import { cifar10BinarySource } from './cifar.js';
import { DECODER_VERSION, type ImageChannels } from './decode.js';
import { fashionMnistSource, idxSourceEntry } from './idx.js';
import { imageFolderSource } from './imagefolder.js';
import { mnistSource } from './mnist.js';
import { normalizations } from './normalize.js';
import type { DatasetSource, RawSplit } from './source.js';
import { balancedIndices, subset } from './subset.js';
import { archiveTree, type FileTree, folderTree, isArchiveName } from './tree.js';
import type { ImageSet } from './types.js';

/** The dataset formats, in the order a path is tried against them. */
export const datasetSources = new Registry<DatasetSource>('dataset source', [
  mnistSource,
  fashionMnistSource,
  idxSourceEntry,
  cifar10BinarySource,
  imageFolderSource,
]);

/** Options of `loadDataset`. */
export interface LoadOptions {
  /** The split to load (default: `test` when the dataset has one, else its only split). */
  split?: string;
  /** Cache folder (default: $PRUNEFI_CACHE, else ~/.cache/prunefi). */
  cacheDir?: string;
  /** false: neither read nor write the cache. */
  cache?: boolean;
  /** Keep only this many images, spread evenly over the classes (see `balancedIndices`). */
  limit?: number;
  /** Decoding threads for image folders (default: one per core, at most 4). */
  threads?: number;
  /**
   * Channels image files decode to: 3 (RGB, the default) or 1 (grey, PIL's `convert('L')`), the
   * model's input channels. Formats that store their channel count (IDX, CIFAR-10) ignore it.
   */
  channels?: ImageChannels;
  /** Called while images are decoded (not on cache hits). */
  onProgress?: (done: number, total: number) => void;
}

function accepted(): string {
  const forms = datasetSources.list().map((s) => s.usage);
  return `${forms.join('; ')}; or <source>:<path> to name the format (${datasetSources.names().join(', ')})`;
}

interface Target {
  readonly path: string;
  /** Set when the spec names the source (keyword or `<source>:` prefix). */
  readonly source?: DatasetSource;
  readonly keyword?: string;
}

function parseSpec(spec: string): Target {
  if (typeof spec !== 'string') throw new TypeError(`dataset spec must be a string, got ${typeof spec}`);
  if (spec === '') {
    throw new PrunefiError('USAGE', `--data is empty; accepted: ${accepted()}`);
  }
  const keyword = datasetSources.has(spec) ? datasetSources.get(spec) : undefined;
  if (keyword?.locate) return locateKeyword(keyword);
  const m = /^([a-z0-9][a-z0-9-]*):(.*)$/.exec(spec);
  if (m && datasetSources.has(m[1]!)) {
    const source = datasetSources.get(m[1]!);
    if (m[2] === '' && source.locate) return locateKeyword(source);
    return { path: resolve(m[2]!), source };
  }
  return { path: resolve(spec) };
}

function locateKeyword(source: DatasetSource): Target {
  const path = source.locate!();
  if (!statSync(path, { throwIfNoEntry: false })) {
    throw new PrunefiError(
      'DATA_NOT_FOUND',
      `dataset '${source.name}' is not installed: ${path} does not exist; ${source.name === 'fashion-mnist' ? 'install it with `apt-get install dataset-fashion-mnist`, or pass the folder holding its IDX files' : `reinstall prunefi's dependencies (npm ci)`}`,
    );
  }
  return { path, source, keyword: source.name };
}

function notFound(spec: string, path: string): PrunefiError {
  const bare = !/[/\\.]/.test(spec);
  const keywords = datasetSources
    .list()
    .filter((s) => s.locate)
    .map((s) => s.name);
  return new PrunefiError(
    'DATA_NOT_FOUND',
    bare
      ? `unknown dataset '${spec}': it is neither a dataset keyword (${keywords.join(', ')}) nor an existing file or folder. Accepted: ${accepted()}`
      : `dataset path ${path} does not exist; check the path (relative paths start from ${process.cwd()}). Accepted: ${accepted()}`,
  );
}

function recognise(tree: FileTree, forced: DatasetSource | undefined): DatasetSource {
  if (forced) {
    if (!forced.recognise(tree, true)) {
      throw new PrunefiError(
        'DATA_INVALID',
        `${tree.location} is not a '${forced.name}' dataset; expected ${forced.usage}`,
      );
    }
    return forced;
  }
  const found = datasetSources.list().find((s) => s.recognise(tree));
  if (!found) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${tree.location} holds no dataset prunefi recognises (no images in class folders, no IDX files, no CIFAR-10 batches). Accepted: ${accepted()}`,
    );
  }
  return found;
}

function chooseSplit(
  source: DatasetSource,
  tree: FileTree,
  requested: string | undefined,
  what: string,
): string {
  const available = source.splits(tree);
  if (requested !== undefined) {
    if (available.includes(requested)) return requested;
    throw new PrunefiError(
      'DATA_NOT_FOUND',
      `${what} has no split '${requested}'; its splits are: ${available.join(', ')} (choose one with --split)`,
    );
  }
  if (available.includes('test')) return 'test';
  if (available.length === 1) return available[0]!;
  throw new PrunefiError(
    'DATA_INVALID',
    `${what} has no 'test' split; choose one of its splits with --split: ${available.join(', ')}`,
  );
}

function sha256(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? `${p.length}:${p}` : p);
  return h.digest('hex');
}

function checkRaw(raw: RawSplit, what: string): void {
  const [c, h, w] = raw.shape;
  if (raw.images.length !== raw.count * c * h * w || raw.labels.length !== raw.count) {
    throw new Error(`internal: ${what} decoded to inconsistent sizes`);
  }
  if (raw.count === 0) throw new PrunefiError('DATA_INVALID', `${what} holds no images`);
}

/**
 * Loads one split of a dataset, decoded to uint8 NCHW in memory. Decoding happens once: the result
 * is cached under a key made of the source files' content hash, the split and the decoder version,
 * and later loads read the cache (a damaged entry is rebuilt). Nothing is written when loading
 * fails. Errors are `PrunefiError`s: DATA_NOT_FOUND (no such path, keyword not installed, no such
 * split), DATA_INVALID (unrecognised or malformed data), DATA_DECODE (an image that fails to
 * decode, named).
 */
export async function loadDataset(spec: string, options: LoadOptions = {}): Promise<ImageSet> {
  if (options.limit !== undefined && (!Number.isSafeInteger(options.limit) || options.limit < 1)) {
    throw new RangeError(`limit must be a positive integer, got ${options.limit}`);
  }
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${channels}`);
  const target = parseSpec(spec);
  const stat = statSync(target.path, { throwIfNoEntry: false });
  if (!stat) throw notFound(spec, target.path);
  const useCache = options.cache !== false;
  const root = cacheRoot(options.cacheDir);
  const ctx = {
    channels,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  const what = target.keyword ?? target.path;

  let entry: CacheEntry | undefined;
  let key: () => string;
  let decode: () => Promise<CacheEntry>;
  const build = async (tree: FileTree, source: DatasetSource, split: string): Promise<CacheEntry> => {
    const raw = await source.load(tree, split, ctx);
    checkRaw(raw, `${what} (split ${split})`);
    return { ...raw, source: source.name, split, hash: imageSetHash(raw.shape, raw.images, raw.labels) };
  };
  if (stat.isDirectory()) {
    const tree = folderTree(target.path);
    const source = recognise(tree, target.source);
    const split = chooseSplit(source, tree, options.split, what);
    key = () => {
      const parts: (string | Uint8Array)[] = [`v${DECODER_VERSION}`, source.name, split];
      // Grey decodes key apart; RGB keeps the key caches had before channels could be chosen.
      if (source.convertsChannels && channels === 1) parts.push('grey');
      for (const p of source.inputs(tree, split)) parts.push(p, sha256(tree.read(p)));
      return sha256(...parts);
    };
    decode = () => build(tree, source, split);
  } else if (isArchiveName(target.path)) {
    const bytes = readFileSync(target.path);
    // The archive is only unpacked on a cache miss: its hash alone identifies the result.
    // The source is known only once unpacked, so a grey request keys apart whatever it holds.
    key = () =>
      sha256(
        `v${DECODER_VERSION}`,
        target.source?.name ?? 'auto',
        options.split ?? '',
        sha256(bytes),
        ...(channels === 1 ? ['grey'] : []),
      );
    decode = async () => {
      const tree = archiveTree(bytes, target.path);
      const source = recognise(tree, target.source);
      return build(tree, source, chooseSplit(source, tree, options.split, what));
    };
  } else {
    throw new PrunefiError(
      'DATA_INVALID',
      `${target.path} is a file but not a .tar, .tar.gz or .tgz archive; pass the folder that holds it. Accepted: ${accepted()}`,
    );
  }

  const file = useCache ? cachePath(root, key()) : undefined;
  if (file) entry = readCache(file);
  if (!entry) {
    entry = await decode();
    if (file) writeCache(file, entry);
  }
  const source = datasetSources.get(entry.source);
  const set: ImageSet = {
    name: target.keyword ? `${target.keyword}:${entry.split}` : `${source.name}:${target.path}`,
    split: entry.split,
    count: entry.count,
    shape: entry.shape,
    classes: entry.classes,
    images: entry.images,
    labels: entry.labels,
    normalization: normalizations.get(source.normalization(entry.shape)),
    hash: entry.hash,
  };
  return options.limit !== undefined && options.limit < set.count
    ? subset(set, balancedIndices(set, options.limit))
    : set;
}
