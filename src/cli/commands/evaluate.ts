/** `prunefi eval`: top-1 accuracy and throughput of a model on a dataset split. */
import { batches, type TensorSet, tensorBatches } from '../../data/index.js';
import type { Model } from '../../onnx/ir.js';
import type { Tensor } from '../../onnx/tensor.js';
import { measureAccuracy } from '../../runtime/index.js';
import { type CliContext, type Command, opt, type ParsedArgs } from '../command.js';
import { formatPercent } from '../format.js';
import {
  dataOptions,
  loadModelArg,
  loadModelData,
  loadTensorArg,
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
    const tensors = loadTensorArg(a, model, modelArg);
    if (tensors) return evalTensors(a, ctx, model, modelArg, tensors, json);
    const split = opt.str(a, 'split');
    const set = await loadModelData(a, ctx, 'eval', split, model, modelArg, { quiet: json });
    const bar = ctx.progress('eval', json);
    try {
      const r = await measureAccuracy(
        model,
        { images: batches(set, { batchSize: opt.num(a, 'batch') ?? 256 }), count: set.count },
        {
          session: sessionOptions(a),
          onBatch: (done) => bar.update({ unit: 'images', done, total: set.count }),
          signal: ctx.signal,
        },
      );
      bar.done();
      const result = {
        model: modelArg,
        data: set.name,
        split: set.split,
        images: r.count,
        correct: r.correct,
        accuracy: r.accuracy,
        imagesPerSecond: r.count / r.seconds,
        runtimeImagesPerSecond: r.count / r.runtimeSeconds,
        seconds: r.seconds,
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
    }
  },
};

/** `eval` on a tensor dataset: accuracy per sample and, for sequence outputs, per token. */
async function evalTensors(
  a: ParsedArgs,
  ctx: CliContext,
  model: Model,
  modelArg: string,
  tensors: { set: TensorSet; feeds: Map<string, Tensor> },
  json: boolean,
): Promise<number> {
  const { set } = tensors;
  const bar = ctx.progress('eval', json);
  try {
    const r = await measureAccuracy(
      model,
      {
        feeds: tensorBatches(set, {
          batchSize: opt.num(a, 'batch') ?? 256,
          feeds: [...tensors.feeds.keys()],
        }),
      },
      {
        session: sessionOptions(a),
        onBatch: (done) => bar.update({ unit: 'samples', done, total: set.count }),
        signal: ctx.signal,
      },
    );
    bar.done();
    const result = {
      model: modelArg,
      data: set.name,
      samples: r.count,
      correct: r.correct,
      accuracy: r.accuracy,
      tokens: r.tokens,
      tokenCorrect: r.tokenCorrect,
      tokenAccuracy: r.tokens ? r.tokenCorrect / r.tokens : 0,
      samplesPerSecond: r.count / r.seconds,
      seconds: r.seconds,
    };
    if (json) printJson(ctx, result);
    else {
      const perToken =
        r.tokens !== r.count
          ? `; per token ${formatPercent(result.tokenAccuracy, 2)} (${r.tokenCorrect}/${r.tokens})`
          : '';
      ctx.stdout.write(
        `accuracy ${formatPercent(result.accuracy, 2)} (${r.correct}/${r.count})${perToken} on ${set.name}  ${result.samplesPerSecond.toFixed(0)} samples/s\n`,
      );
    }
    return 0;
  } finally {
    bar.done();
  }
}
