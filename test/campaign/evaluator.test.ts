/**
 * The evaluator: fast and naive modes give identical outcomes on the same faults, skipping is
 * exact (no-effect experiments, unreachable images), experiments replay from (seed, index), and
 * a torch_baseline.py fault list replays on the shared AlexNet.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Evaluator, type ImageInput } from '../../src/campaign/evaluator.js';
import { buildPlan } from '../../src/campaign/plan.js';
import { Rng } from '../../src/core/rng.js';
import { firstPerClass, imagesToTensor, labelsOf, loadDataset } from '../../src/data/index.js';
import { checkFaultList, readFaultList } from '../../src/fault/fault-list.js';
import { FaultSpace, sampleFaults } from '../../src/fault/fault-models.js';
import type { Fault } from '../../src/fault/memory.js';
import { loadModel } from '../../src/onnx/file.js';
import { tinyImages, tinyResnet } from '../fault/tiny.js';
import { REPO, SHARED } from '../helpers/paths.js';
import { compareModes } from './compare-modes.js';

const ALEXNET = join(SHARED, 'models/alexnet_cifar.onnx');
const CIFAR = join(SHARED, 'datasets/cifar10-jpeg/test.tar.gz');
const needShared =
  existsSync(ALEXNET) && existsSync(CIFAR) ? false : 'needs ../shared/models and datasets (not present)';

test('tiny model: fast and naive modes agree on single faults, bursts, stuck-ats, BER and CSR memory', async () => {
  const model = tinyResnet();
  const input = tinyImages(40);
  const probe = await Evaluator.create(model, input, {});
  const space = new FaultSpace(probe.memory);
  await probe.release();
  const rng = Rng.seeded('modes');
  const exps: Fault[][] = [];
  for (let i = 0; i < 30; i++) exps.push(sampleFaults(space, { model: 'exact-k', k: 1 }, rng.split(i)));
  for (let i = 0; i < 6; i++) exps.push(sampleFaults(space, { model: 'exact-k', k: 3 }, rng.split('k3', i)));
  for (let i = 0; i < 4; i++)
    exps.push(sampleFaults(space, { model: 'ber', ber: 1e-3 }, rng.split('ber', i)));
  exps.push([{ tensor: 'conv2.weight', region: 'values', index: 40, bit: 30, type: 'bit-flip' }]); // pruned filter
  exps.push([{ tensor: 'conv1.weight', region: 'values', index: 3, bit: 30, type: 'stuck-at-1' }]);
  exps.push([{ tensor: 'fc.weight', region: 'values', index: 2, bit: 20, type: 'burst', length: 4 }]);
  const skipped = await compareModes(model, input, exps);
  assert.ok(skipped > 0, 'fast mode skipped some images the faults could not reach');
  const csr = tinyResnet();
  const csrProbe = await Evaluator.create(csr, input, { storage: 'csr' });
  const cspace = new FaultSpace(csrProbe.memory, { layers: ['conv2'] });
  await csrProbe.release();
  const cexps = Array.from({ length: 12 }, (_, i) =>
    sampleFaults(cspace, { model: 'exact-k', k: 1 }, rng.split('csr', i)),
  );
  await compareModes(csr, input, cexps, { storage: 'csr' });
  // With no room to cache golden activations, fast mode runs from the input and stays exact.
  await compareModes(model, input, exps.slice(0, 8), { cacheMiB: 1e-6 });
});

test('no-effect experiments are recorded without inference; unreachable images are golden', async () => {
  const ev = await Evaluator.create(tinyResnet(), tinyImages(30), {});
  try {
    const w = ev.memory.tensor('conv1.weight');
    const sign = new Uint32Array(Float32Array.of(w.golden[0]!).buffer)[0]! >>> 31;
    const none = await ev.evaluate([
      {
        tensor: 'conv1.weight',
        region: 'values',
        index: 0,
        bit: 31,
        type: sign ? 'stuck-at-1' : 'stuck-at-0',
      },
    ]);
    assert.equal(none.effect, 'none');
    assert.equal(none.imagesRun, 0);
    assert.equal(none.sdc, 0);
    assert.equal(ev.sessions, 0, 'no session was needed');
    // A weight of the pruned conv2 filter multiplies conv1's ReLU output: images where that
    // input channel is all zero cannot change.
    const pruned = await ev.evaluate([
      { tensor: 'conv2.weight', region: 'values', index: 40, bit: 2, type: 'bit-flip' },
    ]);
    assert.equal(pruned.effect, 'run');
    assert.ok(pruned.imagesRun <= pruned.images);
    const empty = await ev.evaluate([]);
    assert.equal(empty.effect, 'none');
  } finally {
    await ev.release();
  }
});

test('an experiment replays alone from (seed, index)', async () => {
  const model = tinyResnet();
  const input = tinyImages(20);
  const ev = await Evaluator.create(model, input, {});
  try {
    const plan = buildPlan({ kind: 'single-bit', perBit: 3 }, ev.memory, 99);
    const again = buildPlan({ kind: 'single-bit', perBit: 3 }, ev.memory, 99);
    assert.equal(plan.size, 96);
    assert.deepEqual(plan.faults(77), again.faults(77));
    assert.equal(plan.faults(77)[0]!.bit, 77 % 32);
    assert.equal(plan.stratum(77), 'bit=13');
    const a = await ev.evaluate(plan.faults(77));
    const b = await ev.evaluate(again.faults(77));
    assert.deepEqual(a, b);
  } finally {
    await ev.release();
  }
});

let cifar: ImageInput | undefined;
async function cifar100(): Promise<ImageInput> {
  if (!cifar) {
    const set = await loadDataset(CIFAR, { split: 'test' });
    const idx = firstPerClass(set, 10);
    cifar = { x: imagesToTensor(set, idx), labels: labelsOf(set, idx) };
  }
  return cifar;
}

test('AlexNet-CIFAR: fast and naive modes agree on real images, including exponent flips', {
  skip: needShared,
}, async () => {
  const model = loadModel(ALEXNET);
  const input = await cifar100();
  const probe = await Evaluator.create(model, input, { foldBn: false, cacheMiB: 64 });
  const rng = Rng.seeded('alexnet');
  const exps: Fault[][] = [];
  const any = new FaultSpace(probe.memory);
  const exp30 = new FaultSpace(probe.memory, { bits: [30, 30] });
  for (let i = 0; i < 5; i++) exps.push(sampleFaults(any, { model: 'exact-k', k: 1 }, rng.split('any', i)));
  for (let i = 0; i < 5; i++) exps.push(sampleFaults(exp30, { model: 'exact-k', k: 1 }, rng.split('b30', i)));
  await probe.release();
  await compareModes(model, input, exps, { foldBn: false });
});

test('a torch_baseline.py fault list replays on AlexNet (fixture: first 8 faults of `flips --model alexnet --seed 1`)', {
  skip: needShared,
}, async () => {
  const list = readFaultList(join(REPO, 'test/fixtures/fault/torch-flips-alexnet.json'));
  assert.equal(list.source, 'pytorch');
  const input = await cifar100();
  const ev = await Evaluator.create(loadModel(ALEXNET), input, { foldBn: false });
  try {
    checkFaultList(list, ev.memory);
    for (const e of list.experiments) {
      const o = await ev.evaluate(e.faults);
      const f = e.faults[0]!;
      assert.equal(o.sdc, e.reference!.sdc, `SDC of ${f.tensor}[${f.index}] bit ${f.bit}`);
      // PyTorch reports accuracy as a float32 mean: compare at float32 precision.
      assert.equal(Math.fround(o.accuracy), Math.fround(e.reference!.accuracy));
    }
  } finally {
    await ev.release();
  }
});
