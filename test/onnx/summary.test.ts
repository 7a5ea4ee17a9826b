import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildZooModel } from '../../src/models/index.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DEFAULT_SEQUENCE, describeAssumedDims, resolveDynamicDims } from '../../src/onnx/dynamic-dims.js';
import { loadModel } from '../../src/onnx/file.js';
import { attrInt, attrInts, attrString, type Model, node } from '../../src/onnx/ir.js';
import { inferShapes, windowGeometry } from '../../src/onnx/shape/index.js';
import { summarizeModel } from '../../src/onnx/summary.js';
import { f32, i64, tensor } from '../../src/onnx/tensor.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { REPO, SHARED } from '../helpers/paths.js';

const ALEXNET = join(SHARED, 'models', 'alexnet_cifar.onnx');
const RESNET = join(SHARED, 'models', 'resnet18_cifar.onnx');
const needs = (f: string) => ({ skip: existsSync(f) ? false : `needs ${f} (not present)` });

// Multiply-accumulates per 32×32 image, derived by hand (output pixels × output channels × C_in·k·k):
// AlexNet: 8·8·64·363 + 4·4·192·1600 + 2·2·384·1728 + 2·2·256·3456 + 2·2·256·2304 + 256·10
//        = 1,486,848 + 4,915,200 + 2,654,208 + 3,538,944 + 2,359,296 + 2,560 = 14,957,056.
// ResNet18: stem 32·32·64·27 = 1,769,472; layer1 4 × 32·32·64·576 = 150,994,944; layers 2–4 each
// 16·16·128·576 + 3·(16·16·128·1152) + 16·16·128·64 = 134,217,728 (the same at 8×8×256 and
// 4×4×512); linear 5,120: 1,769,472 + 150,994,944 + 3·134,217,728 + 5,120 = 555,422,720.
const ALEXNET_MACS = 14_957_056;
const RESNET_MACS = 555_422_720;

let resnetZoo: Model | undefined;
const zooResnet = (): Model => {
  resnetZoo ??= buildZooModel('resnet18-cifar');
  return resnetZoo;
};

test('summarizeModel: zoo:resnet18-cifar has 11,173,962 parameters and 0.555 G MACs', () => {
  const s = summarizeModel(zooResnet().graph);
  assert.equal(s.params, 11_173_962);
  assert.equal(s.macs, RESNET_MACS);
  assert.equal(s.paramBytes, 4 * 11_173_962);
  assert.deepEqual(s.inputShape, [1, 3, 32, 32]);
  assert.deepEqual(s.outputShape, [1, 10]);
  assert.equal(s.layers.filter((l) => l.op === 'Conv').length, 20);
  assert.equal(s.layers.filter((l) => l.op === 'BatchNormalization').length, 20);
  // Fresh BatchNorm scales are exactly 1 and biases exactly 0: 4,800 of each, no other zeros.
  assert.equal(s.zeros, 4_800);
  assert.equal(
    summarizeModel(zooResnet().graph, { batch: 4 }).macs,
    4 * RESNET_MACS,
    'MACs scale with batch',
  );
});

test(
  'summarizeModel: shared resnet18_cifar.onnx has 11,173,962 parameters and 0.555 G MACs',
  needs(RESNET),
  () => {
    const model = loadModel(RESNET);
    const s = summarizeModel(model.graph);
    // The exporter aliased three shortcut BatchNorm biases through Identity nodes; they count.
    assert.equal(s.params, 11_173_962);
    assert.equal(s.macs, RESNET_MACS);
    assert.equal(model.graph.nodes.filter((n) => n.opType === 'Identity').length, 3, 'input left untouched');
    const zoo = summarizeModel(zooResnet().graph);
    assert.deepEqual(
      s.layers.map((l) => [l.name, l.node, l.op, l.weightShape, l.params, l.macs, l.outputShape]),
      zoo.layers.map((l) => [l.name, l.node, l.op, l.weightShape, l.params, l.macs, l.outputShape]),
      'layer by layer, the trained export and the zoo model agree',
    );
  },
);

