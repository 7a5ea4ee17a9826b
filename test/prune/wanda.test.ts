/**
 * Wanda: scores are |w|·‖x‖ with the input norms measured on calibration samples, compared per
 * output row. On a MatMul whose input feature 2 is always zero and whose feature 0 is large, the
 * weights of feature 2 go first even though they are the largest (magnitude keeps them).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorSet } from '../../src/data/index.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { f32, tensor } from '../../src/onnx/tensor.js';
import { pruneModel } from '../../src/prune/prune.js';
import { FINETUNE_RECIPE } from '../../src/train/recipe.js';

function model() {
  const b = new GraphBuilder('wanda-matmul');
  const x = b.input('x', 'float32', ['batch', 4]);
  // W[k, o]: feature 2 holds the largest weights, feature 0 the smallest.
  const w = b.initializer(
    'fc.weight',
    f32([4, 3], [0.1, -0.1, 0.1, 0.5, 0.4, -0.5, 3, -3, 3, 0.5, -0.6, 0.5]),
  );
  b.output(b.op('MatMul', [x, w], {}, { output: 'logits' }), 'float32', ['batch', 3]);
  return b.build();
}

function calibration(n: number): TensorSet {
  // Feature 0 is 100× larger than 1 and 3; feature 2 is always 0.
  const x = Float32Array.from({ length: n * 4 }, (_, i) => [100, 1, 0, -1][i % 4]! * (1 + (i % 7) / 7));
  return {
    name: 'tensors:calibration',
    count: n,
    inputs: new Map([['x', tensor('float32', [n, 4], x)]]),
    labels: tensor('int32', [n], new Int32Array(n)),
    hash: 'calibration',
  };
}

test('wanda drops, per output row, the weights whose input is always zero; magnitude does not', async () => {
  const setup = { train: calibration(16), recipe: FINETUNE_RECIPE };
  const w = await pruneModel(model(), 'wanda', { sparsity: 0.25, setup });
  const m = w.masks.get('fc.weight')!;
  // One of 4 weights per output column o: the one at feature 2 (flat index 2·3 + o).
  assert.deepEqual([...m], [1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
  const mag = await pruneModel(model(), 'magnitude', { sparsity: 0.25, scope: 'layer' });
  assert.deepEqual(
    [...mag.masks.get('fc.weight')!].slice(6, 9),
    [1, 1, 1],
    'magnitude keeps the large weights',
  );
  await assert.rejects(pruneModel(model(), 'wanda', { sparsity: 0.25 }), /needs data/);
});
