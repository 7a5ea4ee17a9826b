import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildZooModel, parseZooSpec, resolveModel, ZOO } from '../../src/models/index.js';
import { exportScope } from '../../src/models/layers.js';
import { loadModel, saveModel } from '../../src/onnx/file.js';
import { materializeIdentityConstants } from '../../src/onnx/graph.js';
import type { Model } from '../../src/onnx/ir.js';
import { summarizeModel } from '../../src/onnx/summary.js';
import { tensorBytes } from '../../src/onnx/tensor.js';
import { assertClose, assertPrunefiError } from '../helpers/assert.js';
import { REPO, SHARED } from '../helpers/paths.js';
import { patternInput, runOnce, scratchDir } from '../onnx/support.js';

const cache = new Map<string, Model>();
/** Zoo models are immutable in these tests, so each (name, seed) is built once. */
function zoo(name: string, seed = 0): Model {
  const key = `${name}#${seed}`;
  let m = cache.get(key);
  if (!m) {
    m = buildZooModel(name, { seed });
    cache.set(key, m);
  }
  return m;
}

const inputDims = (name: string, batch: number): number[] => [batch, ...ZOO.get(name).inputShape];
const sameBytes = (a: Model, b: Model, name: string): boolean =>
  Buffer.from(tensorBytes(a.graph.initializers.get(name)!)).equals(
    Buffer.from(tensorBytes(b.graph.initializers.get(name)!)),
  );

test('the registry lists five documented architectures', () => {
  assert.deepEqual(ZOO.names(), ['lenet5', 'alexnet-cifar', 'resnet18-cifar', 'vgg11-cifar', 'vit-cifar']);
  for (const e of ZOO.list()) {
    assert.ok(e.description.length > 20 && !e.description.endsWith('.'), e.name);
    assert.match(e.reference, /\d{4}/, `${e.name} cites a paper with its year`);
    assert.equal(e.numClasses, 10);
  }
  assert.deepEqual(ZOO.get('lenet5').inputShape, [1, 28, 28]);
  assert.deepEqual(
    ZOO.list().map((e) => e.dataset),
    ['mnist', 'cifar10', 'cifar10', 'cifar10', 'cifar10'],
  );
  assertPrunefiError(
    () => ZOO.get('resnet50'),
    'UNKNOWN_NAME',
    /unknown model 'resnet50'; valid model names: lenet5, alexnet-cifar, resnet18-cifar, vgg11-cifar/,
  );
});

test('parameter and MAC counts of every zoo model (batch 1, default input)', () => {
  // Hand-derived in each architecture's doc comment; PyTorch counts the same parameters.
  const expected: Record<string, [number, number]> = {
    lenet5: [61_706, 416_520],
    'alexnet-cifar': [2_472_266, 14_957_056],
    'resnet18-cifar': [11_173_962, 555_422_720],
    'vgg11-cifar': [9_231_114, 152_769_536],
    // pos_embed counts as a parameter; q·kᵀ and attn·v count as MACs although both sides are activations.
    'vit-cifar': [208_842, 15_925_888],
  };
  for (const name of ZOO.names()) {
    const s = summarizeModel(zoo(name).graph);
    assert.deepEqual([s.params, s.macs], expected[name], name);
  }
});

for (const [file, name] of [
  ['alexnet_cifar.onnx', 'alexnet-cifar'],
  ['resnet18_cifar.onnx', 'resnet18-cifar'],
] as const) {
  const path = join(SHARED, 'models', file);
  test(`zoo:${name} has exactly the graph PyTorch exported in ${file}`, {
    skip: existsSync(path) ? false : `needs ${path} (not present)`,
  }, () => {
    const shared = loadModel(path);
    materializeIdentityConstants(shared.graph);
    const built = zoo(name);
    const sig = (m: Model) => m.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs, n.attributes]);
    assert.deepEqual(sig(built), sig(shared), 'nodes: names, ops, wiring and attributes');
    const inits = (m: Model) =>
      [...m.graph.initializers].map(([k, t]) => `${k}:${t.dtype}:${t.dims.join('x')}`).sort();
    assert.deepEqual(inits(built), inits(shared), 'initializer names, dtypes and shapes');
    assert.deepEqual(built.graph.inputs, shared.graph.inputs);
    assert.deepEqual(built.graph.outputs, shared.graph.outputs);
  });
}

