import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { argmaxRows } from '../../src/core/argmax.js';
import { buildZooModel } from '../../src/models/index.js';
import { classify, createSession } from '../../src/runtime/index.js';
import { parseDevice } from '../../src/runtime/session.js';
import { assertPrunefiError, assertRejectsPrunefi } from '../helpers/assert.js';
import { REPO } from '../helpers/paths.js';

function hasCudaProvider(): boolean {
  const dir = join(REPO, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
  return existsSync(dir) && readdirSync(dir).some((f) => f.includes('providers_cuda'));
}

test('--device cuda without the CUDA binaries is a clear error', {
  skip: hasCudaProvider() ? 'the CUDA execution provider is installed here' : false,
}, async () => {
  await assertRejectsPrunefi(
    () => createSession(buildZooModel('lenet5'), { device: 'cuda' }),
    'DEVICE_UNAVAILABLE',
    /--device cuda failed: .*onnxruntime-node-install=cuda.*--device cpu/,
  );
});

test('device names and thread counts are checked', async () => {
  assert.equal(parseDevice('cpu'), 'cpu');
  assertPrunefiError(() => parseDevice('tpu'), 'USAGE', /--device must be one of cpu, cuda, got 'tpu'/);
  await assert.rejects(() => createSession(buildZooModel('lenet5'), { threads: 0 }), RangeError);
});

test('classify counts top-1 hits batch by batch, in input order', async () => {
  const model = buildZooModel('lenet5', { seed: 4 });
  const session = await createSession(model, { threads: 1 });
  const x = {
    dtype: 'float32' as const,
    dims: [6, 1, 28, 28],
    data: Float32Array.from({ length: 6 * 784 }, (_, i) => Math.sin(i * 0.37)),
  };
  const logits = (await session.run({ input: x })).logits!;
  const expected = argmaxRows(logits.data as Float32Array, 10);
  const half = (from: number) => ({
    dtype: 'float32' as const,
    dims: [3, 1, 28, 28],
    data: x.data.subarray(from * 784, (from + 3) * 784),
  });
  const labels = [
    expected[0]!,
    9 - expected[1]!,
    expected[2]!,
    expected[3]!,
    expected[4]!,
    (expected[5]! + 1) % 10,
  ];
  const r = await classify(
    session,
    'input',
    'logits',
    [
      { x: half(0), y: labels.slice(0, 3) },
      { x: half(3), y: labels.slice(3) },
    ],
    6,
  );
  assert.deepEqual([...r.predictions], [...expected]);
  assert.equal(r.correct, labels.filter((l, i) => l === expected[i]).length);
  assert.equal(r.count, 6);
  await session.release();
});

test('argmax follows PyTorch: the first NaN wins, ties go to the first maximum', () => {
  assert.deepEqual([...argmaxRows([1, 3, 3, 0, Number.NaN, 5, 2, 2, 2], 3)], [1, 1, 0]);
});
