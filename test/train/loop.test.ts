/**
 * The training loop on a small synthetic task: learning happens, resume is bit-identical
 * (straight run == k epochs + resume, also from a mid-epoch interruption), masked weights stay
 * exactly zero, a checkpoint of another recipe is refused, and an op without a gradient rule is
 * a clear error.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ImageSet } from '../../src/data/types.js';
import { attrInt, attrInts } from '../../src/onnx/ir.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { type TrainOptions, train } from '../../src/train/loop.js';
import { GradientSession } from '../../src/train/session.js';
import type { WeightStore } from '../../src/train/weights.js';
import { assertRejectsPrunefi } from '../helpers/assert.js';
import { tempDir } from '../helpers/paths.js';
import { model, randomTensor, testRng } from './models.js';

/** 3 classes of 1×8×8 images: a bright band across rows 0–1, 3–4 or 6–7 (flip-invariant), plus noise. */
function synthetic(count: number, seed: string): ImageSet {
  const rng = testRng(seed);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = rng.int(3);
    labels[i] = k;
    for (let p = 0; p < 64; p++) images[i * 64 + p] = rng.int(90);
    for (let r = 3 * k; r < 3 * k + 2; r++)
      for (let c = 0; c < 8; c++) images[i * 64 + r * 8 + c] = 140 + rng.int(110);
  }
  return {
    name: `synthetic:${seed}`,
    split: seed,
    count,
    shape: [1, 8, 8],
    classes: ['a', 'b', 'c'],
    images,
    labels,
    normalization: { name: 'synthetic', mean: [0.3], std: [0.3] },
    hash: `synthetic-${seed}-${count}`,
  };
}

/** Conv(4, 3×3) → BN → Relu → MaxPool 2 → Flatten → Gemm(3). */
function cnn() {
  const rng = testRng('cnn');
  return model(
    [
      ['Conv', ['X', 'conv.weight', 'conv.bias'], ['c'], { pads: attrInts([1, 1, 1, 1]) }],
      ['BatchNormalization', ['c', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'], ['b']],
      ['Relu', ['b'], ['r']],
      ['MaxPool', ['r'], ['p'], { kernel_shape: attrInts([2, 2]), strides: attrInts([2, 2]) }],
      ['Flatten', ['p'], ['f']],
      ['Gemm', ['f', 'fc.weight', 'fc.bias'], ['Y'], { transB: attrInt(1) }],
    ],
    { dtype: 'float32', shape: [1, 1, 8, 8] },
    {
      'conv.weight': randomTensor(rng, 'float32', [4, 1, 3, 3], 0.3),
      'conv.bias': randomTensor(rng, 'float32', [4], 0.1),
      'bn.weight': randomTensor(rng, 'float32', [4], 0.2),
      'bn.bias': randomTensor(rng, 'float32', [4], 0.1),
      'bn.running_mean': randomTensor(rng, 'float32', [4], 0),
      'bn.running_var': { dtype: 'float32', dims: [4], data: Float32Array.of(1, 1, 1, 1) },
      'fc.weight': randomTensor(rng, 'float32', [3, 64], 0.1),
      'fc.bias': randomTensor(rng, 'float32', [3], 0.1),
    },
  );
}

const trainSet = synthetic(90, 'train');
const testSet = synthetic(60, 'test');

function recipe(extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    train: trainSet,
    test: testSet,
    epochs: 3,
    batchSize: 16,
    optimizer: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 5e-4,
    nesterov: true,
    schedule: 'onecycle',
    labelSmoothing: 0.1,
    seed: 7,
    augment: { padding: 1, flip: true },
    threads: 1,
    ...extra,
  };
}

function assertBitIdentical(a: WeightStore, b: WeightStore): void {
  assert.deepEqual(a.names(), b.names());
  for (const n of a.names()) {
    const x = new Uint32Array(a.get(n).buffer.slice(0));
    const y = new Uint32Array(b.get(n).buffer.slice(0));
    assert.deepEqual(x, y, `weights of ${n} differ`);
  }
}

test('training learns the synthetic task and records its recipe in the output model', async () => {
  const r = await train(cnn(), recipe({ epochs: 6, lr: 0.3 }));
  assert.equal(r.history.length, 6);
  const last = r.history[5]!;
  assert.ok(last.testAccuracy! >= 0.9, `test accuracy ${JSON.stringify(r.history)}`);
  assert.ok(last.trainLoss < r.history[0]!.trainLoss);
  assert.equal(r.model.graph.inputs[0]!.name, 'X');
  assert.equal(r.model.graph.outputs[0]!.name, 'Y');
  assert.equal(JSON.parse(r.model.metadata.get('prunefi.train.recipe')!).optimizer, 'sgd');
  assert.match(r.model.metadata.get('prunefi.train.parent_sha256')!, /^[0-9a-f]{64}$/);
  // Running statistics moved away from their initial values.
  assert.notDeepEqual(r.weights.get('bn.running_var'), Float32Array.of(1, 1, 1, 1));
});

test('k epochs + resume + (N−k) epochs is bit-identical to N epochs straight', async () => {
  const dir = tempDir();
  const ckpt = join(dir, 'run.ckpt');
  const straight = await train(cnn(), recipe());
  const first = await train(cnn(), recipe({ checkpoint: ckpt, stopAfterEpoch: 1 }));
  assert.equal(first.interrupted, true);
  assert.equal(loadCheckpoint(ckpt).epoch, 1);
  const resumed = await train(cnn(), recipe({ checkpoint: ckpt, resume: ckpt }));
  assert.equal(resumed.interrupted, false);
  assertBitIdentical(resumed.weights, straight.weights);
  assert.deepEqual(
    resumed.history.map((h) => h.testAccuracy),
    straight.history.map((h) => h.testAccuracy),
  );
});

test('an interruption mid-epoch saves a checkpoint that resumes bit-identically (AdamW, cosine)', async () => {
  const dir = tempDir();
  const ckpt = join(dir, 'sigint.ckpt');
  const opts = { optimizer: 'adamw', lr: 0.01, schedule: 'cosine', warmupEpochs: 0.5, epochs: 2 };
  const straight = await train(cnn(), recipe(opts));
  const ac = new AbortController();
  const first = await train(
    cnn(),
    recipe({
      ...opts,
      checkpoint: ckpt,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.epoch === 1 && p.step === 3) ac.abort();
      },
    }),
  );
  assert.equal(first.interrupted, true);
  const c = loadCheckpoint(ckpt);
  assert.deepEqual([c.epoch, c.step, c.globalStep], [0, 3, 3]);
  const resumed = await train(cnn(), recipe({ ...opts, resume: ckpt }));
  assertBitIdentical(resumed.weights, straight.weights);
});