test(
  'summarizeModel: AlexNet-CIFAR (shared and zoo) has 2,472,266 parameters, 14,957,056 MACs',
  needs(ALEXNET),
  () => {
    for (const model of [loadModel(ALEXNET), buildZooModel('alexnet-cifar')]) {
      const s = summarizeModel(model.graph);
      assert.equal(s.params, 2_472_266);
      assert.equal(s.macs, ALEXNET_MACS);
      assert.deepEqual(s.layers[0], {
        name: 'features.0',
        node: '/features/features.0/Conv',
        op: 'Conv',
        inputShape: [1, 3, 32, 32],
        outputShape: [1, 64, 8, 8],
        weightShape: [64, 3, 11, 11],
        params: 23_296,
        macs: 1_486_848,
        zeros: s.layers[0]!.zeros,
        sparsity: s.layers[0]!.sparsity,
      });
      assert.deepEqual(s.layers.at(-1)!.inputShape, [1, 256]);
    }
  },
);

test('summarizeModel counts exact zeros (including -0 and float16 zeros) as sparsity', () => {
  const b = new GraphBuilder('sparse');
  const x = b.input('x', 'float32', ['n', 2, 4, 4]);
  // 3·2·2·2 = 24 weights, 7 of them zero (one is -0), bias 3 values with 1 zero.
  const w = Array.from({ length: 24 }, (_, i) => (i % 4 === 0 ? 0 : i / 10));
  w[23] = -0;
  w[22] = 1e-45; // the smallest subnormal is not zero
  const conv = b.op('Conv', [
    x,
    b.initializer('c.weight', f32([3, 2, 2, 2], w)),
    b.initializer('c.bias', f32([3], [0, 1, 2])),
  ]);
  const flat = b.op('Flatten', [conv], { axis: attrInt(1) });
  // A float16 Gemm weight: patterns 0x0000 and 0x8000 are zeros, 0x0001 (a subnormal) is not.
  const cast = b.op('Cast', [flat], { to: attrInt(10) });
  const wh = tensor('float16', [2, 27], new Uint16Array(54).fill(0x3c00));
  wh.data[0] = 0x0000;
  wh.data[1] = 0x8000;
  wh.data[2] = 0x0001;
  b.output(b.op('Gemm', [cast, b.initializer('g.weight', wh)], { transB: attrInt(1) }), 'float16', ['n', 2]);
  const s = summarizeModel(b.build().graph);
  const [c, g] = s.layers;
  assert.equal(c!.params, 27);
  assert.equal(c!.zeros, 6 + 1 + 1, 'i%4==0 gives 6 zeros among 0..22, plus -0, plus the bias');
  assert.equal(c!.sparsity, 8 / 27);
  assert.equal(g!.zeros, 2);
  assert.equal(g!.macs, 2 * 27);
  assert.equal(c!.macs, 3 * 3 * 3 * 8);
  assert.equal(s.zeros, 10);
  assert.equal(s.sparsity, 10 / 81);
  assert.equal(s.paramBytes, 27 * 4 + 54 * 2);
});

test('shape inference: zoo models at any batch, shared models, intermediate shapes', () => {
  const cases: [string, number[], [string, number[]][]][] = [
    [
      'lenet5',
      [5, 1, 28, 28],
      [
        ['/MaxPool_1_output_0', [5, 16, 5, 5]],
        ['/fc1/Gemm_output_0', [5, 120]],
      ],
    ],
    ['alexnet-cifar', [5, 3, 32, 32], [['/features/features.2/MaxPool_output_0', [5, 64, 4, 4]]]],
    [
      'resnet18-cifar',
      [5, 3, 32, 32],
      [
        ['/layer2/layer2.0/shortcut/shortcut.1/BatchNormalization_output_0', [5, 128, 16, 16]],
        ['/layer4/layer4.1/Relu_1_output_0', [5, 512, 4, 4]],
        ['/GlobalAveragePool_output_0', [5, 512, 1, 1]],
      ],
    ],
    ['vgg11-cifar', [5, 3, 32, 32], [['/features/features.28/MaxPool_output_0', [5, 512, 1, 1]]]],
  ];
  for (const [name, input, expected] of cases) {
    const model = name === 'resnet18-cifar' ? zooResnet() : buildZooModel(name);
    const { shapes } = inferShapes(model.graph, { inputShapes: { input } });
    assert.deepEqual(shapes.get('logits'), [5, 10], name);
    for (const [value, dims] of expected) assert.deepEqual(shapes.get(value), dims, `${name} ${value}`);
    // The batch default (symbolic 'batch' → batch argument) gives the same result.
    assert.deepEqual(inferShapes(model.graph, { batch: 5 }).shapes.get('logits'), [5, 10]);
  }
});

