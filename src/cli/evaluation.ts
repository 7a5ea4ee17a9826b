/**
 * The evaluation data of commands that report accuracy along with other work (`prune`,
 * `sensitivity`): their options, the set they name, and the accuracy on it, measured by the
 * runtime's `measureAccuracy` as `prunefi eval` measures it.
 */
import { batches } from '../data/batch.js';
import { tensorBatches } from '../data/tensorset.js';
import type { Model } from '../onnx/ir.js';
import { type AccuracySamples, measureAccuracy } from '../runtime/accuracy.js';
import type { TrainSet } from '../train/samples.js';
import { type CliContext, type OptionSpec, opt, type ParsedArgs } from './command.js';
import { dataOptions, loadModelData, loadTensorArg, runtimeOptions, sessionOptions } from './shared.js';

/** Options shared by `prune` and `sensitivity`: evaluation data and runtime. */
export const EVAL_OPTIONS: Record<string, OptionSpec> = {
  ...dataOptions,
  batch: { type: 'int', min: 1, default: 256, description: 'images per inference call' },
  ...runtimeOptions,
};

/**
 * Loads the test split named by --data (and --limit), or the tensor set it names (checked
 * against the model's inputs), or undefined without --data.
 */
export async function evalSet(
  args: ParsedArgs,
  ctx: CliContext,
  cmd: string,
  model: Model,
  modelArg: string,
): Promise<TrainSet | undefined> {
  if (!opt.str(args, 'data')) return undefined;
  const tensors = loadTensorArg(args, model, modelArg);
  if (tensors) return tensors.set;
  return loadModelData(args, ctx, cmd, opt.str(args, 'split') ?? 'test', model, modelArg);
}

/**
 * The accuracy of a model on `set` under the evaluation options (--batch, --threads, --device),
 * interrupted by the command's signal: what `prune` and `sensitivity` report.
 */
export function evalAccuracy(
  args: ParsedArgs,
  ctx: CliContext,
  set: TrainSet,
): (model: Model) => Promise<number> {
  const batchSize = opt.num(args, 'batch') ?? 256;
  const options = { session: sessionOptions(args), signal: ctx.signal };
  return async (model) => {
    // Batches are generators, read once: each measurement makes its own.
    const samples: AccuracySamples =
      'inputs' in set
        ? { feeds: tensorBatches(set, { batchSize }) }
        : { images: batches(set, { batchSize }), count: set.count };
    return (await measureAccuracy(model, samples, options)).accuracy;
  };
}
