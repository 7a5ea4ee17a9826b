import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmaxRows } from '../../src/core/argmax.js';
import { InterruptedError } from '../../src/core/progress.js';
import { buildZooModel } from '../../src/models/index.js';
import { createSession, measureAccuracy } from '../../src/runtime/index.js';

// A random LeNet-5 on deterministic inputs: its predictions are read from a plain session first,
// so the labels below make known images right and wrong.
const model = buildZooModel('lenet5', { seed: 4 });
const x = {
  dtype: 'float32' as const,
  dims: [6, 1, 28, 28],
  data: Float32Array.from({ length: 6 * 784 }, (_, i) => Math.sin(i * 0.37)),
};
const part = (from: number, n: number) => ({
  dtype: 'float32' as const,
  dims: [n, 1, 28, 28],
  data: x.data.subarray(from * 784, (from + n) * 784),
});

async function predictions(): Promise<Int32Array> {
  const session = await createSession(model, { threads: 1 });
  try {
    const logits = (await session.run({ input: x })).logits;
    assert.ok(logits);
    return argmaxRows(logits.data as Float32Array, 10);
  } finally {
    await session.release();
  }
}

test('measureAccuracy gives each image its correctness, in input order, across batches', async () => {
  const p = await predictions();
  const wrong = (k: number) => ((p[k] ?? 0) + 1) % 10;
  const labels = [p[0] ?? 0, wrong(1), p[2] ?? 0, p[3] ?? 0, wrong(4), p[5] ?? 0];
  const r = await measureAccuracy(
    model,
    {
      images: [
        { x: part(0, 4), y: labels.slice(0, 4) },
        { x: part(4, 2), y: labels.slice(4) },
      ],
      count: 6,
    },
    { session: { threads: 1 } },
  );
  assert.deepEqual([...r.hits], [1, 0, 1, 1, 0, 1]);
  assert.equal(r.correct, 4);
  assert.equal(r.count, 6);
  // 4/6 is computed the same way on both sides, so the comparison can be exact.
  assert.equal(r.accuracy, 4 / 6);
  assert.equal(r.tokens, 6);
  assert.equal(r.tokenCorrect, 4);
  assert.ok(r.seconds >= r.runtimeSeconds && r.runtimeSeconds > 0);
});

test('measureAccuracy scores feed batches the same way, leaving negative labels unscored', async () => {
  const p = await predictions();
  const labels = [p[0] ?? 0, ((p[1] ?? 0) + 3) % 10, -1, p[3] ?? 0, p[4] ?? 0, p[5] ?? 0];
  const r = await measureAccuracy(
    model,
    {
      feeds: [
        { feeds: { input: part(0, 3) }, y: labels.slice(0, 3) },
        { feeds: { input: part(3, 3) }, y: labels.slice(3) },
      ],
    },
    { session: { threads: 1 } },
  );
  // Sample 2 has no scored position, so none of its positions is wrong: it counts as correct.
  assert.deepEqual([...r.hits], [1, 0, 1, 1, 1, 1]);
  assert.equal(r.correct, 5);
  assert.equal(r.tokens, 5);
  assert.equal(r.tokenCorrect, 4);
  assert.equal(r.accuracy, 5 / 6);
});

test('measureAccuracy reports each batch and stops when interrupted', async () => {
  const controller = new AbortController();
  const done: number[] = [];
  const batch = (from: number) => ({ x: part(from, 2), y: [0, 0] });
  await assert.rejects(
    measureAccuracy(
      model,
      { images: [batch(0), batch(2), batch(4)], count: 6 },
      {
        session: { threads: 1 },
        signal: controller.signal,
        onBatch: (n) => {
          done.push(n);
          if (n === 4) controller.abort();
        },
      },
    ),
    InterruptedError,
  );
  assert.deepEqual(done, [2, 4]);
});
