/**
 * Class names decide labels: a folder holding a subset of a model's classes, or its classes under
 * names that sort in another order, is labelled as the model means them (its recorded names, or
 * `--classes`); an unknown class name or a class count that differs without names is a one-line
 * error saying what to pass; names a training run used are recorded in the model; a campaign
 * stores the `--classes` it was given, so resume labels alike. Images: the first CIFAR-10 test
 * JPEGs of ../shared (made by the project's dataset script from the official binaries); model:
 * ../shared's AlexNet-CIFAR, exported from PyTorch, which records no class names.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CIFAR10_CLASSES } from '../../src/core/class-names.js';
import { batches } from '../../src/data/batch.js';
import { loadDataset } from '../../src/data/load.js';
import { readTar } from '../../src/data/tar.js';
import { CLASSES_META, modelClassNames } from '../../src/onnx/classes.js';
import { loadModel, saveModel } from '../../src/onnx/file.js';
import { imageInput, logitsOutput } from '../../src/onnx/io.js';
import { classify } from '../../src/runtime/infer.js';
import { createSession } from '../../src/runtime/session.js';
import { cli } from '../helpers/cli.js';
import { SHARED, tempDir } from '../helpers/paths.js';

const ALEXNET = join(SHARED, 'models/alexnet_cifar.onnx');
const CIFAR_TEST = join(SHARED, 'datasets/cifar10-jpeg/test.tar.gz');
// The tests on real CIFAR-10 images and the trained AlexNet need ../shared, which CI lacks.
const NEEDS_SHARED =
  existsSync(ALEXNET) && existsSync(CIFAR_TEST) ? false : `needs ${ALEXNET} and ${CIFAR_TEST} (not present)`;
const dir = tempDir();
const cache = join(dir, 'cache');

/** Writes the first `n` test images of each CIFAR-10 class into `root/<rename(class)>/`. */
function folder(root: string, n: number, classes: readonly string[], rename = (c: string) => c): string {
  const taken = new Map<string, number>();
  for (const e of readTar(readFileSync(CIFAR_TEST), 'test.tar.gz')) {
    const m = /^test\/([^/]+)\/[^/]+\.jpg$/.exec(e.path);
    if (!m || !classes.includes(m[1]!) || (taken.get(m[1]!) ?? 0) >= n) continue;
    taken.set(m[1]!, (taken.get(m[1]!) ?? 0) + 1);
    const out = join(root, rename(m[1]!));
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, e.path.split('/').at(-1)!), e.data);
  }
  return root;
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
  assert.match(errors[0]!, pattern);
}

test('a folder of one class scores its real accuracy once the model has class names', {
  skip: NEEDS_SHARED,
}, async () => {
  const birds = folder(join(dir, 'birds'), 50, ['bird']);
  await refused(
    /outputs 10 classes but imagefolder:.*birds has 1 \(bird\), and the model records no class names.*--classes cifar10 if the model was trained on cifar10/,
    'eval',
    '--model',
    ALEXNET,
    '--data',
    birds,
  );
  // The reference: AlexNet's own predictions on these 50 images, counted as 'bird' (label 2).
  const model = loadModel(ALEXNET);
  const set = await loadDataset(birds, { cacheDir: cache });
  const session = await createSession(model, { threads: 1 });
  const r = await classify(
    session,
    imageInput(model).name,
    logitsOutput(model).name,
    batches(set, { batchSize: 50 }),
    set.count,
  );
  await session.release();
  const birdsSeen = r.predictions.filter((p) => p === CIFAR10_CLASSES.indexOf('bird')).length;
  assert.ok(birdsSeen >= 25, `AlexNet (77% on the test split) sees most birds: ${birdsSeen}/50`);
  const names = join(dir, 'names.txt');
  writeFileSync(names, `${CIFAR10_CLASSES.join('\n')}\n`);
  for (const classes of ['cifar10', names, CIFAR10_CLASSES.join(',')]) {
    const e = await evalJson('--model', ALEXNET, '--data', birds, '--classes', classes);
    assert.deepEqual([e.images, e.correct], [50, birdsSeen], `--classes ${classes}`);
  }
});

