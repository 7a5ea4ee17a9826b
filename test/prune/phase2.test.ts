import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { batches } from '../../src/data/batch.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { materializeIdentityConstants } from '../../src/onnx/graph.js';
import { attrInt, type Model } from '../../src/onnx/ir.js';
import { f32, numel, toFloat32 } from '../../src/onnx/tensor.js';
import { analyzeChannels, channelOfEntries } from '../../src/prune/channels.js';
import { groupTargets } from '../../src/prune/filters.js';
import { cubicSparsity, imp } from '../../src/prune/gradual.js';
import { maskLowest } from '../../src/prune/masks.js';
import { resolveOptions } from '../../src/prune/options.js';
import { pruneModel } from '../../src/prune/prune.js';
import { PRUNE_METHODS } from '../../src/prune/registry.js';
import { greg1, slimming, slimmingScores } from '../../src/prune/regularized.js';
import { graspScores, snipScores, synflowScores, taylorScores } from '../../src/prune/saliency.js';
import { selectTargets } from '../../src/prune/targets.js';
import { type TrainingSetup, trainStage } from '../../src/prune/training.js';
import type { MethodContext, PruneOptions } from '../../src/prune/types.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { GradientSession } from '../../src/train/session.js';
import type { WeightSnapshot } from '../../src/train/weights.js';
import { assertClose, assertRejectsPrunefi } from '../helpers/assert.js';
import { tempDir } from '../helpers/paths.js';
import { tinySet, tinySetup } from './data.js';
import { randomizeBatchNorm, tinyCnn, tinyResnet } from './nets.js';

/** `setup` keeping checkpoints in `dir` and stopping after step `step` of (1-based) `epoch`. */
function stoppingAt(setup: TrainingSetup, dir: string, epoch: number, step: number): TrainingSetup {
  const ac = new AbortController();
  return {
    ...setup,
    checkpointDir: dir,
    signal: ac.signal,
    onTrainProgress: (_stage, p) => {
      if (p.epoch === epoch && p.step === step) ac.abort();
    },
  };
}

/** Every initializer of `actual` equals `expected`'s, bit for bit. */
function assertSameInitializers(actual: Model, expected: Model): void {
  for (const [name, t] of expected.graph.initializers)
    assert.deepEqual(toFloat32(actual.graph.initializers.get(name)!), toFloat32(t), name);
}

function context(model: Model, method: string, options: PruneOptions, setup?: TrainingSetup): MethodContext {
  const m = PRUNE_METHODS.get(method);
  materializeIdentityConstants(model.graph);
  const resolved = resolveOptions(m, options);
  const ctx: MethodContext = {
    model,
    targets: selectTargets(model.graph, resolved).targets,
    options: resolved,
    rng: Rng.seeded(0),
    channels: analyzeChannels(model.graph),
  };
  if (setup) ctx.setup = setup;
  return ctx;
}

/** x[N,4] → Gemm(3, W1, b1) → ReLU → Gemm(2, W2, b2) with weights of mixed signs. */
function mlp(): Model {
  const b = new GraphBuilder('mlp');
  const x = b.input('input', 'float32', ['batch', 4]);
  const w1 = [0.5, -1, 0.25, 2, -0.75, 1.5, -0.5, 0.1, 1, -2, 0.3, -0.2];
  b.initializer('fc1.weight', f32([3, 4], w1));
  b.initializer('fc1.bias', f32([3], [0.1, -0.2, 0.3]));
  b.initializer('fc2.weight', f32([2, 3], [1, -0.5, 2, -1.5, 0.25, -0.75]));
  b.initializer('fc2.bias', f32([2], [-0.4, 0.6]));
  const h = b.op('Relu', [b.op('Gemm', [x, 'fc1.weight', 'fc1.bias'], { transB: attrInt(1) })]);
  b.output(
    b.op('Gemm', [h, 'fc2.weight', 'fc2.bias'], { transB: attrInt(1) }, { output: 'logits' }),
    'float32',
    ['batch', 2],
  );
  return b.build();
}

