/**
 * `prunefi train`: trains or fine-tunes a model (file or zoo:name) on a dataset's training split,
 * evaluates on its test split after every epoch, writes a checkpoint every epoch (and on Ctrl-C)
 * and the trained inference model with the recipe in its metadata.
 */
import { existsSync } from 'node:fs';
import { PrunefiError } from '../../core/errors.js';
import { saveModel } from '../../onnx/file.js';
import { weightLayers } from '../../onnx/graph.js';
import type { Model } from '../../onnx/ir.js';
import { nonzeroMask, PRUNE_METHODS } from '../../prune/index.js';
import { PRUNE_META } from '../../prune/provenance.js';
import { trainableParameters } from '../../train/index.js';
import { type TrainOptions, train, trainProgressView } from '../../train/loop.js';
import { defaultRecipe, type TrainRecipe, tensorRecipe } from '../../train/recipe.js';
import type { TrainSet } from '../../train/samples.js';
import { type Command, opt } from '../command.js';
import { formatPercent } from '../format.js';
import { formatDuration } from '../progress.js';
import { recipeFromOptions, recipeOptions } from '../recipe-options.js';
import {
  checkOutputPath,
  dataOptions,
  loadModelArg,
  loadModelData,
  loadTensorArg,
  printJson,
  trainLimitOption,
} from '../shared.js';

/**
 * The zero patterns to hold while training a model that `prunefi prune` sparsified (an
 * unstructured or N:M method, by its provenance): without them one epoch of updates refills
 * every pruned weight, and the model is silently dense again while its metadata still says
 * "magnitude 50%". Structured methods removed their channels, so nothing is left to hold.
 */
function prunedMasks(model: Model): Map<string, Uint8Array> | undefined {
  const method = model.metadata.get(`${PRUNE_META}method`);
  if (!method || !PRUNE_METHODS.has(method)) return undefined;
  const granularity = PRUNE_METHODS.get(method).granularity;
  if (granularity !== 'unstructured' && granularity !== 'n:m') return undefined;
  const trainable = new Set(trainableParameters(model.graph));
  const masks = new Map<string, Uint8Array>();
  for (const l of weightLayers(model.graph)) {
    if (!trainable.has(l.weight) || masks.has(l.weight)) continue;
    const m = nonzeroMask(model.graph, l.weight);
    if (m.includes(0)) masks.set(l.weight, m);
  }
  return masks.size > 0 ? masks : undefined;
}

