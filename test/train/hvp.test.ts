/**
 * Finite-difference Hessian-vector products against the exact product for softmax regression
 * (logits = X·Wᵀ + b, mean cross-entropy): H·(V, u) = (1/N) Σₙ (diag pₙ − pₙpₙᵀ)(V xₙ + u) ⊗ (xₙ, 1).
 * Tolerances: the documented accuracy of the default step, 1e-4 relative (float32) and 1e-8
 * (float64), measured against the largest entry of the exact product.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attrInt } from '../../src/onnx/ir.js';
import type { Tensor } from '../../src/onnx/tensor.js';
import { hessianVectorProduct } from '../../src/train/hvp.js';
import { GradientSession } from '../../src/train/session.js';
import type { FloatArray } from '../../src/train/weights.js';
import { assertClose } from '../helpers/assert.js';
import { model, randomTensor, testRng } from './models.js';

const [N, D, K] = [6, 5, 4];

function exact(x: FloatArray, w: FloatArray, b: FloatArray, vw: FloatArray, vb: FloatArray) {
  const hw = new Float64Array(K * D);
  const hb = new Float64Array(K);
  for (let n = 0; n < N; n++) {
    const z = Array.from(
      { length: K },
      (_, k) =>
        b[k]! + Array.from({ length: D }, (_, d) => w[k * D + d]! * x[n * D + d]!).reduce((s, t) => s + t, 0),
    );
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const tot = e.reduce((s, t) => s + t, 0);
    const p = e.map((v) => v / tot);
    const dz = Array.from(
      { length: K },
      (_, k) =>
        vb[k]! +
        Array.from({ length: D }, (_, d) => vw[k * D + d]! * x[n * D + d]!).reduce((s, t) => s + t, 0),
    );
    const pdz = p.reduce((s, pk, k) => s + pk * dz[k]!, 0);
    for (let k = 0; k < K; k++) {
      const dp = p[k]! * (dz[k]! - pdz);
      hb[k]! += dp / N;
      for (let d = 0; d < D; d++) hw[k * D + d]! += (dp * x[n * D + d]!) / N;
    }
  }
  return { hw, hb };
}

for (const dtype of ['float32', 'float64'] as const) {
  test(`finite-difference Hessian-vector product matches the exact one (${dtype})`, async () => {
    const rng = testRng(`hvp-${dtype}`);
    const init: Record<string, Tensor> = {
      W: randomTensor(rng, dtype, [K, D]),
      B: randomTensor(rng, dtype, [K]),
    };
    const m = model(
      [['Gemm', ['X', 'W', 'B'], ['Y'], { transB: attrInt(1) }]],
      { dtype, shape: [N, D] },
      init,
    );
    const s = await GradientSession.create(m, { threads: 1 });
    try {
      const x = randomTensor(rng, dtype, [N, D], 2);
      const labels = Array.from({ length: N }, () => rng.int(K));
      const v = new Map<string, FloatArray>([
        ['W', randomTensor(rng, dtype, [K, D]).data as FloatArray],
        ['B', randomTensor(rng, dtype, [K]).data as FloatArray],
      ]);
      const { hv, epsilon } = await hessianVectorProduct(s, { x, labels }, v);
      assert.ok(epsilon > 0);
      const e = exact(x.data as FloatArray, s.weights.get('W'), s.weights.get('B'), v.get('W')!, v.get('B')!);
      const scale = Math.max(...e.hw.map(Math.abs), ...e.hb.map(Math.abs));
      const atol = (dtype === 'float32' ? 1e-4 : 1e-8) * scale;
      assertClose(hv.get('W')!, e.hw, { atol }, 'H·v for W');
      assertClose(hv.get('B')!, e.hb, { atol }, 'H·v for B');
      await assert.rejects(
        () => hessianVectorProduct(s, { x, labels }, new Map([['X', new Float32Array(1)]])),
        RangeError,
      );
    } finally {
      await s.release();
    }
  });
}