test('SynFlow scores equal |θ ⊙ ∂R/∂θ| of the linearized network, computed by hand', async () => {
  const model = mlp();
  const ctx = context(model, 'synflow', { sparsity: 0.5 });
  const a1 = [...toFloat32(model.graph.initializers.get('fc1.weight')!)].map(Math.abs);
  const c1 = [0.1, 0.2, 0.3];
  const a2 = [...toFloat32(model.graph.initializers.get('fc2.weight')!)].map(Math.abs);
  const session = await GradientSession.create(model, {
    wrt: ['fc1.weight', 'fc2.weight'],
    objective: { kind: 'sum' },
    batchNorm: 'eval',
    dropout: false,
  });
  try {
    for (const pruned of [-1, 0]) {
      const masks = new Map(ctx.targets.map((t) => [t.weight, new Uint8Array(numel(t.dims)).fill(1)]));
      if (pruned >= 0) masks.get('fc1.weight')![pruned] = 0;
      const w1 = a1.map((v, i) => (masks.get('fc1.weight')![i] ? v : 0));
      // With every parameter positive, ReLU passes everything: h_j = Σ_i |W1|ji + |b1|j.
      const h = [0, 1, 2].map((j) => w1.slice(4 * j, 4 * j + 4).reduce((s, v) => s + v, 0) + c1[j]!);
      const s1 = w1.map((v, i) => v * (a2[Math.floor(i / 4)]! + a2[3 + Math.floor(i / 4)]!));
      const s2 = a2.map((v, i) => v * h[i % 3]!);
      const [g1, g2] = await synflowScores(session, model, ctx.targets, masks);
      // float32 forward/backward of sums of ≤ 5 terms: a few ulps.
      assertClose(g1!, s1, { rtol: 1e-6, atol: 1e-7 }, `fc1 scores (pruned ${pruned})`);
      assertClose(g2!, s2, { rtol: 1e-6, atol: 1e-7 }, `fc2 scores (pruned ${pruned})`);
    }
  } finally {
    await session.release();
  }
  // One iteration: the global lowest half of those scores goes.
  const r = await pruneModel(model, 'synflow', { sparsity: 0.5, method: { iterations: 1 } });
  const s1 = a1.map((v, i) => v * (a2[Math.floor(i / 4)]! + a2[3 + Math.floor(i / 4)]!));
  const h = [0, 1, 2].map((j) => a1.slice(4 * j, 4 * j + 4).reduce((s, v) => s + v, 0) + c1[j]!);
  const s2 = a2.map((v, i) => v * h[i % 3]!);
  const [m1, m2] = maskLowest([Float64Array.from(s1), Float64Array.from(s2)], 9);
  assert.deepEqual([...r.masks.get('fc1.weight')!], [...m1!]);
  assert.deepEqual([...r.masks.get('fc2.weight')!], [...m2!]);
  // Iterative (100 rounds, exponential schedule) reaches the same sparsity and needs no data.
  const it = await pruneModel(model, 'synflow', { sparsity: 0.5 });
  assert.ok(Math.abs(it.sparsity - 0.5) < 0.05);
});

test('SNIP scores are |θ ⊙ ∂L/∂θ| on a training batch; without data it is refused', async () => {
  const model = tinyCnn();
  const set = tinySet(16, 3, 8, 10);
  const setup = tinySetup(set);
  await assertRejectsPrunefi(
    () => pruneModel(model, 'snip', { sparsity: 0.5 }),
    'PRUNE',
    /'snip' needs data, gradients/,
    /--data/,
  );
  const ctx = context(model, 'snip', { sparsity: 0.5 }, setup);
  const scores = await snipScores(ctx);
  const wrt = ctx.targets.map((t) => t.weight);
  const session = await GradientSession.create(model, { wrt, batchNorm: 'eval', dropout: false });
  const first = batches(set, { batchSize: 8, shuffle: Rng.seeded(0).split('saliency') }).next().value!;
  const out = await session.run({ x: first.x, labels: first.y });
  await session.release();
  wrt.forEach((w, k) => {
    const theta = toFloat32(model.graph.initializers.get(w)!);
    const g = out.grads.get(w)!;
    // Same session kind, same batch: identical float32 gradients, scores in float64.
    assertClose(
      scores[k]!,
      Float64Array.from(theta, (v, i) => Math.abs(v * g[i]!)),
      { rtol: 1e-12 },
      w,
    );
  });
  const r = await pruneModel(model, 'snip', { sparsity: 0.5, setup });
  assert.ok(Math.abs(r.sparsity - 0.5) < 1e-3);
});