/** The `train` command. */
export const trainCommand: Command = {
  name: 'train',
  summary: 'train or fine-tune a model on a dataset (checkpoints every epoch, --resume continues exactly)',
  options: {
    model: { type: 'string', placeholder: 'file|zoo:name', description: 'the model to train' },
    ...dataOptions,
    ...trainLimitOption,
    'test-data': {
      type: 'string',
      placeholder: 'file.npz|dir',
      description:
        'with a tensor --data: the tensor set to evaluate after every epoch (tensor sets have no splits)',
    },
    output: {
      type: 'string',
      short: 'o',
      placeholder: 'file.onnx',
      description: 'where to write the trained model',
    },
    epochs: { type: 'int', min: 1, default: 10, description: 'epochs to train' },
    ...recipeOptions('training', 'batch'),
    augment: {
      type: 'string',
      choices: ['auto', 'on', 'off'],
      default: 'auto',
      description: 'random crop (padding 4) + horizontal flip; auto: on for colour images, off for grey ones',
    },
    seed: {
      type: 'int',
      min: 0,
      default: 0,
      description: 'seed of initialization order, shuffling, augmentation',
    },
    threads: { type: 'int', min: 1, placeholder: 'N', description: 'ONNX Runtime intra-op threads' },
    checkpoint: {
      type: 'string',
      placeholder: 'file',
      description: 'checkpoint written every epoch and on Ctrl-C (default: <output>.ckpt)',
    },
    'checkpoint-every': {
      type: 'number',
      min: 0.1,
      placeholder: 'minutes',
      description: 'also write the checkpoint within an epoch this often (a killed run loses at most that)',
    },
    resume: { type: 'string', placeholder: 'file', description: 'continue a run from its checkpoint' },
    'hold-pruned': {
      type: 'boolean',
      description:
        "keep the zero weights of a model pruned by 'prunefi prune' (unstructured, N:M) at zero (default; --no-hold-pruned trains them)",
    },
    json: { type: 'boolean', description: 'print the run summary as JSON' },
  },
  help: [
    'Examples:',
    '  prunefi train --model zoo:lenet5 --data mnist --epochs 3 -o lenet5.onnx',
    '  prunefi train --model zoo:alexnet-cifar --data ../shared/datasets/cifar10-jpeg --epochs 40 --lr 0.05 -o alexnet.onnx',
    '  prunefi train --model model.onnx --data cifar10 --epochs 1 --lr 0.001 --schedule constant -o tuned.onnx',
    'Default recipe when not given: grey ≤32×32 images (MNIST-like): adamw, lr 2e-3, batch 16, no augmentation;',
    'colour images: sgd momentum 0.9, lr 0.05, batch 128, crop+flip; both one-cycle with weight decay 5e-4.',
    'Fine-tuning a trained model: pass --augment off (BatchNorm statistics re-estimated on zero-padded crops',
    'cost the shared ResNet18 about 2 points).',
    'Ctrl-C stops at the next step and saves the checkpoint; rerun the same command with --resume <checkpoint>',
    'to continue: the result is bit-identical to an uninterrupted run.',
  ].join('\n'),
  async run(a, ctx) {
    const modelArg = opt.required<string>(a, 'model', 'train');
    const output = opt.required<string>(a, 'output', 'train');
    const json = opt.bool(a, 'json');
    // Before hours of training, not when saving after them.
    checkOutputPath(output, '--output');
    const checkpointArg = opt.str(a, 'checkpoint');
    if (checkpointArg) checkOutputPath(checkpointArg, '--checkpoint');
    const model = loadModelArg(modelArg);
    const tensors = loadTensorArg(a, model, modelArg);
    let trainSet: TrainSet;
    let testSet: TrainSet | undefined;
    let preset: Omit<TrainRecipe, 'epochs' | 'seed'>;
    if (tensors) {
      // A tensor set has no splits: --test-data names the evaluation set.
      trainSet = tensors.set;
      const test = opt.str(a, 'test-data');
      testSet = test
        ? loadTensorArg({ ...a, options: { ...a.options, data: test } }, model, modelArg)!.set
        : undefined;
      preset = tensorRecipe();
    } else {
      const images = await loadModelData(a, ctx, 'train', 'train', model, modelArg, {
        quiet: json,
        limitOption: 'train-limit',
      });
      testSet = await loadModelData(a, ctx, 'train', opt.str(a, 'split') ?? 'test', model, modelArg, {
        quiet: json,
      });
      trainSet = images;
      preset = defaultRecipe(images);
    }
    const augmentArg = opt.str(a, 'augment') ?? 'auto';
    const augment =
      augmentArg === 'on' ? { padding: 4, flip: true } : augmentArg === 'auto' ? preset.augment : undefined;
    const checkpoint = checkpointArg ?? `${output}.ckpt`;
    const resume = opt.str(a, 'resume');
    const every = opt.num(a, 'checkpoint-every');
    const threads = opt.num(a, 'threads');
    const masks = a.options['hold-pruned'] === false ? undefined : prunedMasks(model);
    if (masks && !json) {
      let held = 0;
      for (const m of masks.values()) for (const v of m) held += v === 0 ? 1 : 0;
      ctx.stderr.write(
        `holding the ${held} pruned weights of ${masks.size} layers at zero (${model.metadata.get(`${PRUNE_META}method`)}); --no-hold-pruned trains them\n`,
      );
    }
    const bar = ctx.progress('train', json);
    const options: TrainOptions = {
      train: trainSet,
      ...(testSet ? { test: testSet } : {}),
      epochs: opt.num(a, 'epochs') ?? 10,
      ...recipeFromOptions(a, 'batch', preset),
      seed: opt.num(a, 'seed') ?? 0,
      ...(augment ? { augment } : {}),
      checkpoint,
      ...(every !== undefined ? { checkpointEvery: every * 60 } : {}),
      ...(resume ? { resume } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(masks ? { masks } : {}),
      signal: ctx.signal,
      onProgress: (p) => {
        const view = trainProgressView(p);
        bar.update({ ...view, figures: { ...view.figures, 'img/s': Math.round(p.imagesPerSecond) } });
      },
    };
    const start = performance.now();
    let result: Awaited<ReturnType<typeof train>>;
    try {
      result = await train(model, options);
    } catch (err) {
      // A checkpoint or model that could not be written (a full disk): say how to continue.
      if (err instanceof PrunefiError && err.code === 'IO' && existsSync(checkpoint))
        throw new PrunefiError(
          'IO',
          `${err.message}; the last checkpoint, ${checkpoint}, is intact: continue with the same command plus --resume ${checkpoint}`,
          { cause: err },
        );
      throw err;
    } finally {
      bar.done();
    }
    const seconds = (performance.now() - start) / 1000;
    if (result.interrupted) {
      ctx.stderr.write(
        `interrupted after ${result.globalStep} steps; checkpoint saved to ${checkpoint}. Continue with the same command plus --resume ${checkpoint}\n`,
      );
      return 130;
    }
    saveModel(result.model, output);
    const last = result.history[result.history.length - 1];
    const summary = {
      model: modelArg,
      output,
      data: trainSet.name,
      epochs: result.history.length,
      testAccuracy: last?.testAccuracy,
      trainAccuracy: last?.trainAccuracy,
      seconds,
      checkpoint: existsSync(checkpoint) ? checkpoint : undefined,
      history: result.history,
    };
    if (json) printJson(ctx, summary);
    else {
      for (const h of result.history) {
        ctx.stdout.write(
          `epoch ${h.epoch}: train loss ${h.trainLoss.toFixed(4)} acc ${formatPercent(h.trainAccuracy, 2)}` +
            `${h.testAccuracy !== undefined ? `, test acc ${formatPercent(h.testAccuracy, 2)}` : ''} (${formatDuration(h.seconds)}, ${h.imagesPerSecond.toFixed(0)} img/s)\n`,
        );
      }
      ctx.stdout.write(`wrote ${output} (${formatDuration(seconds)} total)\n`);
    }
    return 0;
  },
};