for (const file of [ALEXNET, RESNET]) {
  test(`shape inference on the shared ${file.split('/').pop()}`, needs(file), () => {
    const { shapes } = inferShapes(loadModel(file).graph, { batch: 7 });
    assert.deepEqual(shapes.get('logits'), [7, 10]);
    assert.deepEqual(shapes.get('input'), [7, 3, 32, 32]);
  });
}

test('shape inference folds the Shape→Gather→Unsqueeze→Concat→Reshape chain of x.view(x.size(0), -1)', () => {
  const b = new GraphBuilder('view');
  const x = b.input('x', 'float32', ['batch', 8, 2, 2]);
  const shape = b.op('Shape', [x]);
  const n = b.op('Gather', [shape, b.initializer('zero', i64([], [0]))], { axis: attrInt(0) });
  const n1 = b.op('Unsqueeze', [n, b.initializer('axes', i64([1], [0]))]);
  const target = b.op('Concat', [n1, b.initializer('minus1', i64([1], [-1]))], { axis: attrInt(0) });
  b.output(b.op('Reshape', [x, target]), 'float32', ['batch', 32]);
  const info = inferShapes(b.build().graph, { batch: 3 });
  assert.deepEqual(info.consts.get(target), [3, -1]);
  assert.deepEqual(info.shapes.get(b.graph.outputs[0]!.name), [3, 32]);
});

test('window geometry: ceil_mode and SAME_UPPER / SAME_LOWER padding', () => {
  const pool = (attrs: Parameters<typeof node>[3]) => node('MaxPool', ['x'], ['y'], attrs);
  const base = { kernel_shape: attrInts([3, 3]), strides: attrInts([2, 2]) };
  // Input 8: floor((8 - 3) / 2) + 1 = 3 without padding, ceil gives 4.
  assert.deepEqual(windowGeometry(pool(base), [1, 1, 8, 8], [3, 3]).outSpatial, [3, 3]);
  assert.deepEqual(
    windowGeometry(pool({ ...base, ceil_mode: attrInt(1) }), [1, 1, 8, 8], [3, 3]).outSpatial,
    [4, 4],
  );
  // SAME: out = ceil(8 / 2) = 4, total pad = (4 - 1)·2 + 3 - 8 = 1, the odd pixel at the end (UPPER) or start.
  const upper = windowGeometry(pool({ ...base, auto_pad: attrString('SAME_UPPER') }), [1, 1, 8, 8], [3, 3]);
  assert.deepEqual(
    [upper.outSpatial, upper.pads],
    [
      [4, 4],
      [0, 0, 1, 1],
    ],
  );
  const lower = windowGeometry(pool({ ...base, auto_pad: attrString('SAME_LOWER') }), [1, 1, 8, 8], [3, 3]);
  assert.deepEqual(lower.pads, [1, 1, 0, 0]);
});

test('shape inference errors: unsupported op and symbolic non-batch dims', () => {
  const b = new GraphBuilder('odd');
  const x = b.input('x', 'float32', ['batch', 'channels', 4]);
  b.output(b.op('Relu', [x]), 'float32');
  assertPrunefiError(
    () => inferShapes(b.graph),
    'SHAPE_MISMATCH',
    /graph input 'x' has a symbolic dim 'channels' at axis 1; give its dims with --input-shape x=1xNx4/,
  );
  const c = new GraphBuilder('custom');
  const y = c.input('y', 'float32', [1, 4]);
  c.output(c.op('NonMaxSuppression', [y], {}, { name: 'nms' }), 'float32');
  assertPrunefiError(() => inferShapes(c.graph), 'ONNX_UNSUPPORTED', /node 'nms' \(NonMaxSuppression\)/);
});

