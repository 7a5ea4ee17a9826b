/**
 * Proven-safe dropping on AlexNet-CIFAR (../shared/models), same run: single-bit flips of
 * uniformly drawn weights, `per` for each bit 0..31, each evaluated by a fast-mode evaluator
 * without dropping and by one with it (alternating, so load on the machine hits both alike).
 * Prints the time ratio, checks that every outcome is identical, and the dropped fractions per bit.
 *
 *   npm run build && node dist/bench/safe-drop.js [perClass=100] [per=10]
 */
import { Evaluator } from '../src/campaign/evaluator.js';
import { Rng } from '../src/core/rng.js';
import { FaultSpace, sampleFaults } from '../src/fault/fault-models.js';
import type { Fault } from '../src/fault/memory.js';
import { loadModel } from '../src/onnx/file.js';
import { cifarSubset, SHARED } from './fault-common.js';

const perClass = Number(process.argv[2] ?? 100);
const per = Number(process.argv[3] ?? 10);
const model = loadModel(`${SHARED}/models/alexnet_cifar.onnx`);
const input = await cifarSubset(perClass);
const off = await Evaluator.create(model, input, { threads: 2 });
const on = await Evaluator.create(model, input, { threads: 2, safeDrop: true });
const space = new FaultSpace(on.memory);
const rng = Rng.seeded('safe-drop-bench');
const experiments: Fault[][] = [];
for (let bit = 0; bit < 32; bit++)
  for (let i = 0; i < per; i++) {
    const [f] = sampleFaults(space, { model: 'exact-k', k: 1 }, rng.split(bit, i));
    experiments.push([{ ...f!, bit }]);
  }
// Warm-up: every suffix session is created before timing (setup is the same for both).
for (const faults of experiments.slice(0, 32)) {
  await off.evaluate(faults);
  await on.evaluate(faults);
}
let tOff = 0;
let tOn = 0;
let ranOff = 0;
let ranOn = 0;
for (const faults of experiments) {
  const a = performance.now();
  const x = await off.evaluate(faults);
  const b = performance.now();
  const y = await on.evaluate(faults);
  const c = performance.now();
  tOff += b - a;
  tOn += c - b;
  ranOff += x.imagesRun;
  ranOn += y.imagesRun;
  for (const k of ['sdc', 'criticalSdc', 'correct', 'nanImages', 'infImages'] as const)
    if (x[k] !== y[k]) throw new Error(`${k} differs on ${JSON.stringify(faults)}: ${x[k]} vs ${y[k]}`);
}
await off.release();
await on.release();
const n = experiments.length;
console.log(
  `AlexNet-CIFAR, ${input.labels.length} images, ${n} single-bit experiments (${per} per bit), outcomes identical`,
);
console.log(
  `fast: ${(tOff / n).toFixed(1)} ms/experiment (${ranOff} images run); with --safe-drop: ${(tOn / n).toFixed(1)} ms/experiment (${ranOn} images run); speed-up ${(tOff / tOn).toFixed(2)}×`,
);
console.log('| bit | images dropped | experiments dropped |');
console.log('|---|---|---|');
// The warm-up experiments count too: every evaluation is recorded.
for (const s of on.dropStats)
  console.log(
    `| ${s.bit} | ${((100 * s.imagesDropped) / s.images).toFixed(1)}% | ${((100 * s.experimentsDropped) / s.experiments).toFixed(1)}% |`,
  );
