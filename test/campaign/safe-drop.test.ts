/**
 * Proven-safe fault dropping: the bound is never below the measured change of any logit difference
 * (every layer, all 32 bits), dropping leaves every outcome identical to naive mode (near-tie
 * images included), and a graph with an op the rule table does not know drops nothing.
 * Models: the hand-built tiny residual CNN and the zoo's LeNet-5, seeded (prunefi's own builders).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Evaluator, type ImageInput, storedModelOf } from '../../src/campaign/evaluator.js';
import { spectralBound, suffixGain } from '../../src/campaign/lipschitz.js';
import type { DropStats } from '../../src/campaign/safe-drop.js';
import { marginBound } from '../../src/campaign/safe-drop.js';
import { Rng } from '../../src/core/rng.js';
import { withOutputs } from '../../src/fault/cut.js';
import type { Fault, StoredModel } from '../../src/fault/memory.js';
import { buildZooModel } from '../../src/models/zoo.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { attrInt, type Model } from '../../src/onnx/ir.js';
import { f32, type Tensor } from '../../src/onnx/tensor.js';
import { createSession } from '../../src/runtime/session.js';
import { tinyImages, tinyResnet } from '../fault/tiny.js';
import { compareModes } from './compare-modes.js';

/** `n` seeded normal images of shape `dims` (per image), labels cycling over `classes`. */
function randomImages(n: number, dims: number[], classes: number, seed: string): ImageInput {
  const rng = Rng.seeded(seed);
  const size = dims.reduce((a, b) => a * b, 1);
  return {
    x: f32(
      [n, ...dims],
      Array.from({ length: n * size }, () => rng.normal()),
    ),
    labels: Int32Array.from({ length: n }, (_, i) => i % classes),
  };
}

/** One bit flip of a random element of a random stored tensor, for every bit 0..31, `per` times. */
function everyBit(memory: StoredModel, per: number, seed: string): Fault[][] {
  const rng = Rng.seeded(seed);
  const exps: Fault[][] = [];
  for (let bit = 0; bit < 32; bit++)
    for (let i = 0; i < per; i++) {
      const t = memory.tensors[Math.floor(rng.float() * memory.tensors.length)]!;
      const index = Math.floor(rng.float() * t.golden.length);
      exps.push([{ tensor: t.name, region: 'values', index, bit, type: 'bit-flip' }]);
    }
  return exps;
}

/** The 2-norm of a − b over [from, to), in float64. */
function dist(a: ArrayLike<number>, b: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/**
 * For every layer and bit: runs the (folded) model with the fault and checks, image by image,
 * that the largest change of any difference of two logits is at most the bound dropping uses,
 * from the measured change of the layer's output. Returns how many (fault, image) pairs it checked.
 */
async function checkSoundness(source: Model, input: ImageInput, seed: string): Promise<number> {
  const { model, memory } = storedModelOf(source);
  for (const [name, t] of memory.goldenInitializers()) model.graph.initializers.set(name, t);
  const g = model.graph;
  const logits = g.outputs[0]!.name;
  const ys = memory.layers.map((l) => g.nodes[l.nodeIndex]!.outputs[0]!);
  const probe = withOutputs(model, ys, new Map(ys.map((y) => [y, 'float32' as const])));
  const run = async (m: Model): Promise<Record<string, Tensor>> => {
    const s = await createSession(m, { threads: 1 });
    try {
      return await s.run({ [g.inputs[0]!.name]: input.x }, [logits, ...ys]);
    } finally {
      await s.release();
    }
  };
  const golden = await run(probe);
  const n = input.x.dims[0]!;
  const k = golden[logits]!.data.length / n;
  let checked = 0;
  for (const faults of everyBit(memory, 2, seed)) {
    const { changes } = memory.apply(faults);
    if (changes.length === 0) continue;
    const c = changes[0]!;
    // Non-finite weights are never dropped (the delta path refuses them), so no bound is needed.
    if (![...c.values].every(Number.isFinite)) continue;
    const layer = memory.layerOf(c.tensor.name);
    const y = g.nodes[layer.nodeIndex]!.outputs[0]!;
    const gain = suffixGain(g, y, layer.nodeIndex);
    assert.ok(gain, `every layer of this model has a bound (${layer.name})`);
    const w = new Float32Array(c.tensor.golden);
    c.positions.forEach((p, i) => {
      w[p] = c.values[i]!;
    });
    const faulty = { ...probe, graph: { ...probe.graph, initializers: new Map(probe.graph.initializers) } };
    faulty.graph.initializers.set(c.tensor.name, f32(g.initializers.get(c.tensor.name)!.dims, w));
    const out = await run(faulty);
    const size = golden[y]!.data.length / n;
    const gl = golden[logits]!.data as Float32Array;
    const fl = out[logits]!.data as Float32Array;
    for (let img = 0; img < n; img++) {
      const dy = dist(
        out[y]!.data as Float32Array,
        golden[y]!.data as Float32Array,
        img * size,
        (img + 1) * size,
      );
      let moved = 0;
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          const d = fl[img * k + i]! - gl[img * k + i]! - (fl[img * k + j]! - gl[img * k + j]!);
          moved = Math.max(moved, Math.abs(d));
        }
      const bound = marginBound(gain.gain, dy, gl, img * k, k);
      assert.ok(moved <= bound, `${JSON.stringify(faults)} image ${img}: moved ${moved} > bound ${bound}`);
      checked++;
    }
  }
  return checked;
}

