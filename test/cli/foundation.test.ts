import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from '../helpers/cli.js';
import { SHARED, tempDir } from '../helpers/paths.js';

const dir = tempDir('prunefi-cli-');
const cache = join(dir, 'cache');

test('info reports PyTorch-style parameter counts and MACs for the zoo', async () => {
  const r = await cli('info', 'zoo:resnet18-cifar', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { params: number; macs: number; layers: { name: string }[] };
  assert.equal(j.params, 11_173_962);
  // 555,422,720 MACs for one 32×32 image (conv + linear), the "≈0.56 G" thop reports.
  assert.equal(j.macs, 555_422_720);
  assert.ok(j.layers.some((l) => l.name === 'layer4.1.conv2'));
  const t = await cli('info', 'zoo:lenet5');
  assert.equal(t.code, 0);
  assert.match(t.stdout, /total\s.*61,706/);
});

const sharedResnet = join(SHARED, 'models', 'resnet18_cifar.onnx');
test('info on the shared ResNet18 file', {
  skip: existsSync(sharedResnet) ? false : 'needs ../shared/models (not present)',
}, async () => {
  const r = await cli('info', sharedResnet, '--json');
  const j = JSON.parse(r.stdout) as { params: number; macs: number };
  assert.equal(j.params, 11_173_962);
  assert.equal(j.macs, 555_422_720);
});

test('eval runs a zoo model on the bundled MNIST digits', async () => {
  const r = await cli(
    'eval',
    '--model',
    'zoo:lenet5',
    '--data',
    'mnist',
    '--limit',
    '200',
    '--cache-dir',
    cache,
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { images: number; accuracy: number; imagesPerSecond: number };
  assert.equal(j.images, 200);
  assert.ok(j.accuracy >= 0 && j.accuracy <= 1);
  assert.ok(j.imagesPerSecond > 0);
});

/** Runs a failing command and checks: exit 2, one-line message matching, no stack, no new files. */
async function expectBadInput(args: string[], pattern: RegExp): Promise<void> {
  const before = readdirSync(dir, { recursive: true }).length;
  const r = await cli(...args);
  assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(readdirSync(dir, { recursive: true }).length, before, 'nothing written');
}

test('bad input: each case exits 2 with a message naming the file and what to do', async () => {
  const notOnnx = join(dir, 'notes.onnx');
  writeFileSync(notOnnx, 'this is a text file, not a model\n'.repeat(20));
  await expectBadInput(['info', notOnnx], /notes\.onnx is not (a readable )?(an )?ONNX model/);

  const truncated = join(dir, 'truncated.onnx');
  const { buildZooModel } = await import('../../src/models/index.js');
  const { encodeModel } = await import('../../src/onnx/proto.js');
  const bytes = encodeModel(buildZooModel('lenet5'));
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await expectBadInput(
    ['info', truncated],
    /truncated\.onnx is not a readable ONNX model.*complete \.onnx export/,
  );

  await expectBadInput(
    ['info', 'zoo:resnet99'],
    /unknown model 'resnet99'; valid model names: lenet5, alexnet-cifar/,
  );
  await expectBadInput(['info', join(dir, 'missing.onnx')], /missing\.onnx does not exist/);

  await expectBadInput(
    ['eval', '--model', 'zoo:resnet18-cifar', '--data', 'mnist', '--limit', '20', '--cache-dir', cache],
    /expects input 'input' of shape batch×3×32×32, but mnist:test has images of shape 1×28×28; use a model built for this dataset/,
  );
  await expectBadInput(
    ['eval', '--model', 'zoo:lenet5', '--data', join(dir, 'nowhere'), '--cache-dir', cache],
    /nowhere.*(does not exist|not found)/i,
  );

  const empty = join(dir, 'empty-folder');
  mkdirSync(join(empty, 'cat'), { recursive: true });
  mkdirSync(join(empty, 'dog'), { recursive: true });
  writeFileSync(join(empty, 'cat', 'readme.txt'), 'no images here');
  await expectBadInput(
    ['eval', '--model', 'zoo:lenet5', '--data', empty, '--cache-dir', cache],
    /empty-folder.*(no images|not recogni)/i,
  );

  const broken = join(dir, 'broken');
  mkdirSync(join(broken, 'cat'), { recursive: true });
  mkdirSync(join(broken, 'dog'), { recursive: true });
  writeFileSync(join(broken, 'cat', 'a.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
  writeFileSync(join(broken, 'dog', 'b.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
  await expectBadInput(
    ['eval', '--model', 'zoo:alexnet-cifar', '--data', broken, '--cache-dir', cache],
    /cat\/a\.jpg/,
  );

  const cifar = join(dir, 'cifar-10-batches-bin');
  mkdirSync(cifar);
  writeFileSync(join(cifar, 'test_batch.bin'), new Uint8Array(3073 * 2 + 5));
  for (let i = 1; i <= 5; i++) writeFileSync(join(cifar, `data_batch_${i}.bin`), new Uint8Array(3073));
  await expectBadInput(
    ['eval', '--model', 'zoo:alexnet-cifar', '--data', cifar, '--cache-dir', cache],
    /test_batch\.bin.*6151 bytes.*3073/,
  );
});

const sharedAlex = join(SHARED, 'models', 'alexnet_cifar.onnx');
test('a model saved elsewhere keeps working (file argument, relative paths)', {
  skip: existsSync(sharedAlex) ? false : 'needs ../shared/models (not present)',
}, async () => {
  const copy = join(dir, 'alex.onnx');
  copyFileSync(sharedAlex, copy);
  const r = await cli('info', copy, '--json');
  assert.equal(JSON.parse(r.stdout).params, 2_472_266);
  assert.ok(readFileSync(copy).length > 0);
});
