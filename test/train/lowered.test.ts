/**
 * Lowered and dense-equivalent Convs (src/train/autodiff/lowered.ts) compute the same forward as
 * ONNX Runtime's own Conv. The gradient checks cannot see a forward that is wrong in a way its
 * backward mirrors (say, kernel taps permuted on the way in and back out): the finite differences
 * of a consistently wrong function still match its gradient.
 *
 * Tolerance: both results are float32 sums of the same n = Ci·K + 1 products in different orders,
 * so each is within n·2⁻²⁴·Σ|terms| of the exact value (the standard bound on recursive
 * summation), and they differ by at most twice that. Σ|terms| ≤ Σ|W[co]|·max|X| + |B[co]| per
 * output channel. A misplaced tap changes outputs by O(|W|·|X|), far above that bound.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attrInts } from '../../src/onnx/ir.js';
import { inferShapes } from '../../src/onnx/shape/index.js';
import { numel, type Tensor } from '../../src/onnx/tensor.js';
import { GradientSession } from '../../src/train/session.js';
import { model, randomTensor, testRng } from './models.js';

interface Geometry {
  x: number[];
  w: number[];
  attrs: { pads: number[]; strides?: number[]; dilations?: number[] };
}

const geometries: Record<string, Geometry> = {
  'lowered, 3×3 pad 1 on 6×6': { x: [2, 3, 6, 6], w: [4, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  'lowered, stride 2 and asymmetric pads': {
    x: [2, 3, 7, 6],
    w: [4, 3, 3, 3],
    attrs: { pads: [1, 0, 0, 1], strides: [2, 2] },
  },
  'lowered, dilation 2': {
    x: [2, 2, 7, 7],
    w: [3, 2, 3, 3],
    attrs: { pads: [2, 2, 2, 2], dilations: [2, 2] },
  },
  'dense, 3×3 pad 1 on 2×2': { x: [3, 5, 2, 2], w: [6, 5, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  'dense with a zero tap, 5×5 pad 2 on 4×4': {
    x: [2, 3, 4, 4],
    w: [4, 3, 5, 5],
    attrs: { pads: [2, 2, 2, 2] },
  },
  'dense with a zero tap, stride 2': {
    x: [2, 3, 4, 4],
    w: [4, 3, 5, 5],
    attrs: { pads: [2, 2, 2, 2], strides: [2, 2] },
  },
};

async function forward(g: Geometry, init: Record<string, Tensor>, x: Tensor, lowerConv: boolean) {
  const attrs = Object.fromEntries(Object.entries(g.attrs).map(([k, v]) => [k, attrInts(v)]));
  const m = model([['Conv', ['X', 'W', 'B'], ['Y'], attrs]], { dtype: 'float32', shape: g.x }, init);
  const s = await GradientSession.create(m, {
    wrt: ['W'],
    objective: { kind: 'seed' },
    lowerConv,
    threads: 1,
  });
  try {
    const yShape = inferShapes(m.graph, { inputShapes: { X: g.x } }).shapes.get('Y')!;
    const y = (await s.run({ x, seed: randomTensor(testRng('seed'), 'float32', yShape) })).prediction;
    return { y: y.data as Float32Array, dims: y.dims };
  } finally {
    await s.release();
  }
}

for (const [name, g] of Object.entries(geometries)) {
  test(`Conv ${name}: forward equals ONNX Runtime's Conv`, async () => {
    const rng = testRng(`lowered/${name}`);
    const init = { W: randomTensor(rng, 'float32', g.w), B: randomTensor(rng, 'float32', [g.w[0]!]) };
    const x = randomTensor(rng, 'float32', g.x);
    const lowered = await forward(g, init, x, true);
    const reference = await forward(g, init, x, false);
    assert.deepEqual(lowered.dims, reference.dims);
    const [co, k] = [g.w[0]!, numel(g.w.slice(1))];
    const w = init.W.data as Float32Array;
    const b = init.B.data as Float32Array;
    const maxX = Math.max(...Array.from(x.data as Float32Array, Math.abs));
    // The bound per output channel: 2·n·2⁻²⁴·(Σ|W[c]|·max|X| + |B[c]|), n = Ci·K + 1.
    const bounds = Array.from({ length: co }, (_, c) => {
      let sumW = 0;
      for (let j = 0; j < k; j++) sumW += Math.abs(w[c * k + j]!);
      return 2 * (k + 1) * 2 ** -24 * (sumW * maxX + Math.abs(b[c]!));
    });
    const perImage = lowered.y.length / g.x[0]!;
    const positions = perImage / co;
    for (let i = 0; i < lowered.y.length; i++) {
      const bound = bounds[Math.floor((i % perImage) / positions)]!;
      const diff = Math.abs(lowered.y[i]! - reference.y[i]!);
      assert.ok(
        diff <= bound,
        `${name}: Y[${i}] = ${lowered.y[i]} vs ${reference.y[i]} (|Δ| ${diff} > ${bound})`,
      );
    }
  });
}
