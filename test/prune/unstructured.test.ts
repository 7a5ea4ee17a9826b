import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { cloneModel, weightLayers } from '../../src/onnx/graph.js';
import { numel, toFloat32 } from '../../src/onnx/tensor.js';
import { kthSmallest, maskLowest, maskSparsity } from '../../src/prune/masks.js';
import { pruneModel } from '../../src/prune/prune.js';
import { nmMask } from '../../src/prune/unstructured.js';
import { tinyCnn } from './nets.js';

function zerosOf(values: Float32Array): number {
  return values.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
}

test('maskLowest removes exactly k entries, lowest first, ties by position', () => {
  const [m] = maskLowest([Float32Array.from([3, 1, 2, 1, 5])], 2);
  assert.deepEqual([...m!], [1, 0, 1, 0, 1]);
  // Three tied 1s, remove two: the first two by position go.
  const [a, b] = maskLowest([Float32Array.from([1, 4]), Float32Array.from([1, 1, 9])], 2);
  assert.deepEqual([...a!], [0, 1]);
  assert.deepEqual([...b!], [0, 1, 1]);
  assert.throws(() => maskLowest([Float32Array.from([1, Number.NaN])], 1), /NaN/);
});

test('kthSmallest agrees with sorting, with ties and duplicates', () => {
  const rng = Rng.seeded(11);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(60);
    // Few distinct values, so ties are common.
    const a = Float64Array.from({ length: n }, () => rng.int(trial % 2 ? 5 : 1000));
    const sorted = [...a].sort((x, y) => x - y);
    const r = rng.int(n);
    assert.equal(kthSmallest(a.slice(), r), sorted[r], `trial ${trial}`);
  }
});

test('global magnitude uses one threshold across layers; layer scope cuts each layer alone', async () => {
  const model = tinyCnn();
  // Scale conv1 up so a global threshold must prune it less than the other layers.
  const w1 = model.graph.initializers.get('conv1.weight')!.data as Float32Array;
  for (let i = 0; i < w1.length; i++) w1[i]! *= 10;
  const g = await pruneModel(model, 'magnitude', { sparsity: 0.6 });
  const weights = weightLayers(model.graph).map((l) => l.weight);
  const all = weights
    .flatMap((w) => [...toFloat32(model.graph.initializers.get(w)!)].map(Math.abs))
    .sort((x, y) => x - y);
  const k = Math.round(0.6 * all.length);
  const threshold = all[k - 1]!;
  let zeros = 0;
  for (const w of weights) {
    const before = toFloat32(model.graph.initializers.get(w)!);
    const after = toFloat32(g.model.graph.initializers.get(w)!);
    for (let i = 0; i < before.length; i++) {
      if (after[i] === 0) {
        zeros++;
        assert.ok(Math.abs(before[i]!) <= threshold, `${w}[${i}] pruned above the global threshold`);
      } else assert.ok(Math.abs(before[i]!) >= threshold, `${w}[${i}] kept below the global threshold`);
    }
  }
  assert.equal(zeros, k);
  const conv1 = g.layers.find((l) => l.weight === 'conv1.weight')!;
  const fc = g.layers.find((l) => l.weight === 'fc.weight')!;
  assert.ok(conv1.sparsity < 0.1 && fc.sparsity > 0.6, `conv1 ${conv1.sparsity}, fc ${fc.sparsity}`);
  assert.ok(Math.abs(g.sparsity - 0.6) < 1e-3);

  const l = await pruneModel(model, 'magnitude', { sparsity: 0.6, scope: 'layer' });
  for (const w of weights) {
    const n = numel(model.graph.initializers.get(w)!.dims);
    assert.equal(zerosOf(toFloat32(l.model.graph.initializers.get(w)!)), Math.round(0.6 * n), w);
  }
  // The parent is untouched.
  assert.equal(zerosOf(toFloat32(model.graph.initializers.get('fc.weight')!)), 0);
});

