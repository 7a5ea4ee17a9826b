/**
 * Every op's gradient against central finite differences. Each case builds a one- or two-node
 * model, asks for the gradient of L = Σ R ⊙ Y (R a fixed random "seed" tensor, so every output
 * element matters with a different weight) with respect to its parameters and its input, and
 * compares (a) the directional derivative along a random direction over all of them at once and
 * (b) single coordinates of each tensor.
 *
 * Tolerances. float64 cases (ORT has double kernels for everything but Conv, ConvTranspose and
 * the average pools): h = 1e-4 makes the O(h²) truncation error ≈ 1e-8 relative, so rtol 1e-6.
 * float32 cases: Conv and pooling are (piecewise) linear in each argument, so a central
 * difference has no truncation error and h can be large (1e-2); what is left is float32 rounding
 * of Y, at most ~6e-8·|R⊙Y| per element: the bound used is atol = 1e-6·Σ|R⊙Y|/h (16× margin),
 * plus rtol 1e-3 for the rounding of the gradient itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { attrFloat, attrInt, attrInts } from '../../src/onnx/ir.js';
import { i64, tensor } from '../../src/onnx/tensor.js';
import { GradientSession } from '../../src/train/session.js';
import { assertClose } from '../helpers/assert.js';
import { type Case, gradcheck, separated } from './gradcheck.js';
import { model, randomTensor, testRng } from './models.js';

const ints = attrInts;
const d64 = 'float64' as const;
const f32 = 'float32' as const;

const cases: Record<string, Case> = {
  'Conv 3x3 pad 1': {
    nodes: [['Conv', ['X', 'W', 'B'], ['Y'], { pads: ints([1, 1, 1, 1]) }]],
    dtype: f32,
    xShape: [2, 3, 6, 6],
    init: { W: [4, 3, 3, 3], B: [4] },
  },
  // Fewer input pixels than kernel taps: the lowered Conv runs as its dense equivalent (every
  // (position, pixel) pair connected on 2×2 with 3×3; some pairs only see padding on 4×4 with 5×5).
  'Conv 3x3 pad 1 on a 2x2 map (dense equivalent)': {
    nodes: [['Conv', ['X', 'W', 'B'], ['Y'], { pads: ints([1, 1, 1, 1]) }]],
    dtype: f32,
    xShape: [3, 5, 2, 2],
    init: { W: [6, 5, 3, 3], B: [6] },
  },
  'Conv 5x5 pad 2 on a 4x4 map (dense equivalent, zero tap)': {
    nodes: [['Conv', ['X', 'W', 'B'], ['Y'], { pads: ints([2, 2, 2, 2]) }]],
    dtype: f32,
    xShape: [2, 3, 4, 4],
    init: { W: [4, 3, 5, 5], B: [4] },
  },
  'Conv 5x5 stride 2 pad 2 on a 4x4 map (dense equivalent, zero tap)': {
    nodes: [['Conv', ['X', 'W'], ['Y'], { strides: ints([2, 2]), pads: ints([2, 2, 2, 2]) }]],
    dtype: f32,
    xShape: [2, 3, 4, 4],
    init: { W: [4, 3, 5, 5] },
  },
  // Not lowered, its 25-tap weight gradient runs as a Conv over batch-transposed tensors whose
  // output is cut to the kernel: here the input reaches past the last tap (an 8th row and column
  // no output reads), so the surplus is sliced off.
  'Conv 5x5 stride 2 on an 8x8 map, input past the last tap': {
    nodes: [['Conv', ['X', 'W', 'B'], ['Y'], { strides: ints([2, 2]) }]],
    dtype: f32,
    xShape: [2, 2, 8, 8],
    init: { W: [3, 2, 5, 5], B: [3] },
  },
  // A weight two Convs share: its gradient sums both. (No Relu between them: its kinks would break
  // the float32 finite differences, and ORT has no float64 Conv for the not-lowered variant.)
  'Conv weight shared by two Convs': {
    nodes: [
      ['Conv', ['X', 'W'], ['t0'], { pads: ints([1, 1, 1, 1]) }],
      ['Conv', ['t0', 'W', 'B'], ['Y'], { pads: ints([1, 1, 1, 1]) }],
    ],
    dtype: f32,
    xShape: [2, 4, 5, 5],
    init: { W: [4, 4, 3, 3], B: [4] },
  },
  'Conv stride 2, asymmetric pads': {
    nodes: [['Conv', ['X', 'W'], ['Y'], { strides: ints([2, 2]), pads: ints([1, 0, 0, 1]) }]],
    dtype: f32,
    xShape: [2, 3, 7, 6],
    init: { W: [4, 3, 3, 3] },
  },
  'Conv dilation 2': {
    nodes: [['Conv', ['X', 'W', 'B'], ['Y'], { dilations: ints([2, 2]), pads: ints([2, 2, 2, 2]) }]],
    dtype: f32,
    xShape: [2, 2, 7, 7],
    init: { W: [3, 2, 3, 3], B: [3] },
  },
  'Conv groups 2, stride 2': {
    nodes: [
      ['Conv', ['X', 'W'], ['Y'], { group: attrInt(2), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }],
    ],
    dtype: f32,
    xShape: [2, 4, 6, 6],
    init: { W: [6, 2, 3, 3] },
  },
  'Conv depthwise': {
    nodes: [['Conv', ['X', 'W'], ['Y'], { group: attrInt(3), pads: ints([1, 1, 1, 1]) }]],
    dtype: f32,
    xShape: [2, 3, 5, 5],
    init: { W: [3, 1, 3, 3] },
  },
  'Conv 1x1 stride 2 (shortcut)': {
    nodes: [['Conv', ['X', 'W'], ['Y'], { strides: ints([2, 2]) }]],
    dtype: f32,
    xShape: [2, 4, 6, 6],
    init: { W: [5, 4, 1, 1] },
  },
  'Conv 11x11 stride 4 pad 5 (AlexNet stem)': {
    nodes: [['Conv', ['X', 'W', 'B'], ['Y'], { strides: ints([4, 4]), pads: ints([5, 5, 5, 5]) }]],
    dtype: f32,
    xShape: [2, 3, 16, 16],
    init: { W: [4, 3, 11, 11], B: [4] },
  },
  'Gemm transB + bias': {
    nodes: [['Gemm', ['X', 'W', 'B'], ['Y'], { transB: attrInt(1) }]],
    dtype: d64,
    xShape: [3, 5],
    init: { W: [4, 5], B: [4] },
  },
  'Gemm transA, alpha, beta, 2-D bias': {
    nodes: [
      ['Gemm', ['X', 'W', 'B'], ['Y'], { transA: attrInt(1), alpha: attrFloat(0.7), beta: attrFloat(1.3) }],
    ],
    dtype: d64,
    xShape: [2, 3],
    init: { W: [2, 4], B: [1, 4] },
  },
  'Gemm transA transB': {
    nodes: [['Gemm', ['X', 'W'], ['Y'], { transA: attrInt(1), transB: attrInt(1) }]],
    dtype: d64,
    xShape: [2, 3],
    init: { W: [4, 2] },
  },
  'MatMul 3-D by 2-D weight': {
    nodes: [['MatMul', ['X', 'W'], ['Y']]],
    dtype: d64,
    xShape: [2, 3, 4],
    init: { W: [4, 5] },
  },
  'MatMul batched with broadcast': {
    nodes: [['MatMul', ['X', 'W'], ['Y']]],
    dtype: d64,
    xShape: [2, 3, 4],
    init: { W: [1, 4, 2] },
  },
  'Add/Mul/Sub broadcasting': {
    nodes: [
      ['Add', ['X', 'A'], ['t1']],
      ['Mul', ['t1', 'M'], ['t2']],
      ['Sub', ['S', 't2'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 4, 4],
    init: { A: [3, 1, 1], M: [1, 3, 4, 1], S: [1] },
  },
  'Relu, LeakyRelu, Clip': {
    nodes: [
      ['Mul', ['X', 'M'], ['t0']],
      ['Relu', ['t0'], ['t1']],
      ['LeakyRelu', ['X'], ['t2'], { alpha: attrFloat(0.1) }],
      ['Clip', ['X', 'lo', 'hi'], ['t3']],
      ['Add', ['t1', 't2'], ['t4']],
      ['Add', ['t4', 't3'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 5],
    init: { M: [3, 5] },
    consts: { lo: tensor(d64, [], Float64Array.of(-0.3)), hi: tensor(d64, [], Float64Array.of(0.4)) },
  },
  'Sigmoid, Tanh': {
    nodes: [
      ['Sigmoid', ['X'], ['t1']],
      ['Tanh', ['X'], ['t2']],
      ['Mul', ['t1', 't2'], ['Y']],
    ],
    dtype: d64,
    xShape: [3, 7],
  },
  'BatchNormalization training mode': {
    nodes: [
      ['BatchNormalization', ['X', 'g', 'b', 'rm', 'rv'], ['t'], { epsilon: attrFloat(1e-3) }],
      ['Tanh', ['t'], ['Y']],
    ],
    dtype: d64,
    xShape: [3, 4, 3, 2],
    init: { g: [4], b: [4], rm: [4], rv: [4] },
    wrt: ['g', 'b', 'X'],
  },
  'BatchNormalization eval mode': {
    nodes: [['BatchNormalization', ['X', 'g', 'b', 'rm', 'rv'], ['Y']]],
    dtype: d64,
    xShape: [3, 4, 3, 2],
    init: { g: [4], b: [4], rm: [4], rv: [4] },
    wrt: ['g', 'b', 'X'],
    positive: ['rv'],
    batchNorm: 'eval',
  },
  'MaxPool overlapping 3x3 stride 2 pad 1 (float64)': {
    nodes: [
      [
        'MaxPool',
        ['X'],
        ['Y'],
        { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) },
      ],
    ],
    dtype: d64,
    xShape: [2, 3, 7, 7],
    x: separated(d64, [2, 3, 7, 7], 'maxpool64'),
  },
  'MaxPool 2x2 stride 2 (float32)': {
    nodes: [['MaxPool', ['X'], ['Y'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }]],
    dtype: f32,
    xShape: [2, 3, 6, 6],
    x: separated(f32, [2, 3, 6, 6], 'maxpool32'),
  },
  'MaxPool overlapping 3x3 stride 1 ceil mode (float32)': {
    nodes: [
      ['MaxPool', ['X'], ['Y'], { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: attrInt(1) }],
    ],
    dtype: f32,
    xShape: [1, 2, 8, 8],
    x: separated(f32, [1, 2, 8, 8], 'maxpoolceil'),
  },
  'AveragePool 3x3 stride 2 pad 1, pads excluded': {
    nodes: [
      [
        'AveragePool',
        ['X'],
        ['Y'],
        { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) },
      ],
    ],
    dtype: f32,
    xShape: [2, 3, 7, 7],
  },
  'AveragePool 3x3 stride 2 pad 1, pads counted, ceil mode': {
    nodes: [
      [
        'AveragePool',
        ['X'],
        ['Y'],
        {
          kernel_shape: ints([3, 3]),
          strides: ints([2, 2]),
          pads: ints([1, 1, 1, 1]),
          count_include_pad: attrInt(1),
          ceil_mode: attrInt(1),
        },
      ],
    ],
    dtype: f32,
    xShape: [2, 2, 8, 8],
  },
  GlobalAveragePool: {
    nodes: [['GlobalAveragePool', ['X'], ['Y']]],
    dtype: f32,
    xShape: [2, 3, 4, 5],
  },
  'Flatten, Reshape, Transpose, Identity': {
    nodes: [
      ['Transpose', ['X'], ['t1'], { perm: ints([0, 2, 3, 1]) }],
      ['Identity', ['t1'], ['t2']],
      ['Flatten', ['t2'], ['t3'], { axis: attrInt(1) }],
      ['Reshape', ['t3', 'shape'], ['t4']],
      ['Mul', ['t4', 'M'], ['Y']],
    ],
    dtype: d64,
    xShape: [2, 3, 2, 4],
    init: { M: [4, 6] },
    consts: { shape: i64([3], [-1, 4, 6]) },
  },
  'Concat on channels': {
    nodes: [
      ['Mul', ['X', 'A'], ['t1']],
      ['Concat', ['t1', 'X', 'C'], ['Y'], { axis: attrInt(1) }],
    ],
    dtype: d64,
    xShape: [2, 3, 2],
    init: { A: [3, 2], C: [2, 1, 2] },
  },
  'Softmax, LogSoftmax': {
    nodes: [
      ['Softmax', ['X'], ['t1'], { axis: attrInt(1) }],
      ['LogSoftmax', ['X'], ['t2']],
      ['Mul', ['t1', 't2'], ['Y']],
    ],
    dtype: d64,
    xShape: [3, 5],
  },
};

for (const [name, c] of Object.entries(cases)) {
  test(`gradient of ${name} matches central finite differences`, () => gradcheck(name, c));
  // Conv cases on small maps run lowered to GEMMs by default; check ORT's Conv path too.
  if (c.nodes.some(([op]) => op === 'Conv')) {
    test(`gradient of ${name} (not lowered) matches central finite differences`, () =>
      gradcheck(`${name} (not lowered)`, { ...c, lowerConv: false }));
  }
}

test('Dropout in training: the mask is drawn from the step rng (replayable) and gates the gradient', async () => {
  const rng = testRng('dropout');
  const w = randomTensor(rng, 'float64', [6, 4]);
  const m = model(
    [
      ['Dropout', ['X', 'ratio'], ['d']],
      ['MatMul', ['d', 'W'], ['Y']],
    ],
    { dtype: 'float64', shape: [5, 6] },
    { W: w, ratio: tensor('float32', [], Float32Array.of(0.3)) },
  );
  const s = await GradientSession.create(m, { wrt: ['W', 'X'], objective: { kind: 'seed' }, threads: 1 });
  try {
    assert.equal(s.graph.dropoutMasks.length, 1);
    const x = randomTensor(rng, 'float64', [5, 6]);
    const seed = randomTensor(rng, 'float64', [5, 4]);
    const step = (k: number) => s.run({ x, seed, dropoutRng: Rng.seeded('run').split('dropout', k) });
    const [a, b, c] = [await step(0), await step(0), await step(1)];
    assert.deepEqual(a.prediction.data, b.prediction.data, 'same step rng, same mask');
    assert.notDeepEqual(a.prediction.data, c.prediction.data, 'another step, another mask');
    // dL/dX = mask ⊙ (seed · Wᵀ): zero exactly where dropped, scaled by 1/(1-ratio) elsewhere
    // (ratio as stored: float32 0.3).
    const gx = a.grads.get('X')! as Float64Array;
    const wd = w.data as Float64Array;
    const sd = seed.data as Float64Array;
    let dropped = 0;
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 6; j++) {
        let full = 0;
        for (let k = 0; k < 4; k++) full += sd[i * 4 + k]! * wd[j * 4 + k]!;
        const g = gx[i * 6 + j]!;
        if (g === 0) dropped++;
        else assertClose([g], [full / (1 - Math.fround(0.3))], { rtol: 1e-12 }, `dX[${i},${j}]`);
      }
    }
    assert.ok(dropped > 0 && dropped < 30, `${dropped} of 30 dropped`);
  } finally {
    await s.release();
  }
});

test('cross-entropy with label smoothing: loss and gradient match finite differences (float64)', async () => {
  const rng = testRng('ce');
  const w = randomTensor(rng, 'float64', [4, 5]);
  const m = model(
    [['Gemm', ['X', 'W'], ['Y'], { transB: attrInt(1) }]],
    { dtype: 'float64', shape: [6, 5] },
    { W: w },
  );
  const s = await GradientSession.create(m, {
    objective: { kind: 'cross-entropy', labelSmoothing: 0.2 },
    threads: 1,
  });
  try {
    const x = randomTensor(rng, 'float64', [6, 5], 2);
    const labels = [0, 3, 1, 1, 2, 3];
    const base = await s.run({ x, labels });
    // The loss itself: PyTorch's definition, mean over images of −Σ_k q_k log softmax(z)_k.
    const z = base.prediction.data as Float64Array;
    let expected = 0;
    for (let n = 0; n < 6; n++) {
      const row = Array.from(z.subarray(n * 4, n * 4 + 4));
      const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
      row.forEach((v, k) => {
        expected -= ((k === labels[n] ? 0.8 : 0) + 0.2 / 4) * (v - lse);
      });
    }
    assertClose([base.loss], [expected / 6], { rtol: 1e-12 }, 'loss');
    const h = 1e-5;
    const g = base.grads.get('W')!;
    for (const i of [0, 7, 19]) {
      const at = async (d: number) => {
        const moved = (w.data as Float64Array).slice();
        moved[i]! += d;
        return (await s.run({ x, labels, overrides: new Map([['W', moved]]) })).loss;
      };
      // float64, h = 1e-5: truncation ~1e-10, rounding ~1e-11.
      assertClose([g[i]!], [((await at(h)) - (await at(-h))) / (2 * h)], { atol: 1e-8 }, `dW[${i}]`);
    }
  } finally {
    await s.release();
  }
});
