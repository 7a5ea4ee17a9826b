import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildZooModel } from '../../src/models/index.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { attrInt, attrInts } from '../../src/onnx/ir.js';
import { f32 } from '../../src/onnx/tensor.js';
import { createSession } from '../../src/runtime/session.js';
import { assertClose, assertPrunefiError } from '../helpers/assert.js';
import { patternInput, runOnce } from './support.js';

test('a built graph runs in ONNX Runtime and computes what its nodes say', async () => {
  const b = new GraphBuilder('affine');
  const x = b.input('x', 'float32', ['batch', 3]);
  const w = b.initializer('fc.weight', f32([2, 3], [1, 2, 3, -1, 0, 1]));
  const bias = b.initializer('fc.bias', f32([2], [0.5, -0.5]));
  const y = b.op('Gemm', [x, w, bias], { transB: attrInt(1) }, { name: '/fc/Gemm' });
  b.output(b.op('Relu', [y], {}, { output: 'out' }), 'float32', ['batch', 2]);
  const model = b.build();
  assert.equal(model.irVersion, 8);
  assert.deepEqual(model.opsetImports, [{ domain: '', version: 13 }]);
  assert.equal(model.producerName, 'prunefi');
  assert.equal(y, '/fc/Gemm_output_0', 'outputs are named as PyTorch names them');
  const out = await runOnce(model, { x: f32([2, 3], [1, 1, 1, 3, 2, 1]) });
  // Exact: small integers and halves are exact in float32.
  assertClose(out.data as Float32Array, [6.5, 0, 10.5, 0], {}, 'relu(x·Wᵀ + b)');
});

test('names are made unique the way the PyTorch exporter does (_1, _2, ...)', () => {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', [1, 4]);
  const r1 = b.op('Relu', [x], {}, { name: '/block/Relu' });
  const r2 = b.op('Relu', [r1], {}, { name: '/block/Relu' });
  const r3 = b.op('Relu', [r2]);
  const r4 = b.op('Relu', [r3]);
  assert.deepEqual(
    b.graph.nodes.map((n) => n.name),
    ['/block/Relu', '/block/Relu_1', 'Relu', 'Relu_1'],
  );
  assert.deepEqual(
    [r1, r2, r3, r4],
    ['/block/Relu_output_0', '/block/Relu_1_output_0', 'Relu_output_0', 'Relu_1_output_0'],
  );
  assert.equal(b.fresh('x'), 'x_1');
  const [a, c] = b.node('Split', [r4], { axis: attrInt(1) }, { outputs: 2 });
  assert.deepEqual([a, c], ['Split_output_0', 'Split_output_1']);
});

test('misuse is caught where it happens', () => {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', [1]);
  assert.throws(() => b.input('x', 'float32', [1]), /input name 'x' is already used in graph 'g'/);
  assert.throws(() => b.initializer('x', f32([1], [0])), /already used/);
  assert.throws(
    () => b.op('Relu', ['nowhere']),
    /reads 'nowhere', which no input, initializer or earlier node/,
  );
  assert.throws(() => b.op('Relu', [x], {}, { output: 'x' }), /output name 'x' is already used/);
  assert.throws(() => b.output('later', 'float32'), /graph output 'later' is not defined/);
  assert.throws(() => b.input('', 'float32', [1]), RangeError);
  assertPrunefiError(() => b.build(), 'ONNX_INVALID', /graph 'g' has no outputs/);
  // '' marks an omitted optional input and is always accepted.
  b.op('Clip', [x, '', ''], {}, { output: 'y' });
  b.output('y', 'float32', [1]);
  assert.equal(b.build().graph.nodes.length, 1);
});

test('wrapping an existing graph appends to it without name clashes', async () => {
  const model = buildZooModel('lenet5', { seed: 2 });
  const nodesBefore = model.graph.nodes.length;
  const b = new GraphBuilder(model.graph);
  // A name the exporter already used is renamed, not duplicated.
  const probs = b.op('Softmax', ['logits'], { axis: attrInt(1) }, { name: '/Relu' });
  assert.equal(model.graph.nodes.at(-1)!.name, '/Relu_4', 'four /Relu* nodes already exist');
  const top = b.op('ArgMax', [probs], { axis: attrInt(1), keepdims: attrInt(0) });
  b.output(top, 'int64', ['batch']);
  const extended = b.build();
  assert.equal(extended.graph.nodes.length, nodesBefore + 2);
  const session = await createSession(extended, { threads: 1 });
  const out = await session.run({ input: patternInput([3, 1, 28, 28]) });
  await session.release();
  const logits = out.logits!.data as Float32Array;
  const expected = [0, 1, 2].map((i) => {
    const row = [...logits.subarray(10 * i, 10 * i + 10)];
    return BigInt(row.indexOf(Math.max(...row)));
  });
  assert.deepEqual([...(out[top]!.data as BigInt64Array)], expected);
  assert.throws(() => b.op('Pad', ['input'], { pads: attrInts([0]) }, { output: 'logits' }), /already used/);
});
