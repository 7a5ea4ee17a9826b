/**
 * `prunefi quantize`: post-training static quantization to QDQ ONNX (int8 per-channel weights,
 * calibrated uint8/int8 activations), with the clean-accuracy cost against the float model.
 * Everything is computed before the file is written, and it appears atomically.
 */
import { saveModel } from '../../onnx/file.js';
import { accuracyCost, CALIBRATION_METHODS, quantizeModel } from '../../quantize/index.js';
import { type Command, opt, usageError } from '../command.js';
import { formatPercent } from '../format.js';
import {
  checkOutputPath,
  dataOptions,
  loadModelArg,
  loadModelData,
  printJson,
  runtimeOptions,
  sessionOptions,
} from '../shared.js';

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'post-training static quantization to QDQ ONNX (int8 per-channel weights, calibrated activations)',
  positionals: [{ name: 'model', description: 'the float model (file or zoo:name)', required: true }],
  options: {
    output: {
      type: 'string',
      short: 'o',
      placeholder: 'file',
      description: 'where to write the quantized model',
    },
    ...dataOptions,
    calibrate: {
      type: 'int',
      min: 1,
      default: 512,
      placeholder: 'N',
      description: 'training images to calibrate activations on',
    },
    calibration: {
      type: 'string',
      choices: CALIBRATION_METHODS.names(),
      default: 'minmax',
      description: 'how activation ranges are chosen (minmax, percentile, entropy)',
    },
    percentile: {
      type: 'number',
      min: 50,
      max: 100,
      default: 99.99,
      description: 'percentile of |x| for --calibration percentile',
    },
    activations: {
      type: 'string',
      choices: ['uint8', 'int8', 'none'],
      default: 'uint8',
      description: 'activation type (none: weight-only)',
    },
    weights: {
      type: 'string',
      choices: ['int8'],
      default: 'int8',
      description: 'weight type (int8, symmetric per output channel)',
    },
    ...runtimeOptions,
    json: { type: 'boolean', description: 'print JSON' },
  },
  help: 'Example: prunefi quantize ../shared/models/alexnet_cifar.onnx --data ../shared/datasets/cifar10-jpeg -o alexnet-int8.onnx --calibration percentile',
  async run(a, ctx) {
    // A required positional: the parser refuses the command without it.
    const modelArg = a.positionals[0] ?? '';
    const out = opt.str(a, 'output');
    if (!out) throw usageError('quantize', 'quantize needs -o <file> for the quantized model');
    checkOutputPath(out, '-o');
    if (!opt.str(a, 'data'))
      throw usageError(
        'quantize',
        'quantize needs --data: training images calibrate the activations and test images measure the cost',
      );
    const json = opt.bool(a, 'json');
    const model = loadModelArg(modelArg);
    const session = sessionOptions(a);
    const calibrate = opt.num(a, 'calibrate') ?? 512;
    const train = await loadModelData(
      { ...a, options: { ...a.options, limit: calibrate } },
      ctx,
      'quantize',
      'train',
      model,
      modelArg,
      { quiet: json },
    );
    const test = await loadModelData(a, ctx, 'quantize', opt.str(a, 'split') ?? 'test', model, modelArg, {
      quiet: json,
    });
    const bar = ctx.progress('calibrate', json);
    const activations = (opt.str(a, 'activations') ?? 'uint8') as 'uint8' | 'int8' | 'none';
    let r: Awaited<ReturnType<typeof quantizeModel>>;
    try {
      r = await quantizeModel(model, train, {
        activations,
        calibration: opt.str(a, 'calibration') ?? 'minmax',
        percentile: opt.num(a, 'percentile') ?? 99.99,
        session,
        signal: ctx.signal,
        onPass: (_pass, done) => bar.update({ unit: 'images', done, total: train.count }),
      });
    } finally {
      bar.done();
    }
    const cost = await accuracyCost(model, r.model, test, session);
    r.model.metadata.set('prunefi.quantize.accuracy', cost.quantizedAccuracy.toFixed(6));
    saveModel(r.model, out);
    const result = { output: out, layers: r.layers.length, activations: r.activations.size, ...cost };
    if (json) printJson(ctx, result);
    else {
      const d = cost.difference;
      ctx.stdout.write(
        `wrote ${out}: ${r.layers.length} int8 weight tensors, ${r.activations.size} ${activations} activations\n` +
          `clean accuracy on ${cost.images} ${test.split} images: float ${formatPercent(cost.floatAccuracy, 2)}, quantized ${formatPercent(cost.quantizedAccuracy, 2)}, ` +
          `difference ${(100 * d.estimate).toFixed(2)} points (95% CI ${(100 * d.lower).toFixed(2)} … ${(100 * d.upper).toFixed(2)})\n`,
      );
    }
    return 0;
  },
};
