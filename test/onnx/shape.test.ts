/**
 * Shape and type inference against ONNX Runtime: on graphs torch.onnx.export wrote (ViT, a
 * BERT-style encoder with int64 ids and symbolic batch and sequence dims, MobileNetV3,
 * EfficientNet) and on the zoo, every intermediate value is exposed as an output and run once;
 * the inferred dims and element type of each must equal what the runtime produced. Shapes are
 * integers, so they are compared exactly.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { PrunefiError } from '../../src/core/errors.js';
import { buildZooModel, ZOO } from '../../src/models/zoo.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/file.js';
import { cloneGraph } from '../../src/onnx/graph.js';
import type { Model } from '../../src/onnx/ir.js';
import { inferShapes, type ShapeInfo, shapeRules } from '../../src/onnx/shape/index.js';
import { f32, i64, type Tensor } from '../../src/onnx/tensor.js';
import { createSession } from '../../src/runtime/session.js';
import { inferShapesMeasured } from '../../src/runtime/shapes.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { REPO } from '../helpers/paths.js';

const FIXTURES = join(REPO, 'test/fixtures/torch');

/** Runs `model` with every node output exposed and compares each with `info`. */
async function checkAgainstRuntime(
  model: Model,
  feeds: Record<string, Tensor>,
  info: ShapeInfo,
): Promise<number> {
  const graph = cloneGraph(model.graph);
  const declared = new Set(graph.outputs.map((v) => v.name));
  for (const n of graph.nodes)
    for (const o of n.outputs)
      if (o !== '' && !declared.has(o)) {
        const type = info.types.get(o);
        assert.ok(type, `no type inferred for '${o}' (${n.opType})`);
        graph.outputs.push({ name: o, elemType: type });
        declared.add(o);
      }
  const s = await createSession({ ...model, graph }, { threads: 1 });
  try {
    const out = await s.run(feeds);
    for (const [name, t] of Object.entries(out)) {
      assert.deepEqual(info.shapes.get(name), t.dims, `shape of '${name}'`);
      assert.equal(info.types.get(name), t.dtype, `type of '${name}'`);
    }
    return Object.keys(out).length;
  } finally {
    await s.release();
  }
}

const image = (batch: number) =>
  f32(
    [batch, 3, 32, 32],
    Array.from({ length: batch * 3072 }, (_, i) => Math.sin(i)),
  );

for (const name of ['vit', 'mobilenetv3', 'efficientnet']) {
  test(`${name}.onnx (torch.onnx.export): every value's shape and type equal ONNX Runtime's, batch 3`, async () => {
    const model = loadModel(join(FIXTURES, `${name}.onnx`));
    const info = inferShapes(model.graph, { batch: 3 });
    assert.deepEqual(info.shapes.get('logits'), [3, 10]);
    const n = await checkAgainstRuntime(model, { input: image(3) }, info);
    assert.ok(n > 50, `${n} values compared`);
  });
}

test('bert.onnx: int64 ids with symbolic batch and sequence dims take --input-shape dims', async () => {
  const model = loadModel(join(FIXTURES, 'bert.onnx'));
  assertPrunefiError(
    () => inferShapes(model.graph),
    'SHAPE_MISMATCH',
    /graph input 'input_ids' has a symbolic dim 'sequence' at axis 1; give its dims with --input-shape input_ids=1xN/,
  );
  const dims = [2, 11];
  const info = inferShapes(model.graph, { inputShapes: { input_ids: dims, attention_mask: dims } });
  assert.deepEqual(info.shapes.get('logits'), [2, 4]);
  const ids = i64(
    dims,
    Array.from({ length: 22 }, (_, i) => (i * 37) % 1000),
  );
  const mask = i64(
    dims,
    Array.from({ length: 22 }, (_, i) => (i % 11 < 9 ? 1 : 0)),
  );
  const n = await checkAgainstRuntime(model, { input_ids: ids, attention_mask: mask }, info);
  assert.ok(n > 50, `${n} values compared`);
});

for (const entry of ZOO.list()) {
  test(`zoo:${entry.name}: every value's shape and type equal ONNX Runtime's`, async () => {
    const model = buildZooModel(entry.name);
    const input = model.graph.inputs[0]!;
    const dims = input.shape!.map((d) => (typeof d === 'number' ? d : 2));
    const info = inferShapes(model.graph, { batch: 2 });
    await checkAgainstRuntime(
      model,
      { [input.name]: f32(dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5)) },
      info,
    );
  });
}

test('an op without a rule names the node and op; partial mode keeps what came before', () => {
  const b = new GraphBuilder('custom');
  const x = b.input('x', 'float32', [1, 4]);
  const r = b.op('Relu', [x], {}, { name: 'relu' });
  b.output(b.op('Relu', [b.op('NonMaxSuppression', [r], {}, { name: 'nms' })]), 'float32');
  assertPrunefiError(
    () => inferShapes(b.graph),
    'ONNX_UNSUPPORTED',
    /cannot infer shapes at node 'nms' \(NonMaxSuppression\): no shape rule for op 'NonMaxSuppression'/,
  );
  const info = inferShapes(b.graph, { partial: true });
  assert.deepEqual(info.shapes.get(r), [1, 4]);
  assert.match(info.unresolved?.message ?? '', /'nms'/);
  assert.ok(info.unresolved instanceof PrunefiError);
});

