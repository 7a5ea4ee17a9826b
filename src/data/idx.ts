/**
 * IDX files, the format of MNIST and Fashion-MNIST (LeCun's "big-endian magic, dims, bytes"
 * layout), gzipped or not: `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]` and the
 * `t10k-` (or `test-`) pair for the test split.
 */

import { digitClasses, FASHION_CLASSES } from '../core/class-names.js';
import { PrunefiError } from '../core/errors.js';
import type { DatasetSource, RawSplit } from './source.js';
import { maybeGunzip } from './tar.js';
import { describe, type FileTree } from './tree.js';

/** A parsed IDX array of unsigned bytes. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/**
 * Parses IDX bytes (gunzipping them first if needed). Only unsigned-byte data (type 0x08) is
 * accepted: images and labels of every MNIST-family dataset use it.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const b = maybeGunzip(bytes, file);
  const invalid = (what: string): PrunefiError =>
    new PrunefiError('DATA_INVALID', `${file} is not a valid IDX file: ${what}; download or copy it again`);
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) throw invalid('it does not start with the IDX magic 00 00');
  if (b[2] !== 0x08) throw invalid(`element type 0x${b[2]!.toString(16)} is not unsigned byte (0x08)`);
  const ndim = b[3]!;
  const head = 4 + 4 * ndim;
  if (ndim === 0 || b.length < head) throw invalid(`header of ${ndim} dimensions is truncated`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dims: number[] = [];
  let n = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i);
    dims.push(d);
    n *= d;
  }
  if (b.length !== head + n) {
    throw invalid(`dimensions [${dims.join(', ')}] need ${head + n} bytes but the file has ${b.length}`);
  }
  return { dims, data: b.subarray(head) };
}

const IDX_NAME = /(?:^|\/)(train|t10k|test)-(images|labels)[-.]idx([13])-ubyte(?:\.gz)?$/;

function idxFiles(tree: FileTree): Map<string, { images?: string; labels?: string }> {
  const out = new Map<string, { images?: string; labels?: string }>();
  for (const p of tree.paths) {
    const m = IDX_NAME.exec(p);
    if (!m) continue;
    const split = m[1] === 'train' ? 'train' : 'test';
    const kind = m[2] as 'images' | 'labels';
    if ((kind === 'images') !== (m[3] === '3')) continue;
    const e = out.get(split) ?? {};
    e[kind] ??= p;
    out.set(split, e);
  }
  return out;
}

function pair(tree: FileTree, split: string): { images: string; labels: string } {
  const e = idxFiles(tree).get(split);
  if (!e?.images || !e.labels) {
    throw new PrunefiError(
      'DATA_NOT_FOUND',
      `${tree.location} has no complete IDX pair for split '${split}': need both ${split === 'train' ? 'train' : 't10k'}-images-idx3-ubyte[.gz] and ${split === 'train' ? 'train' : 't10k'}-labels-idx1-ubyte[.gz]`,
    );
  }
  return { images: e.images, labels: e.labels };
}

function readLabels(tree: FileTree, path: string): Uint8Array {
  const a = parseIdx(tree.read(path), describe(tree, path));
  if (a.dims.length !== 1) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${describe(tree, path)} should hold a 1-D label array, got dimensions [${a.dims.join(', ')}]`,
    );
  }
  return a.data;
}

function loadIdx(tree: FileTree, split: string, classNames: readonly string[] | undefined): RawSplit {
  const { images, labels } = pair(tree, split);
  const img = parseIdx(tree.read(images), describe(tree, images));
  if (img.dims.length !== 3) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${describe(tree, images)} should hold images [count, height, width], got dimensions [${img.dims.join(', ')}]`,
    );
  }
  const lab = readLabels(tree, labels);
  const count = img.dims[0]!;
  if (lab.length !== count) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${describe(tree, labels)} has ${lab.length} labels but ${describe(tree, images)} has ${count} images; the two files must come from the same release`,
    );
  }
  let classes = classNames;
  if (!classes) {
    // Class count from every split's labels, so train and test agree on it.
    let max = 0;
    for (const e of idxFiles(tree).values()) {
      if (!e.labels) continue;
      for (const l of e.labels === labels ? lab : readLabels(tree, e.labels)) if (l > max) max = l;
    }
    classes = digitClasses(max + 1);
  }
  for (let i = 0; i < count; i++) {
    if (lab[i]! >= classes.length) {
      throw new PrunefiError(
        'DATA_INVALID',
        `${describe(tree, labels)}: label ${lab[i]} of image ${i} is not below the ${classes.length} classes`,
      );
    }
  }
  return {
    count,
    shape: [1, img.dims[1]!, img.dims[2]!],
    classes,
    images: img.data,
    labels: lab,
  };
}

function idxSource(
  name: string,
  description: string,
  reference: string,
  extra: Pick<DatasetSource, 'locate' | 'usage'> & {
    classes?: readonly string[];
    match: (tree: FileTree) => boolean;
    normalization: string;
  },
): DatasetSource {
  return {
    name,
    description,
    reference,
    usage: extra.usage,
    ...(extra.locate ? { locate: extra.locate } : {}),
    recognise: (tree, named) => idxFiles(tree).size > 0 && (named === true || extra.match(tree)),
    splits: (tree) => [...idxFiles(tree).keys()].sort().reverse(),
    inputs: (tree, split) => {
      const p = pair(tree, split);
      const all = [p.images, p.labels];
      if (!extra.classes) for (const e of idxFiles(tree).values()) if (e.labels) all.push(e.labels);
      return [...new Set(all)].sort();
    },
    normalization: () => extra.normalization,
    load: async (tree, split) => loadIdx(tree, split, extra.classes),
  };
}

/** Where Debian's `dataset-fashion-mnist` package installs its files. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

export { FASHION_CLASSES } from '../core/class-names.js';

/** Fashion-MNIST: the Debian install by keyword, or any IDX folder whose path says "fashion". */
export const fashionMnistSource: DatasetSource = idxSource(
  'fashion-mnist',
  'Zalando Fashion-MNIST, 60 000 + 10 000 28×28 grey images of clothing in 10 classes (IDX files)',
  'Xiao, Rasul, Vollgraf 2017, Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms',
  {
    usage: `fashion-mnist (Debian's dataset-fashion-mnist in ${DEBIAN_FASHION_MNIST}) or a folder named *fashion* with its IDX files`,
    locate: () => DEBIAN_FASHION_MNIST,
    classes: FASHION_CLASSES,
    match: (tree) => /fashion/i.test(tree.location),
    normalization: 'fashion-mnist',
  },
);

/** Any IDX dataset (MNIST's original files and look-alikes); classes are the label digits. */
export const idxSourceEntry: DatasetSource = idxSource(
  'idx',
  'IDX files (MNIST format): {train,t10k}-{images-idx3,labels-idx1}-ubyte, gzipped or not',
  'LeCun, Cortes, Burges, The MNIST database of handwritten digits (file format section)',
  {
    usage: 'a folder (or tar) with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-…',
    match: () => true,
    normalization: 'mnist',
  },
);
