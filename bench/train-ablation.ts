/**
 * Engine choices of the training graph, measured against each other in one process with
 * interleaved repetitions (so machine load hits every variant alike): ONNX Runtime graph
 * optimization level, memory-pattern planning, the Conv weight-gradient strategy, lowering of
 * small-map Convs to GEMMs, and what
 * feeding the weights as inputs costs (an eval-mode forward pass with weights as graph inputs
 * against the plain model with weights as initializers, which ORT can pre-pack).
 * Reproduce from the repository root:
 *   npx tsc -p . && node dist/bench/train-ablation.js [--model resnet18|alexnet] [--reps 3]
 * Prints one JSON line per variant: minimum and median ms per image.
 */
import { parseArgs } from 'node:util';
import type { Tensor } from '../src/onnx/tensor.js';
import { createSession } from '../src/runtime/session.js';
import { GradientSession, type GradientSessionOptions } from '../src/train/session.js';
import { trainBench } from './train-common.js';

const { values } = parseArgs({
  options: { model: { type: 'string', default: 'alexnet' }, reps: { type: 'string', default: '3' } },
});
const model = values.model!;
const { model: m, batch, x, labels } = trainBench(model, 'ablation');

type Runner = () => Promise<unknown>;
const variants: Record<string, Runner> = {};
async function training(name: string, o: GradientSessionOptions): Promise<void> {
  const s = await GradientSession.create(m, { threads: 2, ...o });
  variants[name] = () => s.run({ x, labels });
}
await training('train step, opt all (default)', {});
await training('train step, opt extended', { optimization: 'extended' });
await training('train step, opt basic', { optimization: 'basic' });
await training('train step, memory pattern off', { memoryPattern: false });
await training('train step, dW always as Conv over transposed tensors', { convWeightGrad: 'conv' });
await training('train step, dW always by im2col', { convWeightGrad: 'im2col' });
await training('train step, small-map Convs not lowered to GEMMs', { lowerConv: false });
const evalInputs = await GradientSession.create(m, {
  threads: 2,
  wrt: [],
  batchNorm: 'eval',
  dropout: false,
});
variants['eval forward, weights as inputs'] = () => evalInputs.run({ x, labels });
const plain = await createSession(m, { threads: 2 });
const feeds: Record<string, Tensor> = { [m.graph.inputs[0]!.name]: x };
variants['eval forward, weights as initializers'] = () => plain.run(feeds);

const times = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
for (const run of Object.values(variants)) await run();
for (let r = 0; r < Number(values.reps); r++) {
  for (const [k, run] of Object.entries(variants)) {
    const t = performance.now();
    await run();
    times.get(k)!.push(performance.now() - t);
  }
}
for (const [k, ts] of times) {
  ts.sort((a, b) => a - b);
  const min = ts[0]! / batch;
  const median = ts[Math.floor(ts.length / 2)]! / batch;
  console.log(
    JSON.stringify({
      model,
      variant: k,
      min_ms_per_img: +min.toFixed(3),
      median_ms_per_img: +median.toFixed(3),
    }),
  );
}
