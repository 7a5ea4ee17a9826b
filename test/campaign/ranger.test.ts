/**
 * Ranger (activation range restriction) on the tiny model: its bounds are the golden extremes of
 * each activation on the profiling images, the clipped model loads and runs in ONNX Runtime and
 * changes nothing fault-free on those images, it has the same stored weights (so a campaign's
 * faults pair with the unclipped model's) and fewer SDCs on exponent-bit faults, and fast and
 * naive mode agree on it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Evaluator, storedModelOf } from '../../src/campaign/evaluator.js';
import { profileRangerBounds, withRanger } from '../../src/campaign/ranger.js';
import type { Fault } from '../../src/fault/memory.js';
import { cloneModel } from '../../src/onnx/graph.js';
import { f32 } from '../../src/onnx/tensor.js';
import { createSession } from '../../src/runtime/session.js';
import { tinyImages, tinyResnet } from '../fault/tiny.js';
import { compareModes } from './compare-modes.js';

test('Ranger bounds are the golden max (and 0 for Relu) of each activation, measured image by image', async () => {
  const model = tinyResnet();
  const profile = tinyImages(24, 7).x;
  const bounds = await profileRangerBounds(model, profile);
  const relus = model.graph.nodes.filter((n) => n.opType === 'Relu').map((n) => n.outputs[0]!);
  assert.deepEqual(
    bounds.map((b) => b.tensor),
    relus,
  );
  // Independently: one image per run, the activations as outputs, the maximum taken here.
  const probe = cloneModel(model);
  for (const t of relus) probe.graph.outputs.push({ name: t, elemType: 'float32' });
  const session = await createSession(probe, { threads: 1 });
  const max = relus.map(() => Number.NEGATIVE_INFINITY);
  const per = profile.data.length / profile.dims[0]!;
  for (let i = 0; i < profile.dims[0]!; i++) {
    const x = f32([1, ...profile.dims.slice(1)], profile.data.subarray(i * per, (i + 1) * per));
    const out = await session.run({ input: x }, relus);
    relus.forEach((t, k) => {
      for (const v of out[t]!.data as Float32Array) max[k] = Math.max(max[k]!, v);
    });
  }
  await session.release();
  // Exactly: a maximum is one of the computed float32 values, and each image's activations are
  // the same float32 sums whether run alone or in a batch.
  assert.deepEqual(
    bounds.map((b) => [b.min, b.max]),
    max.map((m) => [0, m]),
  );
});

test('the Ranger model loads in ONNX Runtime, is unchanged fault-free on its profiling images, stores the same weights', async () => {
  const model = tinyResnet();
  const input = tinyImages(30);
  const ranger = withRanger(model, await profileRangerBounds(model, input.x));
  assert.equal(ranger.graph.nodes.filter((n) => n.opType === 'Clip').length, 2);
  const plain = await Evaluator.create(model, input, { threads: 1 });
  const clipped = await Evaluator.create(ranger, input, { threads: 1 });
  try {
    // Nothing exceeds the bounds it was profiled on, so Clip is the identity: same predictions.
    assert.deepEqual([...clipped.golden.predictions], [...plain.golden.predictions]);
    assert.equal(clipped.memory.bits, plain.memory.bits);
    assert.deepEqual(
      clipped.memory.tensors.map((t) => t.name),
      plain.memory.tensors.map((t) => t.name),
    );
  } finally {
    await plain.release();
    await clipped.release();
  }
});

/** Every bit-30 flip (the top exponent bit of float32) of every stored weight. */
function exponentFlips(model: ReturnType<typeof tinyResnet>): Fault[][] {
  const { memory } = storedModelOf(model);
  return memory.tensors.flatMap((t) =>
    Array.from({ length: t.golden.length }, (_, index) => [
      { tensor: t.name, region: 'values' as const, index, bit: 30, type: 'bit-flip' },
    ]),
  );
}

test('Ranger has fewer SDCs than no protection on the same exponent-bit faults', async () => {
  const model = tinyResnet();
  const input = tinyImages(40);
  const ranger = withRanger(model, await profileRangerBounds(model, tinyImages(60, 9).x));
  const faults = exponentFlips(model);
  const sdcs = async (m: typeof model): Promise<number[]> => {
    const ev = await Evaluator.create(m, input, { threads: 1 });
    try {
      const out: number[] = [];
      for (const f of faults) out.push((await ev.evaluate(f)).sdc);
      return out;
    } finally {
      await ev.release();
    }
  };
  const plain = await sdcs(model);
  const clipped = await sdcs(ranger);
  const total = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
  assert.ok(total(plain) > 0, 'exponent flips cause SDCs unprotected');
  assert.ok(
    total(clipped) < total(plain),
    `Ranger ${total(clipped)} SDC images vs ${total(plain)} unprotected`,
  );
});

test('fast and naive mode give identical outcomes on the Ranger model', async () => {
  const model = tinyResnet();
  const input = tinyImages(30);
  const ranger = withRanger(model, await profileRangerBounds(model, tinyImages(60, 9).x));
  await compareModes(
    ranger,
    input,
    exponentFlips(model).filter((_, i) => i % 3 === 0),
  );
});