test('GraSP scores are θ ⊙ Hg: finite differences against the analytic Hessian of a softmax regression', async () => {
  const b = new GraphBuilder('softmax-regression');
  const x = b.input('input', 'float32', ['batch', 1, 2, 2]);
  const rng = Rng.seeded(3);
  b.initializer(
    'fc.weight',
    f32(
      [3, 4],
      Array.from({ length: 12 }, () => rng.normal()),
    ),
  );
  const flat = b.op('Flatten', [x], { axis: attrInt(1) });
  b.output(b.op('Gemm', [flat, 'fc.weight'], { transB: attrInt(1) }, { output: 'logits' }), 'float32', [
    'batch',
    3,
  ]);
  const model = b.build();
  const set = tinySet(8, 1, 2, 3);
  const ctx = context(model, 'grasp', { sparsity: 0.5, method: { temperature: 1 } }, tinySetup(set));
  const [score] = await graspScores(ctx);
  // By hand: G = mean_n (p_n − y_n) x_nᵀ and H[V] = mean_n (diag p_n − p_n p_nᵀ)(V x_n) x_nᵀ.
  const W = toFloat32(model.graph.initializers.get('fc.weight')!);
  const xs = Array.from({ length: 8 }, (_, n) =>
    Array.from(set.images.subarray(n * 4, n * 4 + 4), (v) => v / 255),
  );
  const probs = xs.map((xn) => {
    const z = [0, 1, 2].map((k) => xn.reduce((s, v, i) => s + W[k * 4 + i]! * v, 0));
    const mx = Math.max(...z);
    const e = z.map((v) => Math.exp(v - mx));
    const sum = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / sum);
  });
  const G = new Float64Array(12);
  xs.forEach((xn, n) => {
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < 4; i++)
        G[k * 4 + i]! += ((probs[n]![k]! - (set.labels[n] === k ? 1 : 0)) * xn[i]!) / 8;
  });
  const Hg = new Float64Array(12);
  xs.forEach((xn, n) => {
    const p = probs[n]!;
    const u = [0, 1, 2].map((k) => xn.reduce((s, v, i) => s + G[k * 4 + i]! * v, 0));
    const pu = p.reduce((s, v, k) => s + v * u[k]!, 0);
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < 4; i++) Hg[k * 4 + i]! += (p[k]! * (u[k]! - pu) * xn[i]!) / 8;
  });
  const expected = Float64Array.from(W, (v, i) => v * Hg[i]!);
  // Central differences with a 1e-3 relative step in float32: truncation is exact for this
  // smooth loss to O(ε²); float32 rounding of the two gradients limits agreement to ~1e-3 of
  // the largest score.
  const scale = Math.max(...expected.map(Math.abs));
  assertClose(score!, expected, { atol: 3e-3 * scale, rtol: 1e-2 }, 'θ ⊙ Hg');
});

