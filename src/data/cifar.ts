/**
 * CIFAR-10 in its official binary form (`cifar-10-binary.tar.gz`, or its unpacked
 * `cifar-10-batches-bin/` folder): data_batch_1..5.bin are the training split, test_batch.bin the
 * test split; each record is one label byte then 3 × 32 × 32 pixel bytes, already planar (CHW).
 */
import { CIFAR10_CLASSES } from '../core/class-names.js';
import { PrunefiError } from '../core/errors.js';
import type { DatasetSource, RawSplit } from './source.js';
import { describe, type FileTree } from './tree.js';

const SIDE = 32;
const PIXELS = 3 * SIDE * SIDE;
/** Bytes per record: a label and the planar pixels. */
export const CIFAR_RECORD = 1 + PIXELS;

export { CIFAR10_CLASSES } from '../core/class-names.js';

const BATCH = /(?:^|\/)(data_batch_[1-9]|test_batch)\.bin$/;

/** The batch files of each split, in order; several copies of one batch are an error. */
function batchFiles(tree: FileTree): Map<string, string[]> {
  const byName = new Map<string, string>();
  for (const p of tree.paths) {
    const m = BATCH.exec(p);
    if (!m) continue;
    const prev = byName.get(m[1]!);
    if (prev !== undefined) {
      throw new PrunefiError(
        'DATA_INVALID',
        `${tree.location} holds two copies of ${m[1]}.bin (${prev} and ${p}); point --data at one cifar-10-batches-bin folder`,
      );
    }
    byName.set(m[1]!, p);
  }
  const out = new Map<string, string[]>();
  for (const [name, p] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const split = name === 'test_batch' ? 'test' : 'train';
    out.set(split, [...(out.get(split) ?? []), p]);
  }
  return out;
}

function files(tree: FileTree, split: string): string[] {
  const f = batchFiles(tree).get(split);
  if (!f) throw new Error(`no ${split} batches in ${tree.location}`);
  return f;
}

/** Class names from batches.meta.txt next to the batches, when present. */
function classNames(tree: FileTree, batch: string): readonly string[] {
  const meta = batch.replace(/[^/]*$/, 'batches.meta.txt');
  if (!tree.paths.includes(meta)) return CIFAR10_CLASSES;
  const names = new TextDecoder()
    .decode(tree.read(meta))
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return names.length >= 2 ? names : CIFAR10_CLASSES;
}

function loadCifar(tree: FileTree, split: string): RawSplit {
  const paths = files(tree, split);
  const datas = paths.map((p) => {
    const d = tree.read(p);
    if (d.length === 0 || d.length % CIFAR_RECORD !== 0) {
      throw new PrunefiError(
        'DATA_INVALID',
        `${describe(tree, p)} has ${d.length} bytes, which is not a whole number of ${CIFAR_RECORD}-byte CIFAR-10 records (1 label + 3×32×32 pixels); the file is truncated or not CIFAR-10 binary: download cifar-10-binary.tar.gz again`,
      );
    }
    return d;
  });
  const count = datas.reduce((s, d) => s + d.length / CIFAR_RECORD, 0);
  const classes = classNames(tree, paths[0]!);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let i = 0;
  for (let f = 0; f < datas.length; f++) {
    const d = datas[f]!;
    for (let at = 0; at < d.length; at += CIFAR_RECORD, i++) {
      const label = d[at]!;
      if (label >= classes.length) {
        throw new PrunefiError(
          'DATA_INVALID',
          `${describe(tree, paths[f]!)}: record ${at / CIFAR_RECORD} has label ${label}, but CIFAR-10 has ${classes.length} classes; the file is not CIFAR-10 binary (CIFAR-100 uses 3074-byte records)`,
        );
      }
      labels[i] = label;
      images.set(d.subarray(at + 1, at + CIFAR_RECORD), i * PIXELS);
    }
  }
  return { count, shape: [3, SIDE, SIDE], classes, images, labels };
}

/** CIFAR-10 binary batches, from the official archive or its unpacked folder. */
export const cifar10BinarySource: DatasetSource = {
  name: 'cifar10-bin',
  description: 'CIFAR-10 binary version: data_batch_1..5.bin (train) and test_batch.bin (test), 32×32 RGB',
  reference: 'Krizhevsky 2009, Learning Multiple Layers of Features from Tiny Images',
  usage: 'cifar-10-binary.tar.gz, or its cifar-10-batches-bin/ folder',
  recognise: (tree) => batchFiles(tree).size > 0,
  splits: (tree) => [...batchFiles(tree).keys()].sort().reverse(),
  inputs: (tree, split) => {
    const f = files(tree, split);
    const meta = f[0]!.replace(/[^/]*$/, 'batches.meta.txt');
    return tree.paths.includes(meta) ? [...f, meta] : f;
  },
  normalization: () => 'cifar10',
  load: async (tree, split) => loadCifar(tree, split),
};
