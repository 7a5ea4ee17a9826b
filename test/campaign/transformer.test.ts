/**
 * Fault injection on graphs prunefi did not build: torchvision's ViT (sequence-first attention,
 * shape arithmetic on int64 scalars, class token, position embedding, decomposed LayerNorm) and
 * a BERT-style encoder (embeddings, fused LayerNorm). The fault memory holds every parameter
 * `prunefi info` counts, and fast mode's suffixes keep every value's type and agree with full
 * inference outcome by outcome.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Evaluator, storedModelOf } from '../../src/campaign/evaluator.js';
import { Rng } from '../../src/core/rng.js';
import { FaultSpace, sampleFaults } from '../../src/fault/fault-models.js';
import { faultLayers } from '../../src/fault/layers.js';
import type { Fault } from '../../src/fault/memory.js';
import { loadModel } from '../../src/onnx/file.js';
import { summarizeModel } from '../../src/onnx/summary.js';
import { tensor } from '../../src/onnx/tensor.js';
import { REPO } from '../helpers/paths.js';
import { compareModes } from './compare-modes.js';

const TORCH = join(REPO, 'test/fixtures/torch');

test('the fault memory of torch-exported transformers holds exactly the parameters info counts', () => {
  for (const [name, params] of [
    ['vit', 208_970],
    ['bert', 172_740],
  ] as const) {
    const model = loadModel(join(TORCH, `${name}.onnx`));
    const { memory } = storedModelOf(model);
    const stored = memory.tensors.reduce((s, t) => s + t.golden.length, 0);
    assert.equal(stored, params, `${name}: stored parameters`);
    assert.equal(summarizeModel(model.graph).params, params, `${name}: info's count`);
  }
});

test('ViT layers group weights with their biases and name them as PyTorch modules', () => {
  const { model } = storedModelOf(loadModel(join(TORCH, 'vit.onnx')));
  const layers = new Map(faultLayers(model.graph).map((l) => [l.name, l]));
  const block = 'encoder.layers.encoder_layer_0';
  // MatMul on an exporter-named weight plus the Add of in_proj_bias: one Linear, [in, out].
  const inProj = layers.get(`${block}.self_attention.in_proj`)!;
  assert.deepEqual(
    inProj.tensors.map((t) => [t.role, t.outAxis]),
    [
      ['weight', 1],
      ['bias', 0],
    ],
  );
  assert.match(inProj.tensors[0]!.name, /^onnx::MatMul_/);
  assert.equal(inProj.computeIndex, inProj.nodeIndex);
  // Decomposed LayerNorm: the Mul by .weight and the Add of .bias are one module.
  assert.deepEqual(
    layers.get(`${block}.ln_1`)!.tensors.map((t) => t.name),
    [`${block}.ln_1.weight`, `${block}.ln_1.bias`],
  );
  for (const n of ['class_token', 'encoder.pos_embedding', 'conv_proj', 'heads.head', `${block}.mlp.0`])
    assert.ok(layers.has(n), `layer ${n}`);
  const bert = faultLayers(storedModelOf(loadModel(join(TORCH, 'bert.onnx'))).model.graph);
  const words = bert.find((l) => l.name === 'word_embeddings')!;
  assert.deepEqual(
    words.tensors.map((t) => t.role),
    ['weight'],
  );
  assert.equal(words.computeIndex, undefined, 'a Gather has no delta geometry');
});

/** Deterministic pseudo-images (CIFAR-sized, roughly normalized). */
function images(n: number) {
  const rng = Rng.seeded('transformer-images');
  const x = new Float32Array(n * 3 * 32 * 32);
  for (let i = 0; i < x.length; i++) x[i] = rng.float() * 4 - 2;
  return { x: tensor('float32', [n, 3, 32, 32], x), labels: Array.from({ length: n }, (_, i) => i % 10) };
}

test('ViT: fast and naive modes agree outcome by outcome (single bits in every kind of layer, BER)', async () => {
  const model = loadModel(join(TORCH, 'vit.onnx'));
  const input = images(12);
  const probe = await Evaluator.create(model, input, { mode: 'naive', threads: 1 });
  const space = new FaultSpace(probe.memory);
  const exps: Fault[][] = [];
  const root = Rng.seeded('vit-modes');
  for (let i = 0; i < 24; i++) exps.push(sampleFaults(space, { model: 'exact-k', k: 1 }, root.split('e', i)));
  // One exponent flip in each kind of layer, so every cut (class token, position embedding,
  // LayerNorm, in_proj, out_proj, MLP, head) runs at least once, with a large change.
  for (const l of probe.memory.layers.filter(
    (l) => !l.name.includes('encoder_layer_') || l.name.includes('_1.'),
  )) {
    for (const t of l.tensors)
      exps.push([{ tensor: t.name, region: 'values', index: 0, bit: 30, type: 'bit-flip' }]);
  }
  for (let i = 0; i < 3; i++)
    exps.push(sampleFaults(space, { model: 'ber', ber: 2e-6 }, root.split('ber', i)));
  await probe.release();
  await compareModes(model, input, exps);
});
