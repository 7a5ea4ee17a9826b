/**
 * Fault injection on a model whose Conv channel counts are not multiples of the NCHWc block
 * (ResNet18-CIFAR after L1 filter pruning at 30%: 45, 90, 179, 358 channels). ONNX Runtime's
 * layout pass crashed such sessions with SIGSEGV; the evaluator runs them without it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Evaluator, injectionOptimization } from '../../src/campaign/evaluator.js';
import { resolveModel } from '../../src/models/index.js';
import { loadModel } from '../../src/onnx/file.js';
import { tensor } from '../../src/onnx/tensor.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

test('injection into a ResNet18 with odd channel counts runs, and agrees with full inference', async () => {
  const file = join(tempDir(), 'r30.onnx');
  const r = await cli('prune', 'zoo:resnet18-cifar', '-m', 'l1-filter', '-s', '0.3', '-o', file);
  assert.equal(r.code, 0, r.stderr);
  const model = loadModel(file);
  assert.equal(injectionOptimization(model), 'extended');
  assert.equal(injectionOptimization(resolveModel('zoo:resnet18-cifar')), 'all');
  const n = 2;
  const x = tensor(
    'float32',
    [n, 3, 32, 32],
    Float32Array.from({ length: n * 3 * 32 * 32 }, (_, i) => Math.sin(i)),
  );
  const input = { x, labels: [0, 1] };
  const fast = await Evaluator.create(model, input, { threads: 1 });
  const naive = await Evaluator.create(model, input, { threads: 1, mode: 'naive' });
  try {
    // One fault in an early, a middle and the last layer: suffix sessions from three cut points.
    for (const layer of [fast.memory.layers[1]!, fast.memory.layers[10]!, fast.memory.layers.at(-1)!]) {
      const w = layer.tensors.find((t) => t.role === 'weight')!;
      const faults = [{ tensor: w.name, region: 'values' as const, index: 0, bit: 30, type: 'bit-flip' }];
      const a = await fast.evaluate(faults, true);
      const b = await naive.evaluate(faults, true);
      // Same predictions exactly; logits to float32 rounding (another summation order).
      assert.deepEqual(a.predictions, b.predictions, layer.name);
      for (let i = 0; i < a.logits.length; i++)
        assert.ok(
          Math.abs(a.logits[i]! - b.logits[i]!) <= 1e-3 * (1 + Math.abs(b.logits[i]!)),
          `${layer.name} logit ${i}`,
        );
    }
  } finally {
    await fast.release();
    await naive.release();
  }
});
