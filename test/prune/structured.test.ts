import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildZooModel } from '../../src/models/zoo.js';
import { cloneModel, materializeIdentityConstants } from '../../src/onnx/graph.js';
import type { Model } from '../../src/onnx/ir.js';
import { inferShapes } from '../../src/onnx/shape/index.js';
import { toFloat32 } from '../../src/onnx/tensor.js';
import { analyzeChannels, type ChannelPlan } from '../../src/prune/channels.js';
import { filterNorms, geometricMedianScores } from '../../src/prune/filters.js';
import { applyMasks } from '../../src/prune/masks.js';
import { pruneModel } from '../../src/prune/prune.js';
import { planMasks, removeChannels } from '../../src/prune/remove.js';
import { assertClose, assertRejectsPrunefi } from '../helpers/assert.js';
import { concatNet, lrnNet, randomInput, randomizeBatchNorm, runModel, tinyCnn, tinyResnet } from './nets.js';

function dimsOf(m: Model, name: string): number[] {
  return [...m.graph.initializers.get(name)!.dims];
}

function groupOf(model: Model, weight: string) {
  return analyzeChannels(model.graph).groupOfWeight.get(weight)!;
}

/**
 * Masked and physically pruned models compute the same sums minus terms that are exactly zero,
 * but ONNX Runtime blocks its reductions by channel count, so the float32 summation order
 * differs. With K ≤ 200 terms per dot product of magnitude ~1 and a few layers, the reordering
 * error stays below ~1e-5 relative; atol 1e-5 + rtol 1e-4 leaves a margin of ten while a single
 * mis-sliced channel (an O(0.1) change) still fails.
 */
const SAME = { atol: 1e-5, rtol: 1e-4 };

async function assertMaskedEqualsRemoved(model: Model, plan: ChannelPlan, dims: number[]): Promise<Model> {
  const analysis = analyzeChannels(model.graph);
  const masked = cloneModel(model, true);
  applyMasks(masked.graph, planMasks(model, analysis, plan));
  const removed = removeChannels(masked, analysis, plan);
  const x = randomInput(dims);
  const [a, b, full] = await Promise.all([runModel(masked, x), runModel(removed, x), runModel(model, x)]);
  assertClose(b, a, SAME, 'removed vs masked outputs');
  // And pruning did change the function (the test is not vacuous).
  assert.ok(
    full.some((v, i) => Math.abs(v - a[i]!) > 1e-3),
    'pruning changed nothing',
  );
  return removed;
}

test('a residual Add ties the channels of every block member into one group', () => {
  const m = tinyResnet();
  const a = analyzeChannels(m.graph);
  const g1 = a.groupOfWeight.get('conv1.weight')!;
  assert.deepEqual(g1.sources.map((s) => s.layer.weight).sort(), ['conv1.weight', 'layer1.0.conv2.weight']);
  const g2 = a.groupOfWeight.get('layer2.0.conv2.weight')!;
  assert.deepEqual(g2.sources.map((s) => s.layer.weight).sort(), [
    'layer2.0.conv2.weight',
    'layer2.0.shortcut.0.weight',
  ]);
  assert.equal(g2.size, 16);
  // The block-internal conv is a group of its own, and the classifier's output is pinned.
  assert.equal(a.groupOfWeight.get('layer1.0.conv1.weight')!.sources.length, 1);
  assert.match(a.groupOfWeight.get('linear.weight')!.pinned.join(), /graph output 'logits'/);
  // Every member of the group's BatchNorms and consumers is sliced with it.
  const tensors = new Set(g1.slices.map((s) => `${s.tensor}:${s.axis}:${s.role}`));
  for (const t of [
    'conv1.weight:0:source',
    'bn1.weight:0:param',
    'bn1.running_var:0:stat',
    'layer1.0.bn2.bias:0:param',
    'layer1.0.conv1.weight:1:consumer',
    'layer2.0.conv1.weight:1:consumer',
    'layer2.0.shortcut.0.weight:1:consumer',
  ])
    assert.ok(tensors.has(t), t);
});

