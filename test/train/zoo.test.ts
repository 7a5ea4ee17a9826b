/**
 * Every zoo architecture builds a training graph that ONNX Runtime runs: one SGD step on two
 * random images gives a finite loss, a gradient for every parameter and finite updated weights.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildZooModel, ZOO } from '../../src/models/zoo.js';
import { f32 } from '../../src/onnx/tensor.js';
import { applyUpdate } from '../../src/train/loop.js';
import { Sgd } from '../../src/train/optim.js';
import { GradientSession } from '../../src/train/session.js';
import { testRng } from './models.js';

for (const entry of ZOO.list()) {
  test(`zoo:${entry.name} trains one step`, async () => {
    const model = buildZooModel(entry.name);
    const input = model.graph.inputs[0]!;
    const dims = [2, ...(input.shape ?? []).slice(1).map(Number)];
    const rng = testRng(entry.name);
    const s = await GradientSession.create(model, { threads: 1 });
    try {
      const x = f32(
        dims,
        Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      );
      const out = await s.run({ x, labels: [1, 3] });
      assert.ok(Number.isFinite(out.loss), `loss ${out.loss}`);
      assert.equal(out.grads.size, s.graph.wrt.length);
      for (const [name, g] of out.grads) assert.ok(g.every(Number.isFinite), `gradient of ${name}`);
      applyUpdate(s, new Sgd({ lr: 0.01, momentum: 0.9 }), out, { lr: 0.01 });
      for (const name of s.graph.wrt) assert.ok(s.weights.get(name).every(Number.isFinite), name);
    } finally {
      await s.release();
    }
  });
}
