/**
 * Two SGD steps (momentum 0.9, weight decay 5e-4, label smoothing 0.1) of a small CNN with
 * BatchNorm in training mode, against PyTorch 1.13 (fixture: test/fixtures/train/sgd_step.json,
 * made by make_sgd_fixture.py from small_cnn.onnx's PyTorch model). The second step exercises
 * the momentum buffer.
 *
 * Tolerances: both sides compute in float32 with different summation orders (PyTorch's mkldnn
 * convolutions vs ONNX Runtime's MLAS), so sums of n terms differ by a few ulps·√n relative to
 * the terms' magnitude. Loss: rtol 1e-5. Gradients: atol 2e-5·max|g| of the tensor (relative to
 * the tensor's scale, since single elements can be sums that nearly cancel) plus rtol 1e-4, with
 * an absolute floor of 1e-6: conv1.bias feeds a BatchNorm, so its exact gradient is 0 and both
 * sides return rounding noise of order 1e-8.
 * Weights and running statistics after the step: p − 0.1·(g + …) inherits the gradient error
 * scaled by lr, so atol 1e-6; the second step compounds both steps, so 3e-6 there.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../src/onnx/file.js';
import { f32 } from '../../src/onnx/tensor.js';
import { applyUpdate } from '../../src/train/loop.js';
import { Sgd } from '../../src/train/optim.js';
import { GradientSession } from '../../src/train/session.js';
import { assertClose } from '../helpers/assert.js';
import { REPO } from '../helpers/paths.js';

interface Step {
  x: number[];
  y: number[];
  loss: number;
  grads: Record<string, number[]>;
  after: Record<string, number[]>;
}

const DIR = join(REPO, 'test/fixtures/train');

test('two SGD steps of a CNN with BatchNorm match PyTorch (loss, gradients, weights, running stats)', async () => {
  const fx = JSON.parse(readFileSync(join(DIR, 'sgd_step.json'), 'utf8')) as {
    tool: string;
    lr: number;
    momentum: number;
    weight_decay: number;
    label_smoothing: number;
    shape: number[];
    steps: Step[];
  };
  assert.match(fx.tool, /^PyTorch 1\.13/);
  const session = await GradientSession.create(loadModel(join(DIR, 'small_cnn.onnx')), {
    objective: { kind: 'cross-entropy', labelSmoothing: fx.label_smoothing },
    threads: 1,
  });
  try {
    const sgd = new Sgd({ lr: fx.lr, momentum: fx.momentum, weightDecay: fx.weight_decay });
    for (const [k, s] of fx.steps.entries()) {
      assert.equal(Object.keys(s.grads).length, 9, `step ${k + 1} has every parameter`);
      const out = await session.run({ x: f32(fx.shape, s.x), labels: s.y });
      assertClose([out.loss], [s.loss], { rtol: 1e-5 }, `step ${k + 1} loss`);
      for (const [name, g] of Object.entries(s.grads)) {
        const scale = Math.max(...g.map(Math.abs));
        const atol = Math.max(2e-5 * scale, 1e-6);
        assertClose(out.grads.get(name)!, g, { atol, rtol: 1e-4 }, `step ${k + 1} grad ${name}`);
      }
      applyUpdate(session, sgd, out, { lr: fx.lr });
      for (const [name, v] of Object.entries(s.after)) {
        assertClose(
          session.weights.get(name),
          v,
          { atol: k === 0 ? 1e-6 : 3e-6 },
          `after step ${k + 1}: ${name}`,
        );
      }
    }
  } finally {
    await session.release();
  }
});
