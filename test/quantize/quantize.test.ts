/**
 * `prunefi quantize` on the PyTorch-trained LeNet-5 fixture (test/fixtures/quant/lenet5-float.onnx):
 * exact per-channel scales, zeros kept, logits close to float in ONNX Runtime, the written model
 * through `info` and a single-bit campaign in its stored int8 words, and onnx.checker.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { batches, loadDataset } from '../../src/data/index.js';
import { loadModel } from '../../src/onnx/file.js';
import { cloneModel } from '../../src/onnx/graph.js';
import { quantizedWeights, quantizedZeros } from '../../src/onnx/quant.js';
import { toFloat32 } from '../../src/onnx/tensor.js';
import { quantizeModel, quantizeWeightsInt8 } from '../../src/quantize/index.js';
import { createSession } from '../../src/runtime/index.js';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';

const FLOAT = join(REPO, 'test/fixtures/quant/lenet5-float.onnx');

test('per-channel scale is max|w|/127 exactly and q = round(w/scale)', () => {
  const model = loadModel(FLOAT);
  const w = toFloat32(model.graph.initializers.get('fc1.weight')!);
  const g = cloneModel(model, true).graph;
  quantizeWeightsInt8(g);
  const s = g.initializers.get('fc1.weight_scale')!.data as Float32Array;
  const q = g.initializers.get('fc1.weight_quantized')!.data as Int8Array;
  assert.equal(s.length, 120, 'Gemm transB=1: one scale per output row');
  for (let c = 0; c < 120; c++) {
    let m = 0;
    for (let k = 0; k < 400; k++) m = Math.max(m, Math.abs(w[c * 400 + k]!));
    assert.equal(s[c], Math.fround(m / 127), `scale of channel ${c}`);
    for (let k = 0; k < 400; k++) assert.equal(q[c * 400 + k], Math.round(w[c * 400 + k]! / s[c]!) || 0);
  }
});

test('a pruned model keeps its zeros: every zero weight is stored as q = 0', () => {
  const model = loadModel(FLOAT);
  const w = model.graph.initializers.get('conv2.weight')!.data as Float32Array;
  // Every third weight pruned, and the whole filter 5 (an all-zero channel).
  for (let i = 0; i < w.length; i++) if (i % 3 === 0 || Math.floor(i / 150) === 5) w[i] = 0;
  const zeros = w.filter((v) => v === 0).length;
  const g = cloneModel(model, true).graph;
  quantizeWeightsInt8(g);
  const q = g.initializers.get('conv2.weight_quantized')!.data as Int8Array;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) assert.equal(q[i], 0, `weight ${i}`);
  const qw = quantizedWeights(g).get('conv2.weight_quantized')!;
  assert.ok(quantizedZeros(g, qw) >= zeros);
  const s = g.initializers.get('conv2.weight_scale')!.data as Float32Array;
  assert.ok(s[5]! > 0, 'an all-zero filter still gets a positive scale');
});

test('the quantized model runs in ONNX Runtime with logits close to float', async () => {
  const model = loadModel(FLOAT);
  const train = await loadDataset('mnist', { split: 'train', limit: 100 });
  const test = await loadDataset('mnist', { split: 'test', limit: 64 });
  const x = batches(test, { batchSize: 64 }).next().value!.x;
  const logits = async (m: typeof model) => {
    const s = await createSession(m, { threads: 1 });
    try {
      return (await s.run({ input: x }))[s.outputNames[0]!]!.data as Float32Array;
    } finally {
      await s.release();
    }
  };
  const ref = await logits(model);
  const range = Math.max(...ref.map(Math.abs));
  for (const activations of ['none', 'uint8'] as const) {
    const q = await quantizeModel(model, train, { activations, calibration: 'minmax', percentile: 99.99 });
    const got = await logits(q.model);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!));
    // One quantization step is 1/127 (weights) and 1/255 (uint8 activations) of a tensor's range,
    // and its rounding error at most half that; through LeNet's five layers the errors add up to a
    // few steps, so 5% of the largest logit allows ~6 steps and still fails on a wrong scale/axis.
    assert.ok(worst <= 0.05 * range, `${activations}: max |Δlogit| ${worst} > 5% of ${range}`);
    assert.ok(worst > 0, `${activations}: logits changed (the weights really are int8)`);
  }
});

test('prunefi quantize → info (int8 layers) → single-bit campaign in the stored int8 bits → onnx.checker', async (t) => {
  const dir = tempDir('prunefi-quantize-');
  const out = join(dir, 'lenet5-int8.onnx');
  const r = await cli(
    'quantize',
    FLOAT,
    '--data',
    'mnist',
    '--calibrate',
    '100',
    '--limit',
    '200',
    '--calibration',
    'percentile',
    '-o',
    out,
    '--threads',
    '1',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    layers: number;
    images: number;
    floatAccuracy: number;
    quantizedAccuracy: number;
    difference: { lower: number; upper: number };
  };
  assert.equal(j.layers, 5);
  assert.ok(j.images >= 190 && j.images <= 200);
  assert.ok(
    j.difference.lower <= j.quantizedAccuracy - j.floatAccuracy &&
      j.quantizedAccuracy - j.floatAccuracy <= j.difference.upper,
  );
  assert.ok(j.quantizedAccuracy > 0.9, `quantized accuracy ${j.quantizedAccuracy}`);

  const info = await cli('info', out);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /conv1\s+Conv\s+6×1×5×5.*int8 \(8 bits\)\s+6 \(axis 0\)/);
  assert.match(info.stdout, /fc3\s+Gemm\s+10×84.*int8 \(8 bits\)/);

  const db = join(dir, 'bits.sqlite');
  const c = await cli(
    'campaign',
    'run',
    '--db',
    db,
    '--model',
    out,
    '--data',
    'mnist',
    '--images-per-class',
    '5',
    '--threads',
    '1',
    '--plan',
    'single-bit',
    '--per-bit',
    '2',
  );
  assert.equal(c.code, 0, c.stderr);
  const exp = await cli('campaign', 'export', db, '--format', 'json');
  const rows = (JSON.parse(exp.stdout) as { experiments: { bit: number; faults: { tensor: string }[] }[] })
    .experiments;
  assert.equal(rows.length, 16, '2 flips × 8 bit positions of an int8 word');
  assert.ok(rows.every((x) => x.faults[0]!.tensor.endsWith('.weight_quantized')));

  const py = spawnSync(
    '/usr/bin/python3',
    ['-c', `import onnx; onnx.checker.check_model(onnx.load(${JSON.stringify(out)}))`],
    { encoding: 'utf8' },
  );
  if (py.error || /No module named/.test(py.stderr)) {
    t.skip(
      `onnx.checker not run: /usr/bin/python3 with the onnx module is missing (apt-get install python3-onnx)`,
    );
    return;
  }
  assert.equal(py.status, 0, py.stderr);
});

test('prunefi quantize without -o is a one-line usage error', async () => {
  const r = await cli('quantize', FLOAT, '--data', 'mnist');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /quantize needs -o <file>/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
