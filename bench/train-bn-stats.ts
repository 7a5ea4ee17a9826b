/**
 * How re-estimated BatchNorm running statistics change the shared ResNet18's test accuracy:
 * the weights stay as trained; only the running statistics are updated (PyTorch's momentum 0.1,
 * unbiased variance) from `steps` training batches in train mode, with or without crop+flip.
 * Reproduce from the repository root:
 *   npx tsc -p . && node dist/bench/train-bn-stats.js [--augment] [--steps 40]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.js';
import { batches, loadDataset } from '../src/data/index.js';
import { loadModel } from '../src/onnx/file.js';
import { evaluate } from '../src/train/loop.js';
import { GradientSession } from '../src/train/session.js';

const { values } = parseArgs({
  options: { augment: { type: 'boolean', default: false }, steps: { type: 'string', default: '40' } },
});
const shared = resolve('..', 'shared');
const model = loadModel(join(shared, 'models/resnet18_cifar.onnx'));
const data = join(shared, 'datasets/cifar10-jpeg');
const train = await loadDataset(data, { split: 'train' });
const test = await loadDataset(data, { split: 'test' });
const session = await GradientSession.create(model, { wrt: [], threads: 2 });
const rng = Rng.seeded(1);
const augment = values.augment ? { augment: { rng: rng.split('augment'), padding: 4, flip: true } } : {};
let done = 0;
for (const b of batches(train, { batchSize: 128, shuffle: rng.split('data'), ...augment })) {
  const out = await session.run({ x: b.x, labels: b.y });
  for (const s of session.graph.bnStats) {
    const st = out.batchStats.get(s.node)!;
    const rm = session.weights.get(s.runningMean);
    const rv = session.weights.get(s.runningVar);
    const unbias = st.count / (st.count - 1);
    for (let c = 0; c < rm.length; c++) {
      rm[c] = (1 - s.momentum) * st.mean[c]! + s.momentum * rm[c]!;
      rv[c] = (1 - s.momentum) * st.variance[c]! * unbias + s.momentum * rv[c]!;
    }
  }
  if (++done >= Number(values.steps)) break;
}
const before = await evaluate(model, test, { threads: 2 });
const after = await evaluate(model, test, { weights: session.weights, threads: 2 });
await session.release();
console.log(
  JSON.stringify({
    augment: values.augment,
    batches: done,
    accuracy_trained_statistics: before.accuracy,
    accuracy_reestimated_statistics: after.accuracy,
  }),
);
