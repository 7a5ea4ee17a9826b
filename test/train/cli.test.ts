/**
 * `prunefi train` end to end on the bundled MNIST digits (small limits so it takes seconds):
 * output model and metadata, JSON summary, the checkpoint, Ctrl-C in a real process (exit 130,
 * checkpoint saved, --resume finishes the run) and its bad-input paths.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../src/onnx/file.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';

const dir = tempDir('prunefi-train-cli-');
const common = [
  '--model',
  'zoo:lenet5',
  '--data',
  'mnist',
  '--cache-dir',
  join(dir, 'cache'),
  '--limit',
  '200',
];

test('train writes the model, its recipe metadata, a checkpoint and a JSON summary', async () => {
  const out = join(dir, 'lenet.onnx');
  const r = await cli('train', ...common, '--train-limit', '400', '--epochs', '2', '--json', '-o', out);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    epochs: number;
    testAccuracy: number;
    history: unknown[];
    checkpoint: string;
  };
  assert.equal(j.epochs, 2);
  assert.ok(j.testAccuracy > 0.5, `accuracy ${j.testAccuracy}`);
  const m = loadModel(out);
  const recipe = JSON.parse(m.metadata.get('prunefi.train.recipe')!) as {
    optimizer: string;
    batchSize: number;
  };
  assert.deepEqual([recipe.optimizer, recipe.batchSize], ['adamw', 16]);
  assert.equal(m.metadata.get('prunefi.train.test_accuracy'), j.testAccuracy.toFixed(4));
  assert.equal(loadCheckpoint(`${out}.ckpt`).epoch, 2);
});

test('train refuses a checkpoint of another recipe and reports usage errors', async () => {
  const out = join(dir, 'a.onnx');
  const first = await cli('train', ...common, '--train-limit', '100', '--epochs', '1', '-o', out);
  assert.equal(first.code, 0, first.stderr);
  const r = await cli(
    'train',
    ...common,
    '--train-limit',
    '100',
    '--epochs',
    '1',
    '--lr',
    '0.5',
    '-o',
    out,
    '--resume',
    `${out}.ckpt`,
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /different model, data set, mask set or recipe/);
  const noOut = await cli('train', ...common, '--epochs', '1');
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--output/);
  const badOpt = await cli('train', ...common, '--optimizer', 'lbfgs', '-o', out);
  assert.equal(badOpt.code, 2);
  assert.match(badOpt.stderr, /sgd, adamw/);
  const typo = await cli('train', ...common, '--schedule', 'onecylce', '-o', out);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /got 'onecylce'; did you mean 'onecycle'\?/);
});

test('train refuses an output or checkpoint in a missing folder before it trains', async () => {
  const missing = join(dir, 'no-such-folder');
  for (const extra of [
    ['-o', join(missing, 'm.onnx')],
    ['-o', join(dir, 'm.onnx'), '--checkpoint', join(missing, 'c.ckpt')],
  ]) {
    const t0 = performance.now();
    const r = await cli('train', ...common, '--epochs', '50', ...extra);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no-such-folder does not exist; create it first/);
    // 50 epochs would take minutes: refused before any training.
    assert.ok(performance.now() - t0 < 20_000);
    assert.doesNotMatch(r.stderr, /train epoch/);
  }
});

test('Ctrl-C saves a checkpoint and exits 130; --resume completes the run', async () => {
  const out = join(dir, 'int.onnx');
  const ckpt = join(dir, 'int.ckpt');
  const args = [...common, '--train-limit', '2000', '--epochs', '3', '--checkpoint', ckpt, '-o', out];
  const child = spawn(process.execPath, [join(REPO, 'dist/src/cli/main.js'), 'train', ...args], {
    cwd: REPO,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // Interrupt once the first epoch's checkpoint exists (so the run is well under way).
  const poll = setInterval(() => {
    if (existsSync(ckpt)) {
      clearInterval(poll);
      child.kill('SIGINT');
    }
  }, 20);
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  clearInterval(poll);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /checkpoint saved/);
  assert.equal(existsSync(out), false, 'no model is written by an interrupted run');
  const c = loadCheckpoint(ckpt);
  assert.ok(c.globalStep > 0 && c.epoch < 3);
  const r = await cli('train', ...args, '--resume', ckpt, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { epochs: number }).epochs, 3);
  assert.ok(existsSync(out));
});

test('prunefi train on a tensor dataset: BERT on int64 ids and masks learns; per-token labels are refused', async () => {
  const data = join(REPO, 'test/fixtures/data');
  const out = join(tempDir(), 'bert.onnx');
  const r = await cli(
    'train',
    '--model',
    join(REPO, 'test/fixtures/torch/bert.onnx'),
    '--data',
    join(data, 'tokens/tokens.npz'),
    '--test-data',
    join(data, 'tokens/folder'),
    '--epochs',
    '3',
    '--batch',
    '4',
    '--threads',
    '1',
    '--json',
    '-o',
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { history: { trainLoss: number; testAccuracy?: number }[] };
  const losses = j.history.map((h) => h.trainLoss);
  assert.ok(losses.at(-1)! < losses[0]!, `train loss ${losses.join(' → ')}`);
  assert.ok(existsSync(out));
  const tagger = await cli(
    'train',
    '--model',
    join(data, 'tagger/tagger.onnx'),
    '--data',
    join(data, 'tagger/tags.npz'),
    '--epochs',
    '1',
    '-o',
    join(tempDir(), 'x.onnx'),
  );
  assert.equal(tagger.code, 2);
  assert.match(tagger.stderr, /has shape \[2, 10, 5\]; training a per-token output .* is not supported yet/);
});