test('Taylor importance is (Σ g·θ over a channel)², averaged over batches', async () => {
  const model = tinyCnn();
  randomizeBatchNorm(model);
  const set = tinySet(16, 3, 8, 10);
  const ctx = context(model, 'taylor', { sparsity: 0.25, method: { batches: 2 } }, tinySetup(set));
  const { groups } = groupTargets(ctx.channels!, ctx.targets);
  const conv2 = groups.find((g) => g.group.sources[0]!.layer.weight === 'conv2.weight')!.group;
  const [imp2] = await taylorScores(ctx, ctx.channels!, [conv2]);
  const session = await GradientSession.create(model, {
    wrt: ['conv2.weight', 'conv2.bias'],
    batchNorm: 'eval',
    dropout: false,
  });
  const expected = new Float64Array(12);
  let n = 0;
  for (const batch of batches(set, { batchSize: 8, shuffle: Rng.seeded(0).split('saliency') })) {
    const out = await session.run({ x: batch.x, labels: batch.y });
    const sum = new Float64Array(12);
    for (const [name, per] of [
      ['conv2.weight', 72],
      ['conv2.bias', 1],
    ] as const) {
      const th = toFloat32(model.graph.initializers.get(name)!);
      const g = out.grads.get(name)!;
      for (let i = 0; i < th.length; i++) sum[Math.floor(i / per)]! += th[i]! * g[i]!;
    }
    for (let c = 0; c < 12; c++) expected[c]! += sum[c]! ** 2 / 2;
    n++;
  }
  await session.release();
  assert.equal(n, 2);
  assertClose(
    imp2!,
    expected,
    { rtol: 1e-9, atol: 1e-30 },
    'Taylor importance (same float32 gradients, float64 sums)',
  );
  // channelOfEntries maps BN entries of the first group to their channel.
  const g1 = ctx.channels!.groupOfWeight.get('conv1.weight')!;
  const bn = g1.slices.find((s) => s.tensor === 'bn1.weight')!;
  assert.deepEqual([...channelOfEntries(model.graph, bn, g1.id, ctx.channels!)], [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('network slimming: L1 on BatchNorm scales during training, then the smallest |γ| go (global)', async () => {
  const model = tinyResnet();
  randomizeBatchNorm(model);
  const setup = tinySetup(tinySet(16, 3, 8, 5));
  const run = async (lambda: number) =>
    slimming.run(context(model, 'slimming', { sparsity: 0.3, method: { lambda, lr: 0.05 } }, setup));
  const a = await run(0.5);
  const b = await run(0);
  const sumAbs = (m: Model) =>
    [...m.graph.initializers]
      .filter(([k]) => /bn\d?\.weight|shortcut\.1\.weight/.test(k))
      .reduce((s, [, t]) => s + toFloat32(t).reduce((x, v) => x + Math.abs(v), 0), 0);
  assert.ok(
    sumAbs(a.model!) < sumAbs(b.model!) - 0.1,
    `penalty shrinks scales: ${sumAbs(a.model!)} vs ${sumAbs(b.model!)}`,
  );
  const ctx = context(model, 'slimming', { sparsity: 0.3 });
  const { groups } = groupTargets(ctx.channels!, ctx.targets);
  const scores = groups.map((g) =>
    slimmingScores(g.group, (n) => toFloat32(a.model!.graph.initializers.get(n)!)),
  );
  const masks = maskLowest(scores, Math.round(0.3 * groups.reduce((s, g) => s + g.group.size, 0)));
  groups.forEach((g, i) => {
    const expected = [...masks[i]!.keys()].filter((c) => !masks[i]![c]);
    assert.deepEqual(
      [...(a.plan!.get(g.group.id) ?? [])].sort((x, y) => x - y),
      expected,
    );
  });
  const r = await pruneModel(model, 'slimming', { sparsity: 0.3, setup, method: { lambda: 0.5 } });
  assert.equal(r.removed, true);
  assert.ok(r.paramsAfter < r.paramsBefore);
});

test('GReg-1 drives the chosen filters towards zero before removing them', async () => {
  const model = tinyCnn();
  // SGD with momentum 0.9 contracts a quadratic by at most √0.9 per step, so it takes a few
  // dozen steps to bring the chosen filters to a small fraction of their norm.
  const setup = tinySetup(tinySet(96, 3, 8, 10));
  const ctx = context(
    model,
    'greg-1',
    { sparsity: 0.5, method: { ceiling: 100, epochs: 1, 'stabilize-epochs': 2, lr: 0.01 } },
    setup,
  );
  const r = await greg1.run(ctx);
  const norms = (m: Model, c: number) =>
    toFloat32(m.graph.initializers.get('conv2.weight')!)
      .subarray(c * 72, (c + 1) * 72)
      .reduce((s, v) => s + Math.abs(v), 0);
  const g = ctx.channels!.groupOfWeight.get('conv2.weight')!;
  const pruned = r.plan!.get(g.id)!;
  assert.equal(pruned.size, 6);
  for (let c = 0; c < 12; c++) {
    const ratio = norms(r.model!, c) / norms(model, c);
    if (pruned.has(c)) assert.ok(ratio < 0.3, `pruned filter ${c} kept ${ratio} of its L1 norm`);
    else assert.ok(ratio > 0.5, `kept filter ${c} shrank to ${ratio}`);
  }
  // greg-2 runs end to end and cuts the same number of channels.
  const r2 = await pruneModel(model, 'greg-2', {
    sparsity: 0.5,
    setup,
    method: { epochs: 1, 'pick-epochs': 1, lr: 0.05 },
  });
  assert.deepEqual([...r2.model.graph.initializers.get('conv2.weight')!.dims], [6, 4, 3, 3]);
});

test('GReg-1 interrupted mid-regularization resumes from its checkpoint, bit-identically', async () => {
  const model = tinyCnn();
  const setup = tinySetup(tinySet(64, 3, 8, 10));
  // 8 steps per epoch, 3 epochs; the factor changes every 3 steps, so the interruption at
  // epoch 2, step 5 (global step 13) falls inside an interval.
  const request = {
    sparsity: 0.5,
    method: { ceiling: 10, epochs: 2, 'stabilize-epochs': 0.5, interval: 3, lr: 0.01 },
  };
  const straight = await pruneModel(model, 'greg-1', { ...request, setup });
  const dir = tempDir();
  await pruneModel(model, 'greg-1', { ...request, setup: stoppingAt(setup, dir, 2, 5) });
  const c = loadCheckpoint(join(dir, 'greg-1.ckpt'));
  assert.deepEqual([c.epoch, c.step, c.globalStep], [1, 5, 13]);
  const resumed = await pruneModel(model, 'greg-1', { ...request, setup: { ...setup, checkpointDir: dir } });
  assert.deepEqual(resumed.plan, straight.plan);
  assertSameInitializers(resumed.model, straight.model);
});

test('gradual magnitude pruning follows the cubic schedule to the target', async () => {
  assert.equal(cubicSparsity(0, 10, 20, 0, 0.8), 0);
  assert.equal(cubicSparsity(20, 10, 20, 0, 0.8), 0.8);
  assertClose([cubicSparsity(15, 10, 20, 0, 0.8)], [0.8 * (1 - 0.5 ** 3)], { rtol: 1e-15 });
  const model = tinyCnn();
  const setup = tinySetup(tinySet(32, 3, 8, 10));
  const r = await pruneModel(model, 'gmp', { sparsity: 0.6, setup, method: { epochs: 2, steps: 4 } });
  for (const l of r.layers) assert.ok(Math.abs(l.sparsity - 0.6) < 0.01, `${l.weight} ${l.sparsity}`);
  // Training happened: surviving weights moved.
  const before = toFloat32(model.graph.initializers.get('fc.weight')!);
  const after = toFloat32(r.model.graph.initializers.get('fc.weight')!);
  assert.ok(after.some((v, i) => v !== 0 && v !== before[i]));
});

test('iterative magnitude pruning rewinds the survivors to their early-training weights', async () => {
  const model = tinyCnn();
  materializeIdentityConstants(model.graph);
  const setup = tinySetup(tinySet(32, 3, 8, 10));
  const ctx = context(
    model,
    'imp',
    { sparsity: 0.7, seed: 5, method: { rounds: 2, epochs: 1, 'rewind-step': 3 } },
    setup,
  );
  const r = await imp.run(ctx);
  let snap: WeightSnapshot | undefined;
  await trainStage(model, setup, {
    stage: 'reference',
    epochs: 1,
    seed: 5,
    onStepEnd: ({ weights, step }) => {
      if (step === 3) snap = weights.snapshot();
    },
  });
  let kept = 0;
  for (const t of ctx.targets) {
    const w = toFloat32(r.model!.graph.initializers.get(t.weight)!);
    const s = snap!.get(t.weight)!;
    const m = r.masks.get(t.weight)!;
    for (let i = 0; i < w.length; i++) {
      if (m[i]) {
        assert.equal(w[i], s[i], `${t.weight}[${i}] is not its step-3 value`);
        kept++;
      } else assert.equal(w[i], 0);
    }
  }
  const total = ctx.targets.reduce((a, t) => a + numel(t.dims), 0);
  assert.equal(total - kept, Math.round(0.7 * total));
  // The BatchNorm-free biases rewind too.
  assert.deepEqual(
    [...toFloat32(r.model!.graph.initializers.get('conv2.bias')!)],
    [...snap!.get('conv2.bias')!],
  );
});

test('fine-tuning after pruning keeps pruned weights at zero and reports accuracy', async () => {
  const model = tinyCnn();
  const setup = tinySetup(tinySet(32, 3, 8, 10));
  await assertRejectsPrunefi(
    () => pruneModel(model, 'magnitude', { sparsity: 0.5, finetuneEpochs: 1 }),
    'PRUNE',
    /fine-tuning needs training data/,
  );
  const plain = await pruneModel(model, 'magnitude', { sparsity: 0.5 });
  const ft = await pruneModel(model, 'magnitude', { sparsity: 0.5, setup, finetuneEpochs: 2 });
  assert.equal(ft.finetuned?.epochs, 2);
  assert.ok(ft.finetuned.accuracy !== undefined);
  for (const w of ['conv1.weight', 'conv2.weight', 'fc.weight']) {
    const p = toFloat32(plain.model.graph.initializers.get(w)!);
    const f = toFloat32(ft.model.graph.initializers.get(w)!);
    for (let i = 0; i < p.length; i++) if (p[i] === 0) assert.equal(f[i], 0, `${w}[${i}] revived`);
    assert.ok(
      f.some((v, i) => v !== p[i]),
      `${w} did not train`,
    );
  }
  assert.equal(ft.model.metadata.get('prunefi.prune.finetune_epochs'), '2');
  // Physically pruned models fine-tune in their smaller shape.
  const fr = await pruneModel(model, 'l1-filter', { sparsity: 0.5, setup, finetuneEpochs: 1 });
  assert.deepEqual([...fr.model.graph.initializers.get('conv2.weight')!.dims], [6, 4, 3, 3]);
});

test('fine-tuning with a checkpoint folder resumes after an interruption, bit-identically', async () => {
  const model = tinyCnn();
  const setup = tinySetup(tinySet(32, 3, 8, 10));
  const request = { sparsity: 0.5, finetuneEpochs: 3 };
  const straight = await pruneModel(model, 'magnitude', { ...request, setup });
  const dir = tempDir();
  // Stops in the middle of the second epoch; the checkpoint is saved at that step.
  const stopped = await pruneModel(model, 'magnitude', { ...request, setup: stoppingAt(setup, dir, 2, 2) });
  assert.equal(stopped.finetuned?.epochs, 1);
  const ckpt = join(dir, 'fine-tune.ckpt');
  assert.deepEqual([loadCheckpoint(ckpt).epoch, loadCheckpoint(ckpt).step], [1, 2]);
  let first: [number, number] | undefined;
  const noteFirst = (_stage: string, p: { epoch: number; step: number }): void => {
    first ??= [p.epoch, p.step];
  };
  const resumed = await pruneModel(model, 'magnitude', {
    ...request,
    setup: { ...setup, checkpointDir: dir, onTrainProgress: noteFirst },
  });
  assert.deepEqual(first, [2, 3], 'the rerun did not continue at the checkpoint');
  assertSameInitializers(resumed.model, straight.model);
  // A checkpoint written for other inputs (here 30% sparsity) is scratch: the run starts afresh.
  const stale = loadCheckpoint(ckpt).configHash;
  first = undefined;
  const other = await pruneModel(model, 'magnitude', {
    ...request,
    sparsity: 0.3,
    setup: { ...setup, checkpointDir: dir, onTrainProgress: noteFirst },
  });
  assert.deepEqual(first, [1, 1]);
  assert.equal(other.finetuned?.epochs, 3);
  assert.notEqual(loadCheckpoint(ckpt).configHash, stale);
});