test('class folders named in another order map by name, through names the model records', {
  skip: NEEDS_SHARED,
}, async () => {
  const plain = folder(join(dir, 'plain'), 5, CIFAR10_CLASSES);
  // z-airplane, y-automobile, ...: sorted, the folders are in reverse label order.
  const letter = (c: string) => `${String.fromCharCode(122 - CIFAR10_CLASSES.indexOf(c))}-${c}`;
  const renamed = folder(join(dir, 'renamed'), 5, CIFAR10_CLASSES, letter);
  const model = loadModel(ALEXNET);
  model.metadata.set(CLASSES_META, JSON.stringify(CIFAR10_CLASSES.map(letter)));
  const named = join(dir, 'named.onnx');
  saveModel(model, named);
  const reference = await evalJson('--model', ALEXNET, '--data', plain);
  assert.equal(reference.images, 50);
  assert.ok(reference.correct >= 25, `${reference.correct}/50`);
  assert.deepEqual(await evalJson('--model', named, '--data', renamed), reference);
  // By folder order alone the labels would be reversed: the same images score far lower.
  const unnamed = await evalJson('--model', ALEXNET, '--data', renamed);
  assert.ok(unnamed.correct < reference.correct / 2, `${unnamed.correct} vs ${reference.correct}`);
});

test('an unknown class name, names that are not one per output, and bad --classes are one-line errors', {
  skip: NEEDS_SHARED,
}, async () => {
  const mixed = folder(join(dir, 'mixed'), 2, ['bird', 'cat'], (c) => (c === 'cat' ? 'dinosaur' : c));
  const run = ['eval', '--model', ALEXNET, '--data', mixed];
  await refused(
    /class 'dinosaur' of imagefolder:.*mixed is not one of the 10 classes of --classes \(airplane, automobile, .*truck\); name each class folder after the class it holds/,
    ...run,
    '--classes',
    'cifar10',
  );
  await refused(
    /--classes gives 3 class names but the model outputs 10 classes; pass all 10 names in label order with --classes/,
    ...run,
    '--classes',
    'bird,dinosaur,x',
  );
  await refused(/--classes names 'bird' twice/, ...run, '--classes', 'bird,bird');
  await refused(
    /--classes cifar100 is neither a built-in list \(cifar10, mnist, fashion-mnist\), nor a file/,
    ...run,
    '--classes',
    'cifar100',
  );
  const model = loadModel(ALEXNET);
  model.metadata.set(CLASSES_META, '["bird"');
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
  assert.deepEqual(modelClassNames(loadModel(out)), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
});

test('a campaign stores its --classes, and resume labels the images alike', {
  skip: NEEDS_SHARED,
}, async () => {
  const birds = join(dir, 'birds');
  const db = join(dir, 'birds.sqlite');
  const run = await cli(
    ...['campaign', 'run', '--db', db, '--model', ALEXNET, '--data', birds, '--classes', 'cifar10'],
    ...[
      '--images-per-class',
      '50',
      '--plan',
      'single-bit',
      '--per-bit',
      '1',
      '--bits',
      '30',
      '--threads',
      '1',
    ],
    ...['--cache-dir', cache, '--json'],
  );
  assert.equal(run.code, 0, run.stderr);
  const status = JSON.parse((await cli('campaign', 'status', db, '--json')).stdout);
  assert.deepEqual(status.config.data.classes, CIFAR10_CLASSES);
  const e = await evalJson('--model', ALEXNET, '--data', birds, '--classes', 'cifar10');
  assert.equal(status.golden.accuracy, e.correct / 50);
  const resumed = await cli('campaign', 'resume', db, '--threads', '1', '--cache-dir', cache, '--json');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).ranNow, 0);
});