test("initialization follows PyTorch's defaults: U(±1/√fan_in) weights and biases, BatchNorm and LayerNorm 1/0/0/1", () => {
  const layerNorms = new Set(
    [...zoo('vit-cifar').graph.nodes]
      .filter((n) => n.opType === 'LayerNormalization')
      .flatMap((n) => n.inputs.slice(1)),
  );
  for (const name of ZOO.names()) {
    const g = zoo(name).graph;
    for (const [param, t] of g.initializers) {
      const v = t.data as Float32Array;
      const module = param.slice(0, param.lastIndexOf('.'));
      if (param === 'pos_embed') {
        // N(0, 0.02²) over 4096 draws: mean within 5 sd (0.02/64), variance within 10%.
        const mean = v.reduce((a, x) => a + x, 0) / v.length;
        const variance = v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length;
        assert.ok(Math.abs(mean) < (5 * 0.02) / Math.sqrt(v.length), `pos_embed mean ${mean}`);
        assert.ok(Math.abs(variance / 0.02 ** 2 - 1) < 0.1, `pos_embed variance ${variance}`);
        continue;
      }
      if (g.initializers.has(`${module}.running_mean`) || (name === 'vit-cifar' && layerNorms.has(param))) {
        // BatchNorm: scale 1, shift 0, running mean 0, running variance 1.
        const want = param.endsWith('.weight') || param.endsWith('.running_var') ? 1 : 0;
        assert.ok(
          v.every((x) => x === want),
          `${name} ${param} all ${want}`,
        );
        continue;
      }
      const weight = g.initializers.get(`${module}.weight`)!;
      const fanIn = weight.dims.slice(1).reduce((a, d) => a * d, 1);
      const bound = 1 / Math.sqrt(fanIn);
      let max = 0;
      let sum = 0;
      let sumSq = 0;
      for (const x of v) {
        max = Math.max(max, Math.abs(x));
        sum += x;
        sumSq += x * x;
      }
      const n = v.length;
      assert.ok(max <= Math.fround(bound), `${name} ${param}: max |w| ${max} > bound ${bound}`);
      if (n < 1000) continue;
      // U(-b, b): mean 0 (sd b/√(3n)), E[x²] = b²/3 (sd of its estimate b²·√(4/(45n))); 5 sd margins.
      assert.ok(Math.abs(sum / n) < (5 * bound) / Math.sqrt(3 * n), `${name} ${param}: mean ${sum / n}`);
      const m2 = sumSq / n;
      assert.ok(
        Math.abs(m2 - bound ** 2 / 3) < 5 * bound ** 2 * Math.sqrt(4 / (45 * n)),
        `${name} ${param}: E[w²] ${m2} vs ${bound ** 2 / 3}`,
      );
      assert.ok(max > 0.99 * bound, `${name} ${param}: the draws reach the bound (${max} vs ${bound})`);
    }
  }
});

test('weights are a pure function of (seed, parameter name)', () => {
  const a = zoo('resnet18-cifar', 0);
  const again = buildZooModel('resnet18-cifar', { seed: 0 });
  const other = zoo('resnet18-cifar', 2);
  for (const name of a.graph.initializers.keys()) {
    assert.ok(sameBytes(a, again, name), `seed 0 twice: ${name} identical`);
    if (/(conv\d|shortcut\.0|linear)\.weight$/.test(name))
      assert.ok(!sameBytes(a, other, name), `${name} differs`);
  }
  // Changing the head leaves the backbone's draws alone (each parameter has its own stream).
  const wide = buildZooModel('lenet5', { seed: 0, numClasses: 26 });
  const base = zoo('lenet5', 0);
  for (const p of ['conv1.weight', 'conv2.bias', 'fc1.weight', 'fc2.weight'])
    assert.ok(sameBytes(base, wide, p), p);
  assert.deepEqual(wide.graph.initializers.get('fc3.weight')!.dims, [26, 84]);
  assert.deepEqual(wide.graph.outputs[0]!.shape, ['batch', 26]);
});

test('every zoo model runs in ONNX Runtime: [N, classes] logits, deterministic per seed', async () => {
  for (const name of ZOO.names()) {
    const feeds = { input: patternInput(inputDims(name, 2)) };
    const out = await runOnce(zoo(name, 0), feeds);
    assert.deepEqual(out.dims, [2, 10], name);
    const v = out.data as Float32Array;
    assert.ok(v.every(Number.isFinite), `${name}: finite logits`);
    assert.notDeepEqual(
      [...v.subarray(0, 10)],
      [...v.subarray(10)],
      `${name}: different images, different logits`,
    );
    if (name === 'lenet5' || name === 'alexnet-cifar') {
      const again = await runOnce(buildZooModel(name, { seed: 0 }), feeds);
      assert.deepEqual(again.data, out.data, `${name}: same seed, same logits`);
      const other = await runOnce(buildZooModel(name, { seed: 1 }), feeds);
      assert.notDeepEqual(other.data, out.data, `${name}: another seed, other logits`);
    }
  }
});