test('a node whose input has fewer dims than its op reads is a one-line error naming the node', () => {
  // A 2-d kernel on a rank-3 input: the window rule reads spatial axis 2 + 1 of a list of 3.
  const b = new GraphBuilder('short');
  const x = b.input('x', 'float32', [1, 1, 8]);
  const w = b.initializer('w', f32([1, 1, 3, 3], new Float32Array(9)));
  b.output(
    b.op('Conv', [x, w], { kernel_shape: { type: 'ints', value: [3, 3] } }, { name: 'conv' }),
    'float32',
  );
  assertPrunefiError(
    () => inferShapes(b.graph),
    'ONNX_UNSUPPORTED',
    /^cannot infer shapes at node 'conv' \(Conv\): its inputs or attributes have fewer entries than Conv reads \(no element 3 in a list of 3\)$/,
  );
});

test('a data-dependent shape (NonZero → Reshape) is measured with ONNX Runtime', async () => {
  const b = new GraphBuilder('nonzero');
  const x = b.input('x', 'float32', [2, 3]);
  const idx = b.op('NonZero', [x], {}, { name: 'nz' });
  const flat = b.op('Reshape', [idx, b.initializer('minus1', i64([1], [-1]))]);
  b.output(b.op('Cast', [flat], { to: { type: 'int', value: 1 } }), 'float32');
  const model = b.build();
  assertPrunefiError(
    () => inferShapes(model.graph),
    'ONNX_UNSUPPORTED',
    /node 'nz' \(NonZero\).*depends on the data/,
  );
  const feeds = { x: f32([2, 3], [1, 0, 2, 0, 0, 3]) };
  const info = await inferShapesMeasured(model, feeds);
  assert.deepEqual(info.shapes.get(idx), [2, 3]);
  assert.deepEqual(info.shapes.get(flat), [6]);
  await checkAgainstRuntime(model, feeds, info);
});

test('the registry has one rule for each op the issue names, at opsets 13–18', () => {
  const named = [
    'Shape',
    'ConstantOfShape',
    'Expand',
    'Where',
    'Equal',
    'Gather',
    'GatherElements',
    'Slice',
    'Squeeze',
    'Unsqueeze',
    'Range',
    'Cast',
    'Pow',
    'Sqrt',
    'Div',
    'Erf',
    'ReduceMean',
    'LayerNormalization',
    'Softmax',
    'MatMul',
    'Einsum',
    'Split',
    'Tile',
    'Resize',
    'Gelu',
  ];
  for (const op of named) assert.ok(shapeRules.has(op), op);
});

const QUANT = join(REPO, 'test/fixtures/quant');

for (const name of ['qoperator', 'lenet5-qdq-int8', 'lenet5-qdq-uint8', 'lenet5-qdq-int4']) {
  test(`${name}.onnx (make-qdq.py): quantized ops' shapes and types equal ONNX Runtime's, batch 2`, async () => {
    const model = loadModel(join(QUANT, `${name}.onnx`));
    const info = inferShapes(model.graph, { batch: 2 });
    assert.deepEqual(info.shapes.get('logits'), [2, 10]);
    const side = name === 'qoperator' ? 8 : 28;
    const input = f32(
      [2, 1, side, side],
      Array.from({ length: 2 * side * side }, (_, i) => Math.sin(i)),
    );
    const n = await checkAgainstRuntime(model, { input }, info);
    assert.ok(n >= 8, `${n} values compared`);
  });
}

test('quantized ops have rules; a scale that fits neither per-tensor, per-axis nor blocked is a one-line error', () => {
  for (const op of [
    'QuantizeLinear',
    'DequantizeLinear',
    'QLinearConv',
    'QLinearMatMul',
    'ConvInteger',
    'MatMulInteger',
    'DynamicQuantizeLinear',
  ])
    assert.ok(shapeRules.has(op), op);
  const per = loadModel(join(QUANT, 'lenet5-qdq-int8.onnx'));
  per.graph.initializers.set('conv1.weight_scale', f32([5], [1, 1, 1, 1, 1]));
  assertPrunefiError(
    () => inferShapes(per.graph),
    'ONNX_UNSUPPORTED',
    /cannot infer shapes at node 'conv1\.weight_DequantizeLinear' \(DequantizeLinear\): per-axis scales must be \[6\] \(axis 0 of \[6,1,5,5\]\), got \[5\]/,
  );
  const blocked = loadModel(join(QUANT, 'lenet5-qdq-int4.onnx'));
  blocked.graph.initializers.set('fc3.weight_scale', f32([10, 5], new Float32Array(50).fill(1)));
  assertPrunefiError(
    () => inferShapes(blocked.graph),
    'ONNX_UNSUPPORTED',
    /blocked scales must be \[10,6\] \(block_size 16 along axis 1\), got \[10,5\]/,
  );
});
