/** Runs the same faults in fast and naive mode and asserts that the outcomes are identical. */
import assert from 'node:assert/strict';
import {
  Evaluator,
  type EvaluatorOptions,
  type ImageInput,
  type SampleInput,
} from '../../src/campaign/evaluator.js';
import type { Fault } from '../../src/fault/memory.js';
import type { Model } from '../../src/onnx/ir.js';
import { assertClose } from '../helpers/assert.js';

/**
 * Runs the faults in both modes and asserts identical outcomes. Predictions and every count are
 * compared exactly. Logits: fast mode reuses the golden logits its suffix session computed for
 * images a fault cannot reach, and ONNX Runtime may pick different kernels (or fusions) for a
 * suffix than for the whole graph, so finite logits agree to a few float32 ulps of the logit
 * scale (atol 1e-4 for logits below 30; rtol 1e-5, float32 sums of hundreds of terms in another order, for
 * exponent flips that push logits to 1e37), and non-finite ones must match exactly.
 */
export async function compareModes(
  model: Model,
  input: ImageInput | SampleInput,
  experiments: Fault[][],
  opts: EvaluatorOptions = {},
  /** Called with the fast evaluator once every experiment ran (to read its statistics). */
  afterFast?: (fast: Evaluator) => void,
): Promise<number> {
  const fast = await Evaluator.create(model, input, { ...opts, mode: 'fast', threads: 1 });
  const naive = await Evaluator.create(model, input, { ...opts, mode: 'naive', threads: 1 });
  let skippedImages = 0;
  try {
    for (const faults of experiments) {
      const a = await fast.evaluate(faults, true);
      const b = await naive.evaluate(faults, true);
      const what = JSON.stringify(faults).slice(0, 200);
      assert.deepEqual([...a.predictions], [...b.predictions], `predictions: ${what}`);
      for (const k of [
        'correct',
        'sdc',
        'criticalSdc',
        'nanImages',
        'infImages',
        'effect',
        'wordsChanged',
        'corrected',
        'detected',
      ] as const) {
        assert.equal(a[k], b[k], `${k}: ${what}`);
      }
      const finite = (x: Float32Array): Float32Array => x.map((v) => (Number.isFinite(v) ? v : 0));
      // Proven-safe dropping scores dropped images with their golden logits: only their top-1 is
      // the faulty run's (which is what it proves), so finite logits are not compared then.
      if (!opts.safeDrop)
        assertClose(finite(a.logits), finite(b.logits), { atol: 1e-4, rtol: 1e-5 }, `logits: ${what}`);
      assert.deepEqual(
        [...a.logits].map((v) => (Number.isFinite(v) ? 0 : String(v))),
        [...b.logits].map((v) => (Number.isFinite(v) ? 0 : String(v))),
        `non-finite logits: ${what}`,
      );
      skippedImages += a.images - a.imagesRun;
    }
    afterFast?.(fast);
  } finally {
    await fast.release();
    await naive.release();
  }
  return skippedImages;
}