test('graphs torch.onnx.export wrote: info counts the parameters PyTorch counts', () => {
  const dir = join(REPO, 'test/fixtures/torch');
  const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as {
    models: Record<string, { params: number }>;
  };
  // Transformers keep every parameter as an initializer: class token, position embedding,
  // decomposed (ViT, opset 14) or fused (BERT, opset 17) LayerNorm, embedding tables.
  const vit = summarizeModel(loadModel(join(dir, 'vit.onnx')).graph);
  assert.equal(vit.params, ref.models.vit!.params);
  const bert = summarizeModel(loadModel(join(dir, 'bert.onnx')).graph, {
    inputShapes: { input_ids: [1, 16], attention_mask: [1, 16] },
  });
  assert.equal(bert.params, ref.models.bert!.params);
  // Attention's parameter-free products (QKᵀ and AV) are rows with MACs: 65 tokens, 64 wide.
  const qk = vit.layers.find((l) => l.node.endsWith('self_attention/MatMul_1'))!;
  assert.deepEqual([qk.params, qk.macs], [0, 4 * 65 * 65 * 16]);
  // In eval mode the exporter folds each BatchNorm into its Conv: PyTorch's 2·C (γ, β) become
  // a C-element bias named onnx::Conv_*, so the graph holds exactly C fewer parameters per BN.
  for (const name of ['mobilenetv3', 'efficientnet']) {
    const model = loadModel(join(dir, `${name}.onnx`));
    let folded = 0;
    for (const [k, t] of model.graph.initializers)
      if (k.startsWith('onnx::Conv_') && t.dims.length === 1) folded += t.dims[0]!;
    assert.ok(folded > 0, name);
    assert.equal(summarizeModel(model.graph).params + folded, ref.models[name]!.params, name);
  }
});

test('a symbolic sequence length gets the longest default the graph accepts, stated, and per-layer MACs', () => {
  const bert = loadModel(join(REPO, 'test/fixtures/torch/bert.onnx')).graph;
  // 128 tokens cannot be added to the 64-row position table, so 64 is the longest that infers.
  const s = summarizeModel(bert);
  assert.equal(s.shapeError, undefined);
  assert.deepEqual(
    s.assumedDims.map((d) => [d.input, d.axis, d.symbol, d.value]),
    [
      ['input_ids', 1, 'sequence', 64],
      ['attention_mask', 1, 'sequence', 64],
    ],
  );
  assert.deepEqual(s.inputShapes, { input_ids: [1, 64], attention_mask: [1, 64] });
  // Per encoder layer at L = 64, hidden 64, 4 heads of 16, MLP 256: q, k, v and output
  // projections 4·L·64·64, QKᵀ and AV 2·4·L·L·16, MLP 2·L·64·256; plus pooler and classifier.
  const L = 64;
  const perLayer = 4 * L * 64 * 64 + 2 * 4 * L * L * 16 + 2 * L * 64 * 256;
  assert.equal(s.macs, 2 * perLayer + 64 * 64 + 4 * 64);
  const qk = s.layers.find((l) => l.node === '/layers.0/attention/MatMul')!;
  assert.deepEqual([qk.outputShape, qk.macs], [[1, 4, L, L], 4 * L * L * 16]);
  assert.match(
    describeAssumedDims(s.assumedDims, s.inputShapes),
    /^symbolic dim 'sequence' of input_ids, attention_mask set to 64 \(the longest of 128, 64, 32, … the graph accepts\); give --input-shape input_ids=1xN for another length$/,
  );
  // A length given for one input binds the same symbol in the others, and nothing is assumed.
  const given = summarizeModel(bert, { inputShapes: { input_ids: [1, 20] } });
  assert.deepEqual(
    [given.assumedDims, given.inputShapes.attention_mask, given.shapeError],
    [[], [1, 20], undefined],
  );
  // Fixed-size models assume nothing.
  assert.deepEqual(
    resolveDynamicDims(loadModel(join(REPO, 'test/fixtures/torch/vit.onnx')).graph).assumed,
    [],
  );
});

test('with no length the graph accepts, the default stays and the counts say why shapes stop', () => {
  const b = new GraphBuilder('odd');
  const x = b.input('x', 'float32', ['batch', 'sequence', 4]);
  const c = b.op('NonMaxSuppression', [b.op('Relu', [x])], {}, { name: 'nms' });
  b.output(c, 'float32');
  const s = summarizeModel(b.graph);
  assert.deepEqual(
    s.assumedDims.map((d) => d.value),
    [DEFAULT_SEQUENCE],
  );
  assert.match(s.shapeError ?? '', /node 'nms' \(NonMaxSuppression\)/);
});
