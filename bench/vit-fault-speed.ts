/**
 * Fault-injection speed on a ViT: fast mode against naive mode (full inference per
 * experiment), on the same single-bit float32 flips drawn uniformly over the fault memory, in
 * one process on the same machine, with outcomes compared experiment by experiment. Reproduce:
 *   npx tsc -p . && node dist/bench/vit-fault-speed.js [--model zoo:vit-cifar|file.onnx]
 *     [--images 100] [--experiments 300] [--threads 2]
 * Prints both modes' setup and steady seconds per experiment, and the ratio naive / fast. The
 * default is prunefi's own ViT (random weights unless trained): torchvision's exported ViT has a
 * zero classifier, whose logits never change, so outcomes would agree without meaning anything.
 */
import { parseArgs } from 'node:util';
import { Evaluator, type EvaluatorOptions } from '../src/campaign/evaluator.js';
import type { Outcome } from '../src/campaign/outcome.js';
import { Rng } from '../src/core/rng.js';
import { type Fault, FaultSpace, sampleFaults } from '../src/fault/index.js';
import { resolveModel } from '../src/models/index.js';
import { cifarSubset } from './fault-common.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'zoo:vit-cifar' },
    images: { type: 'string', default: '100' },
    experiments: { type: 'string', default: '300' },
    threads: { type: 'string', default: '2' },
  },
});

const model = resolveModel(values.model!);
const input = await cifarSubset(Number(values.images) / 10);

async function measure(mode: 'fast' | 'naive', faults: readonly Fault[][]) {
  const options: EvaluatorOptions = { mode, threads: Number(values.threads) };
  const t0 = performance.now();
  const ev = await Evaluator.create(model, input, options);
  const outcomes: Outcome[] = [];
  for (const f of faults) outcomes.push(await ev.evaluate(f));
  const t1 = performance.now();
  for (const f of faults) await ev.evaluate(f);
  const t2 = performance.now();
  const r = {
    mode,
    setupSeconds: ev.setupSeconds,
    firstPassSecondsPerExperiment: (t1 - t0) / 1000 / faults.length,
    steadySecondsPerExperiment: (t2 - t1) / 1000 / faults.length,
    imagesRunFraction: outcomes.reduce((s, o) => s + o.imagesRun / o.images, 0) / outcomes.length,
    sessions: ev.sessions,
    cacheMiB: Math.round(ev.cacheBytes / 2 ** 20),
    inferenceSeconds: ev.timings.inference,
    analysisSeconds: ev.timings.analysis,
  };
  await ev.release();
  console.log(JSON.stringify(r));
  return { r, outcomes };
}

// The faults: one bit flip each, uniform over every stored bit of the model (the campaign's
// single-bit distribution without stratification), from a fixed seed.
const probe = await Evaluator.create(model, input, { mode: 'naive', threads: 1 });
const space = new FaultSpace(probe.memory);
const root = Rng.seeded('vit-fault-speed');
const faults = Array.from({ length: Number(values.experiments) }, (_, i) =>
  sampleFaults(space, { model: 'exact-k', k: 1 }, root.split('experiment', i)),
);
await probe.release();
const fast = await measure('fast', faults);
const naive = await measure('naive', faults);
const same = fast.outcomes.filter(
  (o, i) =>
    o.sdc === naive.outcomes[i]!.sdc &&
    o.correct === naive.outcomes[i]!.correct &&
    o.nanImages === naive.outcomes[i]!.nanImages &&
    o.infImages === naive.outcomes[i]!.infImages,
).length;
console.log(
  JSON.stringify({
    model: values.model,
    images: input.labels.length,
    experiments: faults.length,
    identicalOutcomes: same,
    steadySpeedup: naive.r.steadySecondsPerExperiment / fast.r.steadySecondsPerExperiment,
    firstPassSpeedup: naive.r.firstPassSecondsPerExperiment / fast.r.firstPassSecondsPerExperiment,
  }),
);
if (same !== faults.length) process.exitCode = 1;
