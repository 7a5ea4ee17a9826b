/**
 * The finite-difference gradient check every op's test uses (see gradcheck.test.ts for the
 * tolerances and why): a one- or few-node model, the objective L = Σ R ⊙ Y with a fixed random
 * seed R, and the analytic gradient compared with central differences along a random direction
 * over all differentiated tensors and at single coordinates of each.
 */
import { inferShapes } from '../../src/onnx/shape/index.js';
import { numel, type Tensor, tensor } from '../../src/onnx/tensor.js';
import { GradientSession } from '../../src/train/session.js';
import type { FloatArray } from '../../src/train/weights.js';
import { assertClose } from '../helpers/assert.js';
import { model, type NodeSpec, randomTensor, testRng } from './models.js';

/** One gradient-check model. */
export interface Case {
  nodes: NodeSpec[];
  dtype: 'float32' | 'float64';
  xShape: number[];
  init?: Record<string, number[]>;
  /** Constant (non-differentiated) initializers. */
  consts?: Record<string, Tensor>;
  /** Overrides the random X (e.g. well separated values for MaxPool). */
  x?: Tensor;
  /** Initializers drawn positive, in [0.5, 1.5) (variances). */
  positive?: string[];
  /** Default: every initializer plus X. */
  wrt?: string[];
  batchNorm?: 'train' | 'eval' | 'identity';
  lowerConv?: boolean;
  /** The model's opset (default 13). */
  opset?: number;
  /** Half-width of the random X's range (default 1). */
  xScale?: number;
  /**
   * Added to the float32 absolute tolerance: the truncation error of a central difference with
   * h = 1e-2 on a smooth op that is not piecewise linear (the case states its bound).
   */
  truncation?: number;
}

/** Checks every requested gradient of the case against central finite differences. */
export async function gradcheck(name: string, c: Case): Promise<void> {
  const rng = testRng(name);
  const init: Record<string, Tensor> = {};
  for (const [k, dims] of Object.entries(c.init ?? {})) {
    init[k] = randomTensor(rng, c.dtype, dims);
    if (c.positive?.includes(k))
      init[k].data.forEach((v, i, a) => {
        a[i] = Math.abs(Number(v)) + 0.5;
      });
  }
  const m = model(c.nodes, { dtype: c.dtype, shape: c.xShape }, { ...init, ...c.consts });
  if (c.opset) m.opsetImports = [{ domain: '', version: c.opset }];
  const wrt = c.wrt ?? [...Object.keys(init), 'X'];
  const s = await GradientSession.create(m, {
    wrt,
    objective: { kind: 'seed' },
    batchNorm: c.batchNorm ?? 'train',
    dropout: false,
    lowerConv: c.lowerConv ?? true,
    threads: 1,
  });
  try {
    const x = c.x ?? randomTensor(rng, c.dtype, c.xShape, c.xScale ?? 1);
    const yShape = inferShapes(m.graph, { inputShapes: { X: c.xShape } }).shapes.get('Y')!;
    const seed = randomTensor(rng, c.dtype, yShape);
    const base = await s.run({ x, seed });
    const values = new Map<string, FloatArray>(
      wrt.map((w) => [w, (w === 'X' ? x.data : s.weights.get(w)) as FloatArray]),
    );
    let scale = 0;
    const objective = async (shift: Map<string, FloatArray>): Promise<number> => {
      const overrides = new Map<string, FloatArray>();
      let xx = x;
      for (const [w, v] of values) {
        const moved = v.slice();
        const d = shift.get(w);
        if (d) for (let i = 0; i < moved.length; i++) moved[i]! += d[i]!;
        if (w === 'X') xx = tensor(c.dtype, x.dims, moved as never);
        else overrides.set(w, moved);
      }
      const y = (await s.run({ x: xx, seed, overrides })).prediction.data as FloatArray;
      let sum = 0;
      let abs = 0;
      for (let i = 0; i < y.length; i++) {
        const r = (seed.data as FloatArray)[i]!;
        sum += y[i]! * r;
        abs += Math.abs(y[i]! * r);
      }
      scale = Math.max(scale, abs);
      return sum;
    };
    const h = c.dtype === 'float64' ? 1e-4 : 1e-2;
    const tol = (): { atol: number; rtol: number } =>
      c.dtype === 'float64'
        ? { atol: 1e-9, rtol: 1e-6 }
        : { atol: (1e-6 * scale) / h + (c.truncation ?? 0), rtol: 1e-3 };
    const difference = async (dir: Map<string, FloatArray>): Promise<number> => {
      const scaled = (k: number) => new Map([...dir].map(([w, d]) => [w, d.map((v) => v * k) as FloatArray]));
      return ((await objective(scaled(h))) - (await objective(scaled(-h)))) / (2 * h);
    };
    // (a) all tensors along one random direction.
    const dir = new Map<string, FloatArray>();
    let analytic = 0;
    for (const [w, v] of values) {
      const d = v.map(() => rng.float() * 2 - 1) as FloatArray;
      dir.set(w, d);
      const g = base.grads.get(w)!;
      for (let i = 0; i < d.length; i++) analytic += g[i]! * d[i]!;
    }
    const numeric = await difference(dir);
    assertClose([analytic], [numeric], tol(), `${name}: directional derivative`);
    // (b) three coordinates of every tensor.
    for (const [w, v] of values) {
      for (let k = 0; k < 3; k++) {
        const i = rng.int(v.length);
        const e = v.map(() => 0) as FloatArray;
        e[i] = 1;
        const fd = await difference(new Map([[w, e]]));
        assertClose([base.grads.get(w)![i]!], [fd], tol(), `${name}: d/d${w}[${i}]`);
      }
    }
  } finally {
    await s.release();
  }
}

/** Distinct, well separated values (multiples of 0.05, shuffled) so no max switches under ±h. */
export function separated(dtype: 'float32' | 'float64', dims: number[], name: string): Tensor {
  const n = numel(dims);
  const perm = testRng(name).permutation(n);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (perm[i]! - n / 2) * 0.05;
  return tensor(dtype, dims, data as never);
}
