/**
 * Fast mode (golden caching, suffix sessions, skipping) on quantized graphs gives the outcomes of
 * naive mode: QDQ int8 per channel, uint8 with zero points, int4 blocked (fed to ONNX Runtime as
 * int8), and the QOperator ops (fixtures in test/fixtures/quant, made by make-qdq.py). Faults hit
 * every layer's integer words at every bit, scales and zero points, float biases, and several
 * layers at once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { type Fault, StoredModel } from '../../src/fault/memory.js';
import { loadModel } from '../../src/onnx/file.js';
import { f32 } from '../../src/onnx/tensor.js';
import { REPO } from '../helpers/paths.js';
import { compareModes } from './compare-modes.js';

const FIXTURES = join(REPO, 'test/fixtures/quant');

/** Experiments over every stored tensor and region: each bit of a few words, and pairs across layers. */
function experiments(mem: StoredModel, seed: number): Fault[][] {
  const rng = Rng.seeded(seed);
  const out: Fault[][] = [];
  for (const t of mem.tensors) {
    for (const r of t.regions) {
      const bits =
        r.name === 'scales' ? [3, 23, 30, 31] : Array.from({ length: Math.min(r.bits, 8) }, (_, b) => b);
      for (const bit of bits) {
        const index = rng.int(r.words.length);
        out.push([
          {
            tensor: t.name,
            region: r.name,
            index,
            bit: r.bits === 32 && r.name === 'values' ? bit + 24 : bit,
            type: 'bit-flip',
          },
        ]);
      }
    }
  }
  const weights = mem.tensors.filter((t) => t.role === 'weight');
  for (let k = 0; k + 1 < weights.length; k++) {
    const [a, b] = [weights[k]!, weights[k + 1]!];
    out.push([
      { tensor: a.name, region: 'values', index: rng.int(a.numel), bit: a.format.bits - 1, type: 'bit-flip' },
      { tensor: b.name, region: 'values', index: rng.int(b.numel), bit: b.format.bits - 2, type: 'bit-flip' },
    ]);
  }
  return out;
}

function images(n: number, dims: number[]) {
  const size = dims.reduce((a, b) => a * b, 1);
  return {
    x: f32(
      [n, ...dims],
      Array.from({ length: n * size }, (_, i) => Math.sin(i * 0.37) * 1.5 + 0.4),
    ),
    labels: Array.from({ length: n }, (_, i) => i % 10),
  };
}

for (const [file, dims] of [
  ['lenet5-qdq-int8.onnx', [1, 28, 28]],
  ['lenet5-qdq-uint8.onnx', [1, 28, 28]],
  ['lenet5-qdq-int4.onnx', [1, 28, 28]],
  ['qoperator.onnx', [1, 8, 8]],
] as const) {
  test(`${file}: fast mode gives naive mode's outcomes for faults in integers, scales and zero points`, async () => {
    const model = loadModel(join(FIXTURES, file));
    const mem = new StoredModel(model.graph, { faultScales: true });
    assert.ok(
      mem.tensors.some((t) => t.quantized),
      'the model has quantized weights',
    );
    const list = experiments(mem, 11);
    assert.ok(list.length > 40, `${list.length} experiments`);
    await compareModes(model, images(60, [...dims]), list, { faultScales: true });
  });
}
