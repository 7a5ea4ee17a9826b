/** `prunefi eval`: top-1 accuracy and throughput of a model on a dataset split. */
import { batches } from '../../data/index.js';
import { checkModelFitsData, imageInput, logitsOutput } from '../../onnx/io.js';
import { classify, createSession } from '../../runtime/index.js';
import { type Command, opt } from '../command.js';
import { formatPercent } from '../format.js';
import {
  dataOptions,
  loadDataArg,
  loadModelArg,
  printJson,
  runtimeOptions,
  sessionOptions,
} from '../shared.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'top-1 accuracy and images/s of a model on a dataset split',
  options: {
    model: { type: 'string', placeholder: 'file|zoo:name', description: 'the model to evaluate' },
    ...dataOptions,
    batch: { type: 'int', min: 1, default: 256, description: 'images per inference call' },
    ...runtimeOptions,
    json: { type: 'boolean', description: 'print JSON' },
  },
  help: 'Example: prunefi eval --model ../shared/models/resnet18_cifar.onnx --data ../shared/datasets/cifar10-jpeg/test.tar.gz',
  async run(a, ctx) {
    const modelArg = opt.required<string>(a, 'model', 'eval');
    const model = loadModelArg(modelArg);
    const json = opt.bool(a, 'json');
    const split = opt.str(a, 'split');
    const set = await loadDataArg(a, ctx, 'eval', split, json);
    checkModelFitsData(model, set.shape, set.classes.length, modelArg, set.name);
    const session = await createSession(model, sessionOptions(a));
    const bar = ctx.progress('eval', json);
    const start = performance.now();
    try {
      const r = await classify(
        session,
        imageInput(model).name,
        logitsOutput(model).name,
        batches(set, { batchSize: opt.num(a, 'batch') ?? 256 }),
        set.count,
        { onBatch: (done) => bar.update({ unit: 'images', done, total: set.count }), signal: ctx.signal },
      );
      bar.done();
      const seconds = (performance.now() - start) / 1000;
      const result = {
        model: modelArg,
        data: set.name,
        split: set.split,
        images: r.count,
        correct: r.correct,
        accuracy: r.correct / r.count,
        imagesPerSecond: r.count / seconds,
        runtimeImagesPerSecond: r.count / r.runtimeSeconds,
        seconds,
      };
      if (json) printJson(ctx, result);
      else {
        ctx.stdout.write(
          `accuracy ${formatPercent(result.accuracy, 2)} (${r.correct}/${r.count}) on ${set.name}  ${result.imagesPerSecond.toFixed(0)} images/s (${result.runtimeImagesPerSecond.toFixed(0)} in the runtime)\n`,
        );
      }
      return 0;
    } finally {
      bar.done();
      await session.release();
    }
  },
};
