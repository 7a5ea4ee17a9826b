/**
 * Structured transformer pruning with removal (attention heads, MLP hidden units) on graphs exported by PyTorch: torchvision's ViT (packed
 * qkv projection sliced by shape arithmetic, sequence-first [L, B·H, d] reshapes, embed_dim read
 * from a Shape) and a BERT-style encoder (separate q, k, v; [B, L, H, d] reshapes with literal
 * head counts). The removed model computes what the masked one does, with exactly the head's
 * parameters fewer.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { loadTensorSet } from '../../src/data/index.js';
import type { Model } from '../../src/onnx/ir.js';
import { summarizeModel } from '../../src/onnx/summary.js';
import { type Tensor, tensor } from '../../src/onnx/tensor.js';
import { findAttention } from '../../src/prune/attention.js';
import { pruneModel } from '../../src/prune/prune.js';
import { createSession } from '../../src/runtime/session.js';
import { tinyResnet } from '../fault/tiny.js';
import { assertClose, assertRejectsPrunefi } from '../helpers/assert.js';
import { REPO } from '../helpers/paths.js';
import { torchFixture } from '../helpers/torch-fixtures.js';

async function logits(model: Model, feeds: Record<string, Tensor>): Promise<Float32Array> {
  const s = await createSession(model, { threads: 1 });
  try {
    const out = await s.run(feeds);
    return out[model.graph.outputs[0]!.name]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

function images(n: number): Record<string, Tensor> {
  const rng = Rng.seeded('heads-images');
  const x = Float32Array.from({ length: n * 3 * 32 * 32 }, () => rng.normal());
  return { input: tensor('float32', [n, 3, 32, 32], x) };
}

const tokens = () => {
  const set = loadTensorSet(join(REPO, 'test/fixtures/data/tokens/tokens.npz'));
  return Object.fromEntries(set.inputs);
};

for (const [name, feeds, perHead] of [
  // Per head: q, k, v columns (3·64·16) and biases (3·16), output-projection rows (16·64).
  ['vit', images(3), 3 * 64 * 16 + 3 * 16 + 16 * 64],
  ['bert', tokens(), 3 * 64 * 16 + 3 * 16 + 16 * 64],
] as const) {
  test(`${name}.onnx: removing heads gives the masked model's logits with ${perHead} parameters fewer per head`, async () => {
    const model = torchFixture(name);
    const blocks = findAttention(model.graph).blocks;
    assert.ok(blocks.length >= 2 && blocks.every((b) => b.heads === 4 && b.headDim === 16));
    const masked = await pruneModel(model, 'heads', { sparsity: 0.5, remove: false });
    const removed = await pruneModel(model, 'heads', { sparsity: 0.5 });
    assert.equal(removed.removed, true);
    const before = summarizeModel(model.graph).params;
    const after = summarizeModel(removed.model.graph).params;
    assert.equal(before - after, blocks.length * 2 * perHead, 'two of four heads per block');
    assert.equal(findAttention(removed.model.graph).blocks[0]!.heads, 2);
    // The removed model drops zero terms only; summation order may differ: float32 rounding of
    // logits below 10 in magnitude.
    assertClose(
      await logits(removed.model, feeds),
      await logits(masked.model, feeds),
      { atol: 1e-5, rtol: 1e-5 },
      'logits',
    );
    // And the masked heads do change the function (the test can fail).
    const full = await logits(model, feeds);
    const pruned = await logits(masked.model, feeds);
    assert.ok(
      full.some((v, i) => Math.abs(v - pruned[i]!) > 1e-3),
      'pruning half the heads left every logit unchanged',
    );
  });
}

for (const [name, feeds, removedParams] of [
  // Half of 6 MLPs' 128 units, each with its fc1 column and bias and its fc2 row: 6·64·129.
  ['vit', images(3), 6 * 64 * 129],
  // Half of 2 MLPs' 256 units (2·128·129), and half of the pooler's 64 (32·(64 + 1 + 4)).
  ['bert', tokens(), 2 * 128 * 129 + 32 * 69],
] as const) {
  test(`${name}.onnx: removing MLP units gives the masked model's logits, ${removedParams} parameters fewer`, async () => {
    const model = torchFixture(name);
    const masked = await pruneModel(model, 'mlp-units', { sparsity: 0.5, remove: false });
    const removed = await pruneModel(model, 'mlp-units', { sparsity: 0.5 });
    assert.equal(
      summarizeModel(model.graph).params - summarizeModel(removed.model.graph).params,
      removedParams,
    );
    assertClose(
      await logits(removed.model, feeds),
      await logits(masked.model, feeds),
      { atol: 1e-5, rtol: 1e-5 },
      'logits',
    );
  });
}

test('heads on a model without attention is one PRUNE line', async () => {
  await assertRejectsPrunefi(
    () => pruneModel(tinyResnet(), 'heads', { sparsity: 0.5 }),
    'PRUNE',
    /no attention block whose heads can be pruned/,
  );
});