test('checkpoints within an epoch (checkpointEvery) let a killed run resume bit-identically', async () => {
  const dir = tempDir();
  const ckpt = join(dir, 'timed.ckpt');
  const straight = await train(cnn(), recipe());
  // A tiny interval checkpoints after every step; copy the file as it was after epoch 2, step 3,
  // as if the process had been killed then (no save on the way out).
  const killedAt = join(dir, 'killed.ckpt');
  await train(
    cnn(),
    recipe({
      checkpoint: ckpt,
      checkpointEvery: 1e-6,
      onProgress: (p) => {
        if (p.phase === 'train' && p.epoch === 2 && p.step === 3) copyFileSync(ckpt, killedAt);
      },
    }),
  );
  const c = loadCheckpoint(killedAt);
  assert.deepEqual([c.epoch, c.step], [1, 3]);
  const resumed = await train(cnn(), recipe({ resume: killedAt }));
  assertBitIdentical(resumed.weights, straight.weights);
  await assert.rejects(
    () => train(cnn(), recipe({ checkpointEvery: 0 })),
    /checkpointEvery must be a positive/,
  );
});

test('resuming with a different recipe is refused', async () => {
  const dir = tempDir();
  const ckpt = join(dir, 'a.ckpt');
  await train(cnn(), recipe({ epochs: 2, checkpoint: ckpt, stopAfterEpoch: 1 }));
  assert.ok(existsSync(ckpt));
  await assertRejectsPrunefi(
    () => train(cnn(), recipe({ epochs: 2, lr: 0.01, resume: ckpt })),
    'CHECKPOINT',
    /different model, data set, mask set or recipe/,
  );
  await assertRejectsPrunefi(
    () => train(cnn(), recipe({ resume: join(dir, 'none.ckpt') })),
    'CHECKPOINT',
    /does not exist/,
  );
});

test('masked weights and their optimizer state stay exactly zero', async () => {
  const rng = testRng('mask');
  const conv = new Uint8Array(36).map(() => (rng.float() < 0.5 ? 0 : 1));
  const fc = new Uint8Array(192).map(() => (rng.float() < 0.7 ? 0 : 1));
  const masks = new Map([
    ['conv.weight', conv],
    ['fc.weight', fc],
  ]);
  for (const optimizer of ['sgd', 'adamw']) {
    const r = await train(cnn(), recipe({ masks, optimizer, epochs: 2, weightDecay: 0.05 }));
    for (const [name, mask] of masks) {
      const w = r.weights.get(name);
      const before = cnn().graph.initializers.get(name)!.data as Float32Array;
      let changed = 0;
      mask.forEach((m, i) => {
        if (m === 0) assert.ok(Object.is(w[i], 0), `${optimizer}: ${name}[${i}] = ${w[i]} though masked`);
        else if (w[i] !== before[i]) changed++;
      });
      assert.ok(changed > 0, `${optimizer}: unmasked weights of ${name} trained`);
    }
  }
});

test('an op without a gradient rule on the path is TRAIN_UNSUPPORTED_OP naming op and node', async () => {
  const m = model(
    [
      ['MatMul', ['X', 'W'], ['h']],
      ['Selu', ['h'], ['Y']],
    ],
    { dtype: 'float32', shape: [2, 3] },
    { W: randomTensor(testRng('selu'), 'float32', [3, 4]) },
  );
  await assertRejectsPrunefi(
    () => GradientSession.create(m),
    'TRAIN_UNSUPPORTED_OP',
    /Selu/,
    /Selu_1/,
    /supported ops: .*Conv/,
  );
});