test('L1 filters on a ResNet: masked == removed, BatchNorm and shortcut shapes follow', async () => {
  const m = tinyResnet();
  randomizeBatchNorm(m);
  const r = await pruneModel(m, 'l1-filter', { sparsity: 0.5, remove: false });
  assert.equal(r.removed, false);
  const removed = await assertMaskedEqualsRemoved(m, r.plan!, [2, 3, 8, 8]);
  assert.deepEqual(dimsOf(removed, 'conv1.weight'), [4, 3, 3, 3]);
  assert.deepEqual(dimsOf(removed, 'layer1.0.conv1.weight'), [4, 4, 3, 3]);
  assert.deepEqual(dimsOf(removed, 'layer1.0.conv2.weight'), [4, 4, 3, 3]);
  assert.deepEqual(dimsOf(removed, 'layer1.0.bn2.running_mean'), [4]);
  assert.deepEqual(dimsOf(removed, 'layer2.0.shortcut.0.weight'), [8, 4, 1, 1]);
  assert.deepEqual(dimsOf(removed, 'layer2.0.conv2.weight'), [8, 8, 3, 3]);
  assert.deepEqual(dimsOf(removed, 'linear.weight'), [5, 8]);
  // The default for filter methods is removal, and the report shows the smaller layers.
  const d = await pruneModel(m, 'l1-filter', { sparsity: 0.5 });
  assert.equal(d.removed, true);
  assert.deepEqual(dimsOf(d.model, 'linear.weight'), [5, 8]);
  assert.ok(d.paramsAfter < d.paramsBefore / 2 && d.macsAfter < d.macsBefore / 2);
});

test('the residual group is scored by the sum of its members’ filter norms', async () => {
  const m = tinyResnet();
  const g = groupOf(m, 'conv1.weight');
  const norms = ['conv1.weight', 'layer1.0.conv2.weight'].map((w) => {
    const t = m.graph.initializers.get(w)!;
    return filterNorms(toFloat32(t), t.dims, 0, 1);
  });
  const sum = norms[0]!.map((v, c) => v + norms[1]![c]!);
  const expected = [...sum.keys()]
    .sort((a, b) => sum[a]! - sum[b]!)
    .slice(0, 4)
    .sort();
  const r = await pruneModel(m, 'l1-filter', { sparsity: 0.5 });
  assert.deepEqual([...r.plan!.get(g.id)!].sort(), expected);
});

test('Flatten → Gemm: a channel removes its H×W consecutive columns', async () => {
  const m = tinyCnn();
  randomizeBatchNorm(m);
  const a = analyzeChannels(m.graph);
  const g = a.groupOfWeight.get('conv2.weight')!;
  const plan: ChannelPlan = new Map([[g.id, new Set([0, 5, 11])]]);
  const removed = await assertMaskedEqualsRemoved(m, plan, [3, 3, 8, 8]);
  assert.deepEqual(dimsOf(removed, 'fc.weight'), [10, 9 * 16]);
  const before = toFloat32(m.graph.initializers.get('fc.weight')!);
  const after = toFloat32(removed.graph.initializers.get('fc.weight')!);
  // Row 0 after removal starts with the columns of channel 1 (16..31) of the original.
  assertClose(after.subarray(0, 16), before.subarray(16, 32), {}, 'column block of channel 1');
  assertClose(
    after.subarray(4 * 16, 5 * 16),
    before.subarray(6 * 16, 7 * 16),
    {},
    'column block of channel 6',
  );
});

test('Concat offsets and depthwise convolutions follow the channels', async () => {
  const m = concatNet();
  randomizeBatchNorm(m);
  const a = analyzeChannels(m.graph);
  const ga = a.groupOfWeight.get('a.weight')!;
  const gc = a.groupOfWeight.get('c.weight')!;
  const plan: ChannelPlan = new Map([
    [ga.id, new Set([1])],
    [gc.id, new Set([0, 4])],
  ]);
  const removed = await assertMaskedEqualsRemoved(m, plan, [2, 3, 6, 6]);
  assert.deepEqual(dimsOf(removed, 'bn.weight'), [7]);
  assert.deepEqual(dimsOf(removed, 'dw.weight'), [7, 1, 3, 3]);
  assert.deepEqual(dimsOf(removed, 'pw.weight'), [5, 7, 1, 1]);
  const dw = removed.graph.nodes.find((n) => n.name === '/dw/Conv')!;
  assert.deepEqual(dw.attributes.group, { type: 'int', value: 7 });
  // BN entries kept: a's 0,2,3 then c's 1,2,3,5 (offset 4).
  const bnBefore = toFloat32(m.graph.initializers.get('bn.running_mean')!);
  assertClose(
    toFloat32(removed.graph.initializers.get('bn.running_mean')!),
    [0, 2, 3, 5, 6, 7, 9].map((i) => bnBefore[i]!),
  );
  inferShapes(removed.graph, { batch: 1 });
});

