/**
 * Gradients of the ops transformers and modern CNNs add (activations, math, reductions, Gather,
 * Where/Expand, batched MatMul, Softmax on any axis, LayerNormalization) against central finite
 * differences, with the harness and tolerances of gradcheck.test.ts: float64, h = 1e-4, so the
 * O(h²) truncation error is ≈ 1e-8 relative and rtol 1e-6 leaves a wide margin, except where
 * ORT has no double kernel (HardSigmoid, HardSwish, Erf): those run in float32, each case
 * stating its tolerance.
 */
import { test } from 'node:test';
import { attrFloat, attrInt, attrInts } from '../../src/onnx/ir.js';
import { i64, numel, type Tensor, tensor } from '../../src/onnx/tensor.js';
import { type Case, gradcheck } from './gradcheck.js';
import { testRng } from './models.js';

const d64 = 'float64' as const;
const f32 = 'float32' as const;
const scalar = (v: number) => tensor(d64, [], Float64Array.of(v));
const s32 = (v: number) => tensor(f32, [], Float32Array.of(v));

/** A shuffled grid over [−5, 5): step 10/n, offset half a step, so ±3 are never within 0.08. */
function grid(dims: number[], name: string): Tensor {
  const n = numel(dims);
  const perm = testRng(name).permutation(n);
  return tensor(
    f32,
    dims,
    Float32Array.from(perm, (p) => -5 + (10 * (p + 0.5)) / n),
  );
}
const bools = (dims: number[], v: boolean[]) => tensor('bool', dims, Uint8Array.from(v, Number));

