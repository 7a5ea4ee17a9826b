/**
 * The weight memory of quantized (QDQ) models made outside prunefi (test/fixtures/quant, by
 * make-qdq.py with PyTorch, numpy and onnx.helper): the stored words are the model's own
 * integers, scales and zero points, a fault changes exactly the decoded value DequantizeLinear
 * computes from the faulty word, packed int4 flips touch only their nibble, and the faulty
 * integers reach ONNX Runtime through the initializer the DequantizeLinear reads. Every check on
 * stored or decoded values is bit-exact: decoding is (q − zero point) · scale in float32, which
 * `Math.fround` reproduces.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Evaluator } from '../../src/campaign/evaluator.js';
import { FaultSpace } from '../../src/fault/fault-models.js';
import { type Fault, StoredModel } from '../../src/fault/memory.js';
import { loadModel } from '../../src/onnx/file.js';
import { cloneModel } from '../../src/onnx/graph.js';
import type { Model } from '../../src/onnx/ir.js';
import { f32, tensorBytes } from '../../src/onnx/tensor.js';
import { createSession } from '../../src/runtime/session.js';
import { assertClose, assertPrunefiError } from '../helpers/assert.js';
import { REPO } from '../helpers/paths.js';

const FIXTURES = join(REPO, 'test/fixtures/quant');
const load = (kind: string): Model => loadModel(join(FIXTURES, `lenet5-qdq-${kind}.onnx`));
const flip = (tensor: string, index: number, bit: number, region: Fault['region'] = 'values'): Fault => ({
  tensor,
  region,
  index,
  bit,
  type: 'bit-flip',
});
const data = (m: Model, name: string) => m.graph.initializers.get(name)!.data as unknown as ArrayLike<number>;

test('int8 QDQ: the stored words are the model’s integers, decoded as DequantizeLinear decodes them', () => {
  const m = load('int8');
  const mem = new StoredModel(m.graph);
  assert.deepEqual(
    mem.layers.map((l) => l.name),
    ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'],
  );
  assert.deepEqual(
    mem.layerOf('conv1.weight_quantized').tensors.map((t) => [t.name, t.role, t.format.name]),
    [
      ['conv1.weight_quantized', 'weight', 'int8'],
      ['conv1.bias', 'bias', 'float32'],
    ],
  );
  assert.equal(mem.wordBits, 8);
  assert.equal(mem.weightFormat.name, 'int8');
  const t = mem.tensor('conv1.weight_quantized');
  assert.deepEqual(
    t.regions.map((r) => [r.name, r.bits, r.words.length]),
    [
      ['values', 8, 150],
      ['scales', 32, 6],
      ['zero-points', 8, 6],
    ],
  );
  assert.deepEqual(t.graphInputs, [
    'conv1.weight_quantized',
    'conv1.weight_scale',
    'conv1.weight_zero_point',
  ]);
  const q = data(m, 'conv1.weight_quantized');
  const s = data(m, 'conv1.weight_scale');
  for (let i = 0; i < 150; i++) {
    assert.equal(t.regions[0]!.words[i], q[i]! & 0xff, `word ${i}`);
    // Per output channel (axis 0): 25 weights per 1×5×5 filter.
    assert.equal(t.golden[i], Math.fround(q[i]! * s[Math.floor(i / 25)]!), `decoded ${i}`);
  }
  // Scales and zero points are stored but outside the fault space unless asked for.
  const words = (x: StoredModel) => new FaultSpace(x).size;
  const valueBits = mem.tensors.reduce((a, x) => a + x.regions[0]!.bits * x.regions[0]!.words.length, 0);
  assert.equal(words(mem), valueBits);
  const scaleBits = mem.tensors.reduce(
    (a, x) => a + x.regions.slice(1).reduce((b, r) => b + r.bits * r.words.length, 0),
    0,
  );
  assert.equal(words(new StoredModel(m.graph, { faultScales: true })), valueBits + scaleBits);
});

test('flipping bit 7 of an int8 weight q changes its decoded value by exactly ±128·scale, − for q ≥ 0', () => {
  const m = cloneModel(load('int8'));
  // Power-of-two scales make every decoded value and difference exact in float32, so the
  // ±128·scale law is checked with equality, not a tolerance.
  const scales = m.graph.initializers.get('conv2.weight_scale')!.data as Float32Array;
  scales.forEach((_, c) => {
    scales[c] = 2 ** -(6 + (c % 5));
  });
  const mem = new StoredModel(m.graph);
  const t = mem.tensor('conv2.weight_quantized');
  const q = data(m, 'conv2.weight_quantized');
  let negative = 0;
  for (let i = 0; i < t.numel; i++) {
    const s = scales[Math.floor(i / 150)]!;
    const c = t.apply([flip(t.name, i, 7)])!;
    assert.deepEqual([...c.positions], [i]);
    assert.equal(c.values[0]! - t.golden[i]!, q[i]! >= 0 ? -128 * s : 128 * s, `weight ${i} (q = ${q[i]})`);
    assert.equal(c.words.get('values')!.get(i), (q[i]! & 0xff) ^ 0x80);
    if (q[i]! < 0) negative++;
  }
  assert.ok(negative > 100 && negative < t.numel - 100, `both signs covered (${negative} negative)`);
  // With the model's own scales the new value is exactly DequantizeLinear of the flipped integer.
  const orig = load('int8');
  const fc = new StoredModel(orig.graph).tensor('fc3.weight_quantized');
  const fq = data(orig, 'fc3.weight_quantized');
  const fs = data(orig, 'fc3.weight_scale');
  for (let i = 0; i < fc.numel; i++) {
    const flipped = fq[i]! >= 0 ? fq[i]! - 128 : fq[i]! + 128;
    assert.equal(fc.apply([flip(fc.name, i, 7)])!.values[0], Math.fround(flipped * fs[Math.floor(i / 84)]!));
  }
});

test('uint8 with a zero point: values decode as (q − zp)·scale; a zero-point flip moves every weight it serves', () => {
  const m = load('uint8');
  const mem = new StoredModel(m.graph, { faultScales: true });
  const t = mem.tensor('fc2.weight_quantized');
  const q = data(m, 'fc2.weight_quantized');
  const s = data(m, 'fc2.weight_scale')[0]!;
  const zp = data(m, 'fc2.weight_zero_point')[0]!;
  assert.equal(zp, 119, 'the fixture’s asymmetric zero point');
  for (let i = 0; i < t.numel; i += 7) {
    assert.equal(t.golden[i], Math.fround((q[i]! - zp) * s));
    for (const bit of [0, 4, 7]) {
      const c = t.apply([flip(t.name, i, bit)])!;
      assert.equal(c.values[0], Math.fround(((q[i]! ^ (1 << bit)) - zp) * s), `weight ${i} bit ${bit}`);
    }
  }
  // Per tensor: one zero point serves all 10 080 weights, and bit 0 moves it by one.
  const c = t.apply([flip(t.name, 0, 0, 'zero-points')])!;
  const zp2 = zp ^ 1;
  assert.equal(c.positions.length, t.numel);
  c.positions.forEach((p, k) => {
    assert.equal(c.values[k], Math.fround((q[p]! - zp2) * s));
  });
  assertPrunefiError(
    () => new StoredModel(m.graph, { storage: 'csr' }),
    'FAULT_CONFIG',
    /quantized weight 'conv1\.weight_quantized' is stored dense by its model/,
  );
});

test('int4 packed two per byte: a flip of bit b of weight k touches only its nibble, blocked scales decode it', () => {
  const m = load('int4');
  const mem = new StoredModel(m.graph);
  const t = mem.tensor('fc3.weight_quantized');
  assert.equal(t.format.name, 'int4');
  assert.deepEqual(
    t.regions.map((r) => [r.name, r.bits, r.words.length]),
    [
      ['values', 4, 840],
      ['scales', 32, 60],
      ['zero-points', 4, 60],
    ],
  );
  // The convs stay float32 in this fixture: a single-bit sweep covers their 32 bits.
  assert.equal(mem.wordBits, 32);
  const q = data(m, 'fc3.weight_quantized');
  const s = data(m, 'fc3.weight_scale');
  const work = mem.goldenInitializers();
  const golden = tensorBytes(work.get(t.name)!).slice();
  assert.equal(golden.length, 420);
  for (const k of [0, 1, 83, 84, 500, 839]) {
    // [10, 84] blocked along axis 1 by 16: 6 blocks per row.
    const scale = s[Math.floor(k / 84) * 6 + Math.floor((k % 84) / 16)]!;
    assert.equal(t.golden[k], Math.fround(q[k]! * scale));
    for (let bit = 0; bit < 4; bit++) {
      const c = t.apply([flip(t.name, k, bit)])!;
      assert.deepEqual([...c.positions], [k]);
      const nibble = (((q[k]! & 0xf) ^ (1 << bit)) << 28) >> 28;
      assert.equal(c.values[0], Math.fround(nibble * scale), `weight ${k} bit ${bit}`);
      t.patchGraph(work, c, false);
      const bytes = tensorBytes(work.get(t.name)!);
      for (let j = 0; j < bytes.length; j++) {
        const expected = j === k >> 1 ? golden[j]! ^ (1 << (bit + 4 * (k & 1))) : golden[j]!;
        assert.equal(bytes[j], expected, `byte ${j} after flipping bit ${bit} of weight ${k}`);
      }
      t.patchGraph(work, c, true);
      assert.deepEqual(tensorBytes(work.get(t.name)!), golden);
    }
  }
});

test('the faulty integers reach ONNX Runtime through the initializer the DequantizeLinear reads', async () => {
  const m = load('int8');
  const n = 40;
  const x = f32(
    [n, 1, 28, 28],
    Array.from({ length: n * 784 }, (_, i) => Math.sin(i * 0.37) * 1.5 + 0.4),
  );
  const labels = Array.from({ length: n }, (_, i) => i % 10);
  const ev = await Evaluator.create(m, { x, labels }, { mode: 'naive', threads: 1 });
  const baked = await createSession(
    (() => {
      const b = cloneModel(m);
      const w = b.graph.initializers.get('fc1.weight_quantized')!.data as Int8Array;
      w[4321] = w[4321]! ^ -128;
      return b;
    })(),
    { threads: 1 },
  );
  try {
    const faulty = await ev.evaluate([flip('fc1.weight_quantized', 4321, 7)], true);
    const want = (await baked.run({ input: x })).logits!.data as Float32Array;
    // The evaluator feeds the integers as a graph input, the baked model holds them as a constant:
    // ONNX Runtime may pick other kernels (prepacked weights), so logits agree to float32 rounding.
    assertClose(faulty.logits, want, { atol: 1e-4 });
    assert.ok(
      faulty.logits.some((v, i) => Math.abs(v - ev.golden.logits[i]!) > 1e-3),
      'the flip changed logits',
    );
  } finally {
    await ev.release();
    await baked.release();
  }
});

test('protections on a quantized model’s integer words are refused with one line naming --protect', () => {
  const m = load('int8');
  const err = assertPrunefiError(
    () => new StoredModel(m.graph, { protect: [{ name: 'secded72' }] }),
    'USAGE',
    /--protect/,
    /quantized integers \(int8\)/,
  );
  assert.ok(!err.message.includes('\n'));
});