test('FPGM removes the filters nearest the geometric median', async () => {
  const m = tinyCnn();
  // conv2: 12 filters; filters 3 and 7 are copies of the mean filter (near the median of the
  // cloud), the rest random. Their distance sums are the smallest.
  const w = m.graph.initializers.get('conv2.weight')!.data as Float32Array;
  const len = 8 * 9;
  const mean = new Float32Array(len);
  for (let f = 0; f < 12; f++) for (let i = 0; i < len; i++) mean[i]! += w[f * len + i]! / 12;
  for (const f of [3, 7]) w.set(mean, f * len);
  const t = m.graph.initializers.get('conv2.weight')!;
  const s = geometricMedianScores(toFloat32(t), t.dims, 0);
  const order = [...s.keys()].sort((a, b) => s[a]! - s[b]!);
  assert.deepEqual(order.slice(0, 2).sort(), [3, 7]);
  // By hand for filter 0: the sum of Euclidean distances to the others.
  let d0 = 0;
  for (let f = 1; f < 12; f++) {
    let q = 0;
    for (let i = 0; i < len; i++) q += (w[i]! - w[f * len + i]!) ** 2;
    d0 += Math.sqrt(q);
  }
  assertClose([s[0]!], [d0], { rtol: 1e-9 }, 'distance sum of filter 0 (float64 sums of the same terms)');
  const r = await pruneModel(m, 'fpgm', { sparsity: 0.2, layers: { 'conv1.weight': 0 } });
  const g = groupOf(m, 'conv2.weight');
  assert.deepEqual([...r.plan!.get(g.id)!].sort(), [3, 7]);
  assert.deepEqual(dimsOf(r.model, 'conv2.weight'), [10, 8, 3, 3]);
  // L2 filters, by contrast, prune by norm.
  const l2 = await pruneModel(m, 'l2-filter', { sparsity: 0.2, layers: { 'conv1.weight': 0 } });
  const norms = filterNorms(toFloat32(t), t.dims, 0, 2);
  const byNorm = [...norms.keys()]
    .sort((a, b) => norms[a]! - norms[b]!)
    .slice(0, 2)
    .sort();
  assert.deepEqual([...l2.plan!.get(g.id)!].sort(), byNorm);
});

test('an op the structural pass cannot follow: error naming the node, or masking on request', async () => {
  const m = lrnNet();
  const err = await assertRejectsPrunefi(
    () => pruneModel(m, 'l1-filter', { sparsity: 0.5 }),
    'PRUNE_UNSUPPORTED',
    /node '\/lrn\/LRN' \(LRN\)/,
    /conv1\.weight/,
    /--mask-fallback/,
  );
  assert.ok(err);
  const r = await pruneModel(m, 'l1-filter', { sparsity: 0.5, maskFallback: true });
  assert.deepEqual(dimsOf(r.model, 'conv1.weight'), [4, 3, 3, 3]);
  assert.equal(
    toFloat32(r.model.graph.initializers.get('conv1.weight')!).filter((v) => v === 0).length,
    2 * 27,
  );
  assert.ok(r.notes.some((n) => /conv1.weight: channels masked, not removed/.test(n)));
  // conv2 (after the LRN) is still removable and was removed.
  assert.deepEqual(dimsOf(r.model, 'conv2.weight'), [1, 4, 1, 1]);
  const masked = await pruneModel(m, 'l1-filter', { sparsity: 0.5, remove: false });
  assert.equal(masked.removed, false);
});

test('a ratio that would remove every filter of a layer is refused', async () => {
  const m = tinyResnet();
  // round(0.9 × 8) = 7 is fine; per-layer 0.95 on the 8-channel residual group would remove 8.
  await assertRejectsPrunefi(
    () => pruneModel(m, 'l1-filter', { sparsity: 0.95 }),
    'PRUNE',
    /ratio 0.95 would remove all 8 filters of .*use a smaller ratio/,
  );
  await assertRejectsPrunefi(
    () => pruneModel(m, 'l1-filter', { sparsity: 0.3, layers: { 'conv1.weight': 0.5 } }),
    'PRUNE',
    /share their output channels.*different ratios/,
  );
});

test('ResNet-18 (zoo): 50% L1 filters removed physically gives the masked model’s outputs', async () => {
  const m = buildZooModel('resnet18-cifar', { seed: 1 });
  materializeIdentityConstants(m.graph);
  randomizeBatchNorm(m);
  const r = await pruneModel(m, 'l1-filter', { sparsity: 0.5, remove: false });
  const removed = await assertMaskedEqualsRemoved(m, r.plan!, [1, 3, 32, 32]);
  assert.deepEqual(dimsOf(removed, 'layer4.1.conv2.weight'), [256, 256, 3, 3]);
  assert.deepEqual(dimsOf(removed, 'linear.weight'), [10, 256]);
  const d = await pruneModel(m, 'l1-filter', { sparsity: 0.5 });
  // Halving every channel count quarters the convolutions' parameters and MACs.
  assert.ok(Math.abs(d.paramsAfter / d.paramsBefore - 0.25) < 0.01, `${d.paramsAfter / d.paramsBefore}`);
  assert.ok(Math.abs(d.macsAfter / d.macsBefore - 0.25) < 0.02, `${d.macsAfter / d.macsBefore}`);
});