test('per-layer overrides and skip-first/last', async () => {
  const model = tinyCnn();
  const r = await pruneModel(model, 'magnitude', {
    sparsity: 0.5,
    skipFirst: true,
    layers: { 'fc.weight': 0.9 },
    scope: 'layer',
  });
  const sp = Object.fromEntries(r.layers.map((l) => [l.weight, l.sparsity]));
  assert.equal(sp['conv1.weight'], 0);
  assert.ok(Math.abs(sp['conv2.weight']! - 0.5) < 1e-3);
  assert.ok(Math.abs(sp['fc.weight']! - 0.9) < 1e-3);
  assert.ok(r.notes.some((n) => /conv1.weight: not pruned \(first layer/.test(n)));
  const last = await pruneModel(model, 'magnitude', { sparsity: 0.5, skipLast: true });
  assert.equal(last.layers.find((l) => l.weight === 'fc.weight')!.sparsity, 0);
});

test('random pruning reaches the rate per layer, is seeded, and differs from magnitude', async () => {
  const model = tinyCnn();
  const a = await pruneModel(model, 'random', { sparsity: 0.7, seed: 3 });
  const b = await pruneModel(model, 'random', { sparsity: 0.7, seed: 3 });
  const c = await pruneModel(model, 'random', { sparsity: 0.7, seed: 4 });
  const m = await pruneModel(model, 'magnitude', { sparsity: 0.7, scope: 'layer' });
  for (const w of ['conv1.weight', 'conv2.weight', 'fc.weight']) {
    const va = toFloat32(a.model.graph.initializers.get(w)!);
    assert.equal(zerosOf(va), Math.round(0.7 * va.length), w);
    assert.deepEqual(va, toFloat32(b.model.graph.initializers.get(w)!));
  }
  const mask = (r: typeof a) =>
    [...toFloat32(r.model.graph.initializers.get('conv2.weight')!)].map((v) => v === 0);
  assert.notDeepEqual(mask(a), mask(c));
  assert.notDeepEqual(mask(a), mask(m));
});

test('N:M keeps exactly n of every m weights along the input dimension', async () => {
  const model = tinyCnn();
  for (const [n, m] of [
    [2, 4],
    [1, 4],
    [3, 8],
  ] as const) {
    const r = await pruneModel(model, 'nm', { sparsity: 0, method: { n, m } });
    // conv1 has 3 input channels: not a multiple of m, left dense and said so.
    assert.ok(r.notes.some((s) => /conv1.weight: left dense \(input dimension 3/.test(s)));
    const w2 = toFloat32(r.model.graph.initializers.get('conv2.weight')!); // [12, 8, 3, 3], groups along axis 1
    const orig2 = toFloat32(model.graph.initializers.get('conv2.weight')!);
    for (let o = 0; o < 12; o++)
      for (let k = 0; k < 9; k++)
        for (let g = 0; g < 8; g += m) {
          const idx = Array.from({ length: m }, (_, q) => (o * 8 + g + q) * 9 + k);
          assert.equal(idx.filter((i) => w2[i] !== 0).length, n, `conv2 filter ${o} pos ${k} group ${g}`);
          // The kept ones are the largest in magnitude.
          const keptMin = Math.min(...idx.filter((i) => w2[i] !== 0).map((i) => Math.abs(orig2[i]!)));
          const prunedMax = Math.max(...idx.filter((i) => w2[i] === 0).map((i) => Math.abs(orig2[i]!)));
          assert.ok(keptMin >= prunedMax);
        }
    const fc = toFloat32(r.model.graph.initializers.get('fc.weight')!); // [10, 192], groups along axis 1
    for (let o = 0; o < 10; o++)
      for (let g = 0; g < 192; g += m) {
        let nz = 0;
        for (let q = 0; q < m; q++) if (fc[o * 192 + g + q] !== 0) nz++;
        assert.equal(nz, n);
      }
  }
  // Input axis 0 (a MatMul/Gemm weight stored [in, out]): groups run down the columns.
  const mask = nmMask(Float32Array.from([1, 5, 2, 6, 3, 7, 4, 8]), [4, 2], 0, 2, 4)!;
  assert.deepEqual([...mask], [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.equal(maskSparsity(mask), 0.5);
  await assert.rejects(pruneModel(model, 'nm', { sparsity: 0, method: { n: 4, m: 4 } }), RangeError);
});

test('pruning leaves the parent model unchanged and works on a shallow copy too', async () => {
  const model = tinyCnn();
  const copy = cloneModel(model);
  await pruneModel(copy, 'magnitude', { sparsity: 0.9 });
  assert.equal(zerosOf(toFloat32(model.graph.initializers.get('conv2.weight')!)), 0);
});
