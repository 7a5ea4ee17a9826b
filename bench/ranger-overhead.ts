/**
 * Ranger's inference-time overhead, same run: the model as a campaign computes it (BatchNorm
 * folded) and the same graph with Ranger's Clips, each as a plain inference session over the
 * same CIFAR-10 test images, in alternating rounds so load on the machine hits both alike.
 * Timing only, so the bounds are profiled on the timed images themselves (their values do not
 * change the work a Clip does). Prints ms/image of both and their ratio (median over rounds).
 *
 *   npm run build && node dist/bench/ranger-overhead.js [alexnet|resnet18] [perClass=50] [rounds=7]
 */
import { injectedGraph } from '../src/campaign/evaluator.js';
import { profileRangerBounds, withRanger } from '../src/campaign/ranger.js';
import { sampleRange } from '../src/campaign/samples.js';
import { loadModel } from '../src/onnx/file.js';
import type { Model } from '../src/onnx/ir.js';
import { createSession, type Session } from '../src/runtime/session.js';
import { cifarSubset, SHARED } from './fault-common.js';

const name = process.argv[2] ?? 'alexnet';
const perClass = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 7);
const BATCH = 100;
const model = injectedGraph(loadModel(`${SHARED}/models/${name}_cifar.onnx`));
const input = await cifarSubset(perClass);
const ranger = withRanger(model, await profileRangerBounds(model, input.x));
const n = input.labels.length;
const feeds = new Map([['input', input.x]]);

async function pass(s: Session, m: Model): Promise<number> {
  const out = m.graph.outputs[0]?.name ?? 'logits';
  const t = performance.now();
  for (let b = 0; b < n; b += BATCH) await s.run(sampleRange(feeds, b, Math.min(n, b + BATCH)), [out]);
  return (performance.now() - t) / n;
}

const plainSession = await createSession(model, { threads: 2 });
const rangerSession = await createSession(ranger, { threads: 2 });
await pass(plainSession, model);
await pass(rangerSession, ranger);
const plain: number[] = [];
const clipped: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const a = await pass(plainSession, model);
  const b = await pass(rangerSession, ranger);
  plain.push(a);
  clipped.push(b);
  ratios.push(b / a);
}
await plainSession.release();
await rangerSession.release();
const median = (xs: number[]): number =>
  [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
const clips = ranger.graph.nodes.filter((x) => x.name.endsWith('.ranger')).length;
console.log(
  `${name}-CIFAR, ${n} images, batch ${BATCH}, 2 threads, ${rounds} alternating rounds, ${clips} Clips`,
);
console.log(
  `unprotected ${median(plain).toFixed(3)} ms/image, ranger ${median(clipped).toFixed(3)} ms/image, ratio ${median(ratios).toFixed(2)} (median; range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
);
