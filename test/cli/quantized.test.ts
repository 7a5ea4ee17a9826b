/**
 * A QDQ model quantized outside prunefi (test/fixtures/quant/lenet5-qdq-int8.onnx, PyTorch +
 * numpy + onnx.helper) end to end through the CLI: info shows its stored integers, eval runs it,
 * single-bit and BER campaigns inject into its int8 words (bit positions 0..7), and report
 * renders them, labelled as the model's own int8.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';

const MODEL = join(REPO, 'test/fixtures/quant/lenet5-qdq-int8.onnx');
const target = ['--model', MODEL, '--data', 'mnist', '--images-per-class', '10', '--threads', '1'];
const campaign = (db: string, plan: string, ...flags: string[]) =>
  cli('campaign', 'run', '--db', db, ...target, '--plan', plan, ...flags);

test('prunefi info: per layer the stored type, bits, scales and zero points of a QDQ model', async () => {
  const r = await cli('info', MODEL, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    params: number;
    paramBytes: number;
    layers: { name: string; params: number; quantized?: Record<string, unknown> }[];
  };
  assert.equal(j.params, 61_706, 'LeNet-5 as PyTorch counts it');
  // 61 470 int8 weights (1 byte) and 236 float32 biases (4 bytes).
  assert.equal(j.paramBytes, 61_470 + 236 * 4);
  assert.deepEqual(
    j.layers.map((l) => l.name),
    ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'],
  );
  const conv1 = j.layers[0]!.quantized as {
    type: string;
    bits: number;
    granularity: string;
    axis: number;
    scales: { count: number; min: number; max: number };
    zeroPoints: { count: number; min: number; max: number };
  };
  assert.equal(conv1.type, 'int8');
  assert.equal(conv1.bits, 8);
  assert.equal(conv1.granularity, 'per-channel');
  assert.equal(conv1.axis, 0);
  assert.equal(conv1.scales.count, 6);
  assert.ok(conv1.scales.min > 0 && conv1.scales.min <= conv1.scales.max);
  assert.deepEqual(conv1.zeroPoints, { count: 6, min: 0, max: 0 });
  const table = await cli('info', MODEL);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /stored\s+scales\s+zero points/);
  assert.match(table.stdout, /fc1\s+Gemm\s+120×400.*int8 \(8 bits\)\s+120 \(axis 0\) [\d.]+…[\d.]+\s+120: 0/);
});

test('eval, single-bit and BER campaigns in the stored int8 bits, and report', async () => {
  const dir = tempDir('prunefi-quant-');
  const ev = await cli('eval', '--model', MODEL, '--data', 'mnist', '--json');
  assert.equal(ev.code, 0, ev.stderr);
  const acc = (JSON.parse(ev.stdout) as { accuracy: number }).accuracy;
  // The fixture's float32 LeNet-5 scored 95.21% (PyTorch, make-qdq.py); int8 weights keep it.
  assert.ok(acc > 0.93 && acc < 0.97, `accuracy ${acc}`);

  const bits = join(dir, 'bits.sqlite');
  const sb = await campaign(bits, 'single-bit', '--per-bit', '8');
  assert.equal(sb.code, 0, sb.stderr);
  const exp = await cli('campaign', 'export', bits, '--format', 'json');
  assert.equal(exp.code, 0, exp.stderr);
  const rows = (
    JSON.parse(exp.stdout) as {
      experiments: { bit: number; faults: { tensor: string; region: string; bit: number }[] }[];
    }
  ).experiments;
  assert.equal(rows.length, 64, '8 flips × 8 bit positions');
  assert.deepEqual(
    [...new Set(rows.map((r) => r.bit))].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  for (const r of rows) {
    const f = r.faults[0]!;
    assert.equal(f.region, 'values');
    assert.equal(f.bit, r.bit);
  }
  assert.ok(
    rows.some((r) => r.faults[0]!.tensor.endsWith('.weight_quantized')),
    'faults hit the int8 words',
  );

  const ber = join(dir, 'ber.sqlite');
  const b = await campaign(ber, 'ber', '--rates', '1e-4,1e-2', '--trials', '4');
  assert.equal(b.code, 0, b.stderr);
  const st = await cli('campaign', 'status', ber, '--json');
  assert.equal(st.code, 0, st.stderr);

  const html = join(dir, 'report.html');
  const rep = await cli('report', bits, ber, '-o', html);
  assert.equal(rep.code, 0, rep.stderr);
  assert.ok(existsSync(html));
  const page = readFileSync(html, 'utf8');
  assert.match(page, /int8 \(model\) dense bit-flip/);
  assert.doesNotMatch(page, /float32 dense bit-flip/);
});