test('the bound is at least the measured change of every logit difference, every layer and bit', async () => {
  const tiny = await checkSoundness(tinyResnet(), tinyImages(20), 'sound-tiny');
  const lenet = await checkSoundness(
    buildZooModel('lenet5', { seed: 3 }),
    randomImages(8, [1, 28, 28], 10, 'lenet'),
    'sound-lenet',
  );
  assert.ok(tiny > 1000 && lenet > 400, `checked ${tiny} + ${lenet} (fault, image) pairs`);
});

/**
 * Images near the tiny model's decision boundary: between pairs of images with different golden
 * top-1, bisects the straight line 40 times to the boundary (`ties`, margins near float32
 * rounding), and finds points on it whose margin is near each of `targets` (`close`: margins
 * around the bound's slack, where a wrong bound would drop an image that changes).
 */
async function nearTies(
  model: Model,
  pool: ImageInput,
  pairs: number,
  targets: number[],
): Promise<{ ties: number[][]; close: number[][]; margins: number[] }> {
  const s = await createSession(model, { threads: 1 });
  const size = pool.x.data.length / pool.x.dims[0]!;
  const dims = [1, ...pool.x.dims.slice(1)];
  const image = (i: number): Float32Array => (pool.x.data as Float32Array).subarray(i * size, (i + 1) * size);
  const logitsOf = async (x: Float32Array): Promise<Float32Array> =>
    (await s.run({ input: f32(dims, x) }, ['logits'])).logits!.data as Float32Array;
  const top = (l: Float32Array): number => l.indexOf(Math.max(...l));
  const margin = (l: Float32Array): number => {
    const sorted = [...l].sort((a, b) => b - a);
    return sorted[0]! - sorted[1]!;
  };
  const out = { ties: [] as number[][], close: [] as number[][], margins: [] as number[] };
  const tops: number[] = [];
  for (let i = 0; i < pool.x.dims[0]!; i++) tops.push(top(await logitsOf(image(i))));
  try {
    for (let a = 0, found = 0; found < pairs && a < tops.length; a++) {
      const b = tops.findIndex((t, i) => i > a && t !== tops[a]);
      if (b < 0) continue;
      found++;
      const at = (t: number): Float32Array => image(a).map((v, i) => v + t * (image(b)[i]! - v));
      let lo = 0;
      let hi = 1;
      for (let step = 0; step < 40; step++) {
        const mid = (lo + hi) / 2;
        if (top(await logitsOf(at(mid))) === tops[a]) lo = mid;
        else hi = mid;
      }
      for (const t of [lo, hi]) {
        out.ties.push([...at(t)]);
        out.margins.push(margin(await logitsOf(at(t))));
      }
      for (const target of targets) {
        let near = 0;
        let far = lo;
        for (let step = 0; step < 30; step++) {
          const mid = (near + far) / 2;
          if (margin(await logitsOf(at(mid))) > target) near = mid;
          else far = mid;
        }
        out.close.push([...at(near)]);
      }
    }
  } finally {
    await s.release();
  }
  return out;
}

/** The tiny model's images `base` followed by `extra` images. */
function withImages(base: ImageInput, extra: number[][]): ImageInput {
  const n = base.labels.length + extra.length;
  return {
    x: f32([n, ...base.x.dims.slice(1)], [...base.x.data, ...extra.flat()]),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
  };
}

/** Every bit's statistics are counted: experiments, images, and what was dropped. */
function checkStats(
  stats: DropStats[],
  per: number,
  images: number,
): { images: number; experiments: number } {
  assert.deepEqual(
    stats.map((s) => s.bit),
    Array.from({ length: 32 }, (_, b) => b),
  );
  for (const s of stats) {
    assert.equal(s.experiments, per);
    assert.equal(s.images, per * images);
    assert.ok(s.imagesDropped <= s.images && s.experimentsDropped <= s.experiments);
  }
  return {
    images: stats.reduce((a, s) => a + s.imagesDropped, 0),
    experiments: stats.reduce((a, s) => a + s.experimentsDropped, 0),
  };
}

