/**
 * Fine-tuning graphs PyTorch exported (test/fixtures/torch/, made by make-fixtures.py with
 * torch.onnx.export): one SGD step on a fixed batch lowers the cross-entropy on that batch.
 * The loss is measured before and after the step in the same run and the same mode (training
 * BatchNorm, batch statistics), so the drop is the step's effect alone. The learning rate is
 * small enough for the first-order prediction lr·‖∇L‖² to hold: the measured drop must be
 * within 30% of it (the second-order term, lr²/2·gᵀHg, is what is left), which a gradient with
 * a wrong sign, scale or missing path through some op would break.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTensorSet } from '../../src/data/index.js';
import { loadModel } from '../../src/onnx/file.js';
import { f32 } from '../../src/onnx/tensor.js';
import { applyUpdate } from '../../src/train/loop.js';
import { Sgd } from '../../src/train/optim.js';
import { GradientSession } from '../../src/train/session.js';
import { REPO } from '../helpers/paths.js';
import { testRng } from './models.js';

const FIXTURES = join(REPO, 'test/fixtures/torch');

/** Loss before and after one SGD step on 8 random 3×32×32 images with fixed labels. */
async function oneStep(
  name: string,
  lr: number,
): Promise<{ before: number; after: number; predicted: number }> {
  const model = loadModel(join(FIXTURES, `${name}.onnx`));
  const rng = testRng(`torch-${name}`);
  const s = await GradientSession.create(model, { threads: 1 });
  try {
    const x = f32(
      [8, 3, 32, 32],
      Array.from({ length: 8 * 3 * 32 * 32 }, () => rng.normal()),
    );
    const labels = [0, 1, 2, 3, 4, 5, 6, 7];
    const first = await s.run({ x, labels });
    let squared = 0;
    for (const [w, g] of first.grads) {
      assert.ok(g.every(Number.isFinite), `gradient of ${w}`);
      for (const v of g) squared += v * v;
    }
    applyUpdate(s, new Sgd({ lr }), first, { lr });
    const second = await s.run({ x, labels });
    return { before: first.loss, after: second.loss, predicted: lr * squared };
  } finally {
    await s.release();
  }
}

for (const [name, ops] of [
  ['mobilenetv3', 'HardSwish, HardSigmoid'],
  ['efficientnet', 'SiLU as Sigmoid·Mul'],
  ['vit', 'int64 shape arithmetic, packed-qkv Slice, decomposed LayerNorm, Erf GELU, Softmax'],
] as const) {
  test(`${name}.onnx (${ops}): one SGD step lowers the loss`, async () => {
    const { before, after, predicted } = await oneStep(name, 0.05);
    assert.ok(Number.isFinite(before) && Number.isFinite(after), `losses ${before}, ${after}`);
    assert.ok(after < before, `loss ${before} → ${after}`);
    const ratio = (before - after) / predicted;
    assert.ok(ratio > 0.7 && ratio < 1.3, `drop ${before - after} vs first-order ${predicted}`);
    console.log(
      `${name}: loss ${before.toFixed(4)} → ${after.toFixed(4)}, first-order ${predicted.toFixed(4)}`,
    );
  });
}

test('bert.onnx (int64 ids and mask, embeddings, Where mask, fused LayerNorm): one SGD step lowers the loss', async () => {
  const set = loadTensorSet(join(REPO, 'test/fixtures/data/tokens/tokens.npz'));
  const model = loadModel(join(FIXTURES, 'bert.onnx'));
  const s = await GradientSession.create(model, {
    threads: 1,
    inputShapes: Object.fromEntries([...set.inputs].map(([n, t]) => [n, t.dims])),
  });
  try {
    const feeds = {
      input_ids: set.inputs.get('input_ids')!,
      attention_mask: set.inputs.get('attention_mask')!,
    };
    const labels = set.labels.data;
    const first = await s.run({ feeds, labels });
    let squared = 0;
    for (const [w, g] of first.grads) {
      assert.ok(g.every(Number.isFinite), `gradient of ${w}`);
      for (const v of g) squared += v * v;
    }
    assert.ok(first.grads.has('word_embeddings.weight'), 'the embedding table is trained');
    const lr = 0.05;
    applyUpdate(s, new Sgd({ lr }), first, { lr });
    const second = await s.run({ feeds, labels });
    const ratio = (first.loss - second.loss) / (lr * squared);
    assert.ok(
      second.loss < first.loss && ratio > 0.7 && ratio < 1.3,
      `loss ${first.loss} → ${second.loss}, first-order ${lr * squared}`,
    );
    console.log(
      `bert: loss ${first.loss.toFixed(4)} → ${second.loss.toFixed(4)}, first-order ${(lr * squared).toFixed(4)}`,
    );
  } finally {
    await s.release();
  }
});
