/**
 * The training-recipe options, with one set of names for every command that trains (`train`,
 * and `prune`'s fine-tuning), read into the one recipe type of src/train/recipe.ts. A command
 * passes its own defaults: `prune` has fixed ones (FINETUNE_RECIPE), `train` chooses them by
 * the kind of data after loading it, so its options show no default.
 *
 * The training batch is `--batch` in `train`, where nothing else is batched, and `--train-batch`
 * in commands whose `--batch` is already the inference batch (as in `eval` and `campaign`).
 */
import { optimizers } from '../train/optim.js';
import type { TrainRecipe } from '../train/recipe.js';
import { schedules } from '../train/schedule.js';
import { type OptionSpec, opt, type ParsedArgs } from './command.js';

/** The recipe fields these options set (epochs, seed and augmentation are each command's own). */
export type RecipeSettings = Omit<TrainRecipe, 'epochs' | 'seed' | 'augment'>;

/** What a command calls the training batch-size option. */
export type BatchOption = 'batch' | 'train-batch';

/** The options, described with `defaults` when the command has fixed ones. */
export function recipeOptions(
  what: string,
  batchOption: BatchOption,
  defaults?: RecipeSettings,
): Record<string, OptionSpec> {
  // A fixed default is shown by the help as such; otherwise the text says where it comes from.
  const spec = (value: string | number | undefined, text: string, otherwise = ' (default by data)') =>
    value === undefined ? { description: `${text}${otherwise}` } : { default: value, description: text };
  return {
    lr: { type: 'number', min: 0, ...spec(defaults?.lr, `learning rate of ${what} (one-cycle: its peak)`) },
    [batchOption]: { type: 'int', min: 1, ...spec(defaults?.batchSize, `batch size of ${what}`) },
    optimizer: {
      type: 'string',
      choices: optimizers.names(),
      ...spec(defaults?.optimizer, `optimizer of ${what}`),
    },
    momentum: {
      type: 'number',
      min: 0,
      max: 1,
      ...spec(defaults?.momentum, 'SGD momentum / AdamW beta1', ' (default 0.9)'),
    },
    nesterov: { type: 'boolean', description: 'Nesterov momentum (sgd)' },
    'weight-decay': {
      type: 'number',
      min: 0,
      ...spec(defaults?.weightDecay, 'weight decay, decoupled for adamw', ' (default 5e-4)'),
    },
    schedule: {
      type: 'string',
      choices: schedules.names(),
      ...spec(defaults?.schedule, `learning-rate schedule of ${what}`, ' (default onecycle)'),
    },
    warmup: {
      type: 'number',
      min: 0,
      default: defaults?.warmupEpochs ?? 0,
      placeholder: 'epochs',
      description: 'linear warm-up (epochs)',
    },
    'label-smoothing': {
      type: 'number',
      min: 0,
      max: 0.99,
      default: defaults?.labelSmoothing ?? 0,
      description: 'cross-entropy label smoothing',
    },
  };
}

/** The recipe the options give, each option not given taken from `base`. */
export function recipeFromOptions(
  a: ParsedArgs,
  batchOption: BatchOption,
  base: RecipeSettings,
): RecipeSettings {
  const warmup = opt.num(a, 'warmup') ?? base.warmupEpochs;
  const smoothing = opt.num(a, 'label-smoothing') ?? base.labelSmoothing;
  const nesterov = opt.bool(a, 'nesterov') || base.nesterov;
  return {
    ...base,
    batchSize: opt.num(a, batchOption) ?? base.batchSize,
    optimizer: opt.str(a, 'optimizer') ?? base.optimizer,
    lr: opt.num(a, 'lr') ?? base.lr,
    momentum: opt.num(a, 'momentum') ?? base.momentum ?? 0.9,
    weightDecay: opt.num(a, 'weight-decay') ?? base.weightDecay ?? 5e-4,
    ...(nesterov ? { nesterov: true } : {}),
    schedule: opt.str(a, 'schedule') ?? base.schedule,
    ...(warmup !== undefined ? { warmupEpochs: warmup } : {}),
    ...(smoothing !== undefined ? { labelSmoothing: smoothing } : {}),
  };
}