const cases: Record<string, Case> = {
  // ORT has no double HardSigmoid, HardSwish or Erf kernels: float32 with the harness's h = 1e-2.
  // HardSigmoid is piecewise linear and HardSwish piecewise quadratic (x²/6 + x/2), so a
  // central difference is exact on each piece; X is a shuffled grid over [−5, 5) at least
  // 0.08 from the kinks (±3; ±2.5 for the default alpha), so no ±h step crosses one.
  'HardSigmoid (alpha 1/6), HardSwish (float32)': {
    nodes: [
      ['HardSigmoid', ['X'], ['t1'], { alpha: attrFloat(1 / 6), beta: attrFloat(0.5) }],
      ['HardSwish', ['X'], ['t2']],
      ['Add', ['t1', 't2'], ['Y']],
    ],
    dtype: f32,
    xShape: [4, 3, 5],
    x: grid([4, 3, 5], 'hardswish'),
    opset: 14,
  },
  'HardSigmoid default alpha 0.2 beta 0.5 (float32)': {
    nodes: [['HardSigmoid', ['X'], ['Y']]],
    dtype: f32,
    xShape: [3, 8],
    x: grid([3, 8], 'hardsigmoid'),
  },
  'SiLU as Sigmoid times x (EfficientNet)': {
    nodes: [
      ['Mul', ['X', 'W'], ['t']],
      ['Sigmoid', ['t'], ['s']],
      ['Mul', ['t', 's'], ['Y']],
    ],
    dtype: d64,
    xShape: [3, 6],
    xScale: 3,
    init: { W: [6] },
  },
  // float32 (no double Erf in ORT). GELU is smooth, so the h = 1e-2 central difference has a
  // truncation error h²/6·|GELU‴|·Σ|R·direction| ≤ 1.7e-5 · 0.8 · 21 ≈ 3e-4 (|GELU‴| < 0.8,
  // 21 elements, |R|, |direction| ≤ 1): atol 5e-4 on top of the rounding bound.
  'erf GELU as exported (Div, Erf, Add, Mul), float32': {
    nodes: [
      ['Div', ['X', 'sqrt2'], ['t1']],
      ['Erf', ['t1'], ['t2']],
      ['Add', ['t2', 'one'], ['t3']],
      ['Mul', ['X', 't3'], ['t4']],
      ['Mul', ['t4', 'half'], ['Y']],
    ],
    dtype: f32,
    xShape: [3, 7],
    xScale: 3,
    consts: { sqrt2: s32(Math.SQRT2), one: s32(1), half: s32(0.5) },
    truncation: 5e-4,
  },
  'Div by a broadcast weight, Exp, Neg, Reciprocal, Sqrt': {
    nodes: [
      ['Div', ['X', 'W'], ['t1']],
      ['Exp', ['t1'], ['t2']],
      ['Reciprocal', ['t2'], ['t3']],
      ['Sqrt', ['t2'], ['t4']],
      ['Neg', ['t3'], ['t5']],
      ['Add', ['t4', 't5'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 4],
    init: { W: [3, 1] },
    positive: ['W'],
  },
  'Pow with exponents 2 and 3 (constant)': {
    nodes: [
      ['Pow', ['X', 'two'], ['t1']],
      ['Pow', ['X', 'three'], ['t2']],
      ['Add', ['t1', 't2'], ['Y']],
    ],
    dtype: d64,
    xShape: [3, 5],
    consts: { two: scalar(2), three: tensor('float32', [], Float32Array.of(3)) },
  },
  'decomposed LayerNorm (ReduceMean, Sub, Pow, Add, Sqrt, Div), opset 14': {
    nodes: [
      ['ReduceMean', ['X'], ['mu'], { axes: attrInts([-1]) }],
      ['Sub', ['X', 'mu'], ['d']],
      ['Pow', ['d', 'two'], ['d2']],
      ['ReduceMean', ['d2'], ['v'], { axes: attrInts([-1]) }],
      ['Add', ['v', 'eps'], ['ve']],
      ['Sqrt', ['ve'], ['s']],
      ['Div', ['d', 's'], ['xh']],
      ['Mul', ['xh', 'g'], ['t']],
      ['Add', ['t', 'b'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 6],
    init: { g: [6], b: [6] },
    consts: { two: scalar(2), eps: scalar(1e-5) },
    opset: 14,
  },
  'ReduceMean axes as input (opset 18), keepdims 0; ReduceSum': {
    nodes: [
      ['ReduceMean', ['X', 'axes'], ['m'], { keepdims: attrInt(0) }],
      ['Mul', ['m', 'W'], ['t']],
      ['ReduceSum', ['X', 'axes2'], ['s'], { keepdims: attrInt(0) }],
      ['Add', ['t', 's'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 4],
    init: { W: [3] },
    consts: { axes: i64([1], [2]), axes2: i64([1], [-1]) },
    opset: 18,
  },
  'ReduceMean over all axes': {
    nodes: [
      ['Mul', ['X', 'X'], ['t']],
      ['ReduceMean', ['t'], ['Y'], { keepdims: attrInt(1) }],
    ],
    dtype: d64,
    xShape: [2, 3],
  },
  'Gather: embedding table by constant ids (repeated, negative), class token x[:, 0], x[:, ids]': {
    nodes: [
      ['Gather', ['E', 'ids'], ['emb']],
      ['Add', ['X', 'emb'], ['h']],
      ['Gather', ['h', 'zero'], ['cls'], { axis: attrInt(1) }],
      ['Gather', ['h', 'pick'], ['p'], { axis: attrInt(1) }],
      ['ReduceSum', ['p', 'axis1'], ['ps'], { keepdims: attrInt(0) }],
      ['Mul', ['cls', 'ps'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 4],
    init: { E: [5, 4] },
    consts: {
      ids: i64([2, 3], [1, 3, 1, 4, -1, 0]),
      zero: i64([], [0]),
      pick: i64([2], [2, -3]),
      axis1: i64([1], [1]),
    },
    wrt: ['E', 'X'],
  },
  'Where with a constant mask, broadcasting both branches': {
    nodes: [['Where', ['mask', 'X', 'A'], ['Y']]],
    dtype: d64,
    xShape: [2, 3],
    init: { A: [1, 3] },
    consts: { mask: bools([2, 3], [true, false, true, false, false, true]) },
  },
  'MatMul rank 4, both operands activations (attention scores q·kᵀ)': {
    nodes: [
      ['Mul', ['X', 'Wq'], ['q']],
      ['Transpose', ['X'], ['kt'], { perm: attrInts([0, 1, 3, 2]) }],
      ['MatMul', ['q', 'kt'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 2, 3, 4],
    init: { Wq: [4] },
  },
  'MatMul rank 4 by a broadcast rank-3 weight; rank 3 by rank 4': {
    nodes: [
      ['MatMul', ['X', 'W'], ['t']],
      ['MatMul', ['V', 't'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 4, 5],
    init: { W: [3, 5, 2], V: [1, 4] },
  },
  'Softmax on axes 1 and -1 of a rank-4 tensor': {
    nodes: [
      ['Softmax', ['X'], ['t1'], { axis: attrInt(1) }],
      ['Softmax', ['X'], ['t2'], { axis: attrInt(-1) }],
      ['Mul', ['t1', 't2'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 2, 4],
  },
  // torchvision's packed attention: q, k, v are Slices of one projection, the chunk size computed
  // from the projection's Shape at run time; the middle chunk uses negative indices.
  'Slice chunks of a packed projection (starts from Shape arithmetic, negative ends)': {
    nodes: [
      ['MatMul', ['X', 'W'], ['p']],
      ['Shape', ['p'], ['sp']],
      ['Gather', ['sp', 'last'], ['width']],
      ['Div', ['width', 'three'], ['chunk']],
      ['Slice', ['p', 'zero', 'chunk', 'axes'], ['q']],
      ['Slice', ['p', 'chunk', 'minusChunk', 'axes'], ['k']],
      ['Mul', ['chunk', 'two'], ['from']],
      ['Slice', ['p', 'from', 'big', 'axes', 'one'], ['v']],
      ['Mul', ['q', 'k'], ['qk']],
      ['Add', ['qk', 'v'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 4],
    init: { W: [4, 6] },
    consts: {
      last: i64([1], [2]),
      three: i64([1], [3]),
      two: i64([1], [2]),
      zero: i64([1], [0]),
      minusChunk: i64([1], [-2]),
      big: i64([1], [1000]),
      axes: i64([1], [-1]),
      one: i64([1], [1]),
    },
  },
  'LayerNormalization (fused, opset 17), axis -1': {
    nodes: [['LayerNormalization', ['X', 'g', 'b'], ['Y'], { epsilon: attrFloat(1e-5) }]],
    dtype: d64,
    xShape: [2, 3, 5],
    init: { g: [5], b: [5] },
    opset: 17,
  },
  'LayerNormalization over two axes (axis 1), no bias, then a weight': {
    nodes: [
      ['LayerNormalization', ['X', 'g'], ['t'], { axis: attrInt(1) }],
      ['Mul', ['t', 'W'], ['Y']],
    ],
    dtype: d64,
    xShape: [3, 2, 4],
    init: { g: [2, 4], W: [2, 4] },
    opset: 17,
  },
};

for (const [name, c] of Object.entries(cases)) {
  test(`gradient of ${name} matches central finite differences`, () => gradcheck(name, c));
}