test('with dropping, outcomes equal naive mode on every bit, near-tie images included', async () => {
  const model = tinyResnet();
  const near = await nearTies(model, tinyImages(60, 5), 4, [1e-2, 3e-3, 1e-3, 3e-4]);
  assert.ok(near.margins.filter((m) => m < 1e-4).length >= 6, `ties: ${near.margins.join(', ')}`);
  const { memory } = storedModelOf(model);
  const exps = everyBit(memory, 4, 'exact-tiny');
  // Margins around the slack: decided by the fault, not by rounding, so naive mode is the reference.
  const input = withImages(tinyImages(36), near.close);
  let stats: DropStats[] = [];
  await compareModes(model, input, exps, { safeDrop: true }, (ev) => {
    stats = ev.dropStats;
  });
  const dropped = checkStats(stats, 4, input.labels.length);
  assert.ok(dropped.images > 0 && dropped.experiments > 0, `dropped ${JSON.stringify(dropped)}`);
  // Margins at float32 rounding: the delta path and the whole graph may round them either way (they
  // sum in other orders), so dropping is checked against the same fast path without it.
  const ties = withImages(tinyImages(12), near.ties);
  const on = await Evaluator.create(model, ties, { safeDrop: true, threads: 1 });
  const off = await Evaluator.create(model, ties, { threads: 1 });
  try {
    for (const faults of exps) {
      const a = await on.evaluate(faults, true);
      const b = await off.evaluate(faults, true);
      assert.deepEqual([...a.predictions], [...b.predictions], JSON.stringify(faults));
      for (const k of ['correct', 'sdc', 'criticalSdc', 'nanImages', 'infImages'] as const)
        assert.equal(a[k], b[k], `${k}: ${JSON.stringify(faults)}`);
    }
  } finally {
    await on.release();
    await off.release();
  }

  const lenet = buildZooModel('lenet5', { seed: 3 });
  const lenetInput = randomImages(24, [1, 28, 28], 10, 'lenet-exact');
  await compareModes(
    lenet,
    lenetInput,
    everyBit(storedModelOf(lenet).memory, 2, 'exact-lenet'),
    { safeDrop: true },
    (ev) => {
      stats = ev.dropStats;
    },
  );
  assert.ok(checkStats(stats, 2, 24).images > 0, 'LeNet-5: some images dropped');
});

test('spectral bounds cover the largest singular value; an op without a rule gives no bound', () => {
  const rng = Rng.seeded('sigma');
  for (const [m, n] of [
    [10, 256],
    [64, 9],
    [1, 5],
  ] as const) {
    const a = Float64Array.from({ length: m * n }, () => rng.normal());
    // Power iteration converges to σmax from below: the bound must be above it, and close.
    let v = new Float64Array(n).fill(1);
    let sigma = 0;
    for (let it = 0; it < 500; it++) {
      const u = new Float64Array(m);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) u[i]! += a[i * n + j]! * v[j]!;
      const w = new Float64Array(n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j]! += a[i * n + j]! * u[i]!;
      const norm = Math.hypot(...w);
      sigma = Math.sqrt(norm / Math.hypot(...v));
      v = w.map((x) => x / norm);
    }
    const bound = spectralBound(a, m, n);
    assert.ok(bound >= sigma && bound <= 1.2 * sigma, `${m}×${n}: bound ${bound}, σ ≈ ${sigma}`);
  }
  const b = new GraphBuilder('exp');
  const x = b.input('input', 'float32', ['batch', 4]);
  const w1 = b.initializer(
    'w1',
    f32(
      [4, 4],
      Array.from({ length: 16 }, (_, i) => i / 16),
    ),
  );
  const h = b.op('Gemm', [x, w1], { transB: attrInt(1) });
  const w2 = b.initializer(
    'w2',
    f32(
      [2, 4],
      Array.from({ length: 8 }, (_, i) => i / 8),
    ),
  );
  b.output(b.op('Gemm', [b.op('Exp', [h]), w2], { transB: attrInt(1) }, { output: 'logits' }), 'float32', [
    'batch',
    2,
  ]);
  const graph = b.build().graph;
  assert.equal(suffixGain(graph, h, 0), null, 'Exp has no Lipschitz rule');
  assert.ok(suffixGain(graph, graph.nodes[1]!.outputs[0]!, 1), 'after Exp, Gemm alone is bounded');
  // A perturbed [N, 1] added to [N, 4] repeats its change four times: the triangle rule does not hold.
  const d = new GraphBuilder('broadcast-relu');
  const xd = d.input('input', 'float32', ['batch', 4]);
  const yd = d.op('Gemm', [xd, d.initializer('w', f32([1, 4], [1, 2, 3, 4]))], { transB: attrInt(1) });
  d.output(d.op('Add', [d.op('Relu', [xd]), d.op('Relu', [yd])], {}, { output: 'logits' }), 'float32', [
    'batch',
    4,
  ]);
  assert.equal(
    suffixGain(d.build().graph, yd, 0),
    null,
    'a perturbed [N, 1] broadcast over 4 features is refused',
  );
});