test('PyTorch cross-check: torch modules loaded with the zoo weights give the same logits', async () => {
  // torch-reference.json: make-torch-reference.py (torch 1.13) ran the torch_baseline.py modules
  // (and the LeNet5/VGG11/ViTCifar definitions in that script) with these models' seed-1 initializers.
  const ref = JSON.parse(readFileSync(join(REPO, 'test/fixtures/models/torch-reference.json'), 'utf8')) as {
    seed: number;
    batch: number;
    models: Record<string, { stateDict: [string, number[]][]; logits: number[] }>;
  };
  assert.deepEqual(Object.keys(ref.models), ZOO.names());
  for (const [name, r] of Object.entries(ref.models)) {
    const model = zoo(name, ref.seed);
    assert.deepEqual(
      [...model.graph.initializers].map(([k, t]) => [k, [...t.dims]]),
      r.stateDict,
      `${name}: initializers are the module's state_dict, in order (regenerate the fixture if the zoo changed)`,
    );
    const out = await runOnce(model, { input: patternInput(inputDims(name, ref.batch)) });
    // Both sides compute in float32 with different summation orders; measured max |diff| is 3e-8
    // on logits of magnitude ~0.05, so 1e-6 leaves room yet catches any layout or init error.
    assertClose(out.data as Float32Array, r.logits, { atol: 1e-6 }, `${name} logits vs PyTorch`);
  }
});

test('build options: classes, input shape, and bad values', () => {
  const rgb = buildZooModel('lenet5', { inputShape: [3, 32, 32] });
  assert.deepEqual(rgb.graph.initializers.get('fc1.weight')!.dims, [120, 576], '16 × 6 × 6 features');
  assert.deepEqual(rgb.graph.inputs[0]!.shape, ['batch', 3, 32, 32]);
  assert.equal(
    summarizeModel(buildZooModel('alexnet-cifar', { numClasses: 100 }).graph).params,
    2_472_266 + 90 * 257,
  );
  assert.throws(
    () => buildZooModel('alexnet-cifar', { inputShape: [3, 8, 8] }),
    /too small for alexnet-cifar/,
  );
  assert.throws(() => buildZooModel('lenet5', { numClasses: 0 }), RangeError);
  assert.throws(() => buildZooModel('lenet5', { seed: 0.5 }), RangeError);
  assert.throws(() => buildZooModel('lenet5', { inputShape: [28, 28] }), /must be \[C, H, W\]/);
});

test('resolveModel: zoo specs with options, file paths, and errors', (t) => {
  const m = resolveModel('zoo:lenet5?seed=3');
  assert.ok(sameBytes(m, buildZooModel('lenet5', { seed: 3 }), 'conv1.weight'));
  assert.equal(m.metadata.get('prunefi.source'), 'zoo:lenet5?seed=3&classes=10&input=1x28x28');
  // The recorded source rebuilds the identical model.
  const rebuilt = resolveModel(m.metadata.get('prunefi.source')!);
  for (const name of m.graph.initializers.keys()) assert.ok(sameBytes(m, rebuilt, name), name);
  // Defaults apply unless the spec names its own value.
  assert.ok(sameBytes(resolveModel('zoo:lenet5', { seed: 3 }), m, 'fc1.weight'));
  assert.ok(!sameBytes(resolveModel('zoo:lenet5?seed=4', { seed: 3 }), m, 'fc1.weight'));
  assert.deepEqual(parseZooSpec('zoo:vgg11-cifar?classes=100&input=3x64x64&seed=-2'), {
    name: 'vgg11-cifar',
    options: { numClasses: 100, inputShape: [3, 64, 64], seed: -2 },
  });
  assert.equal(parseZooSpec('models/zoo.onnx'), undefined);

  const path = join(scratchDir(t), 'lenet.onnx');
  saveModel(m, path);
  assert.ok(sameBytes(resolveModel(path), m, 'conv1.weight'));

  assertPrunefiError(
    () => resolveModel('zoo:lenet'),
    'UNKNOWN_NAME',
    /unknown model 'lenet'/,
    /lenet5, alexnet-cifar/,
  );
  assertPrunefiError(() => resolveModel('zoo:'), 'UNKNOWN_NAME', /valid model names/);
  assertPrunefiError(
    () => resolveModel('zoo:lenet5?sed=1'),
    'USAGE',
    /unknown option 'sed'/,
    /seed, classes, input/,
  );
  assertPrunefiError(
    () => resolveModel('zoo:lenet5?seed=abc'),
    'USAGE',
    /seed must be an integer, got 'abc'/,
  );
  assertPrunefiError(() => resolveModel('zoo:lenet5?classes=0'), 'USAGE', /classes must be an integer >= 1/);
  assertPrunefiError(() => resolveModel('zoo:lenet5?input=1x28'), 'USAGE', /input must be CxHxW/);
  assertPrunefiError(() => resolveModel('nowhere/model.onnx'), 'MODEL_NOT_FOUND', /nowhere\/model\.onnx/);
});

test('exportScope mirrors the PyTorch exporter scope names', () => {
  assert.equal(exportScope(''), '');
  assert.equal(exportScope('conv1'), '/conv1');
  assert.equal(exportScope('features.10'), '/features/features.10');
  assert.equal(exportScope('layer2.0.shortcut.1'), '/layer2/layer2.0/shortcut/shortcut.1');
});
