/**
 * `prunefi prune`: prune a model with one method and write the pruned ONNX, printing per-layer
 * sparsity, parameters and MACs and the accuracy before and after. Everything is computed before
 * anything is written, and the model file appears atomically, so a failure leaves no output.
 */
import { PrunefiError } from '../../core/errors.js';
import { resolveModel } from '../../models/zoo.js';
import { saveModel } from '../../onnx/file.js';
import type { Model } from '../../onnx/ir.js';
import { parseMethodOption } from '../../prune/options.js';
import { fileSha256 } from '../../prune/provenance.js';
import { type PruneRequest, type PruneResult, pruneModel } from '../../prune/prune.js';
import { PRUNE_METHODS } from '../../prune/registry.js';
import type { TrainingSetup } from '../../prune/training.js';
import type { PruneMethod, Scope } from '../../prune/types.js';
import { trainProgressView } from '../../train/loop.js';
import { FINETUNE_RECIPE } from '../../train/recipe.js';
import type { TrainSet } from '../../train/samples.js';
import { type CliContext, type Command, type OptionSpec, opt, type ParsedArgs } from '../command.js';
import { EVAL_OPTIONS, evalAccuracy, evalSet } from '../evaluation.js';
import { formatInt, formatPercent, formatSI, table } from '../format.js';
import { recipeFromOptions, recipeOptions } from '../recipe-options.js';
import { checkOutputPath, loadModelData, trainLimitOption } from '../shared.js';

/** Parses repeated `key=value` arguments of option `--name`. */
export function keyValues(args: ParsedArgs, name: string, cmd: string): [string, string][] {
  return opt.strs(args, name).map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0)
      throw new PrunefiError('USAGE', `--${name} takes key=value, got '${kv}' (see 'prunefi ${cmd} --help')`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  });
}

function parseLayers(args: ParsedArgs): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of keyValues(args, 'layer', 'prune')) {
    const s = Number(v);
    if (v.trim() === '' || !Number.isFinite(s)) {
      throw new PrunefiError('USAGE', `--layer ${k}=${v}: the sparsity must be a number in [0, 1)`);
    }
    out[k] = s;
  }
  return out;
}

function shape(dims: readonly number[]): string {
  return dims.length ? dims.join('×') : '-';
}

/** The per-layer table `prunefi prune` prints. */
export function pruneTable(r: PruneResult): string {
  const rows = r.layers.map((l) => [
    l.name,
    l.target ? '' : 'kept',
    l.shapeBefore.join() === l.shapeAfter.join()
      ? shape(l.shapeBefore)
      : `${shape(l.shapeBefore)} → ${shape(l.shapeAfter)}`,
    formatInt(l.paramsAfter),
    formatSI(l.macsAfter),
    formatPercent(l.sparsity),
  ]);
  rows.push(['total', '', '', formatInt(r.paramsAfter), formatSI(r.macsAfter), formatPercent(r.sparsity)]);
  return table(['layer', '', 'weight shape', 'params', 'MACs', 'sparsity'], rows);
}

function request(args: ParsedArgs, method: PruneMethod): PruneRequest {
  const methodOptions: Record<string, number | boolean | string> = {};
  for (const [k, v] of keyValues(args, 'opt', 'prune')) methodOptions[k] = parseMethodOption(method, k, v);
  const r: PruneRequest = {
    sparsity: opt.num(args, 'sparsity') ?? 0,
    layers: parseLayers(args),
    skipFirst: opt.bool(args, 'skip-first'),
    skipLast: opt.bool(args, 'skip-last'),
    seed: opt.num(args, 'seed') ?? 0,
    method: methodOptions,
    maskFallback: opt.bool(args, 'mask-fallback'),
  };
  const scope = opt.str(args, 'scope');
  if (scope) r.scope = scope as Scope;
  const remove = args.options.remove;
  if (remove !== undefined) r.remove = remove === true;
  return r;
}

/** Fine-tuning and training options of `prune`. */
const TRAIN_OPTIONS: Record<string, OptionSpec> = {
  'finetune-epochs': {
    type: 'int',
    min: 0,
    default: 0,
    description: 'fine-tune after pruning for this many epochs',
  },
  ...trainLimitOption,
  ...recipeOptions('fine-tuning', 'train-batch', FINETUNE_RECIPE),
};

/** Loads the training split and builds the recipe from the options. */
async function trainingSetup(
  args: ParsedArgs,
  ctx: CliContext,
  test: TrainSet | undefined,
  model: Model,
  modelArg: string,
): Promise<TrainingSetup> {
  // A tensor set has no splits: it calibrates and trains, as it evaluates.
  const train =
    test && 'inputs' in test
      ? test
      : await loadModelData(args, ctx, 'prune', 'train', model, modelArg, { limitOption: 'train-limit' });
  const trainBar = ctx.progress('train');
  const threads = opt.num(args, 'threads');
  return {
    train,
    ...(test ? { test } : {}),
    recipe: recipeFromOptions(args, 'train-batch', FINETUNE_RECIPE),
    ...(threads !== undefined ? { threads } : {}),
    signal: ctx.signal,
    onTrainProgress: (stage, p) => trainBar.update(trainProgressView(p, stage)),
  };
}

/** The `prune` command. */
export const pruneCommand: Command = {
  name: 'prune',
  summary: 'prune a model with one method and write the pruned ONNX (with provenance metadata)',
  positionals: [{ name: 'model', description: 'an .onnx file or zoo:<name>', required: true }],
  options: {
    method: {
      type: 'string',
      short: 'm',
      placeholder: 'name',
      description: "pruning method (see 'prunefi methods')",
    },
    sparsity: {
      type: 'number',
      short: 's',
      placeholder: 'fraction',
      description:
        'fraction of weights (unstructured) or of filters per layer (filter methods) to remove, in [0, 1)',
    },
    scope: {
      type: 'string',
      choices: ['layer', 'global'],
      description: "one threshold per layer or across layers (default: the method's)",
    },
    layer: {
      type: 'string',
      multiple: true,
      placeholder: 'name=fraction',
      description: 'per-layer sparsity (weight or node name)',
    },
    'skip-first': { type: 'boolean', description: 'leave the first weight layer dense' },
    'skip-last': { type: 'boolean', description: 'leave the last weight layer (classifier) dense' },
    opt: { type: 'string', multiple: true, placeholder: 'key=value', description: 'method-specific option' },
    remove: {
      type: 'boolean',
      description: 'physically remove pruned channels (default for filter methods; --no-remove masks)',
    },
    'mask-fallback': {
      type: 'boolean',
      description: 'mask channels behind ops the structural pass cannot follow instead of failing',
    },
    seed: { type: 'int', default: 0, description: 'seed of every random choice' },
    output: {
      type: 'string',
      short: 'o',
      placeholder: 'file.onnx',
      description: 'where to write the pruned model',
    },
    json: { type: 'boolean', description: 'print the result as JSON instead of a table' },
    ...EVAL_OPTIONS,
    ...TRAIN_OPTIONS,
  },
  help: [
    'examples:',
    '  prunefi prune ../shared/models/resnet18_cifar.onnx -m magnitude -s 0.9 -o r18-mag90.onnx --data ../shared/datasets/cifar10-jpeg',
    '  prunefi prune model.onnx -m l1-filter -s 0.5 --skip-first -o small.onnx',
    '  prunefi prune model.onnx -m nm --opt n=2 --opt m=4 -o sparse24.onnx',
    'The output records method, options, seed, sparsity and the parent hash in its metadata_props.',
  ].join('\n'),
  async run(args, ctx) {
    const out = opt.required<string>(args, 'output', 'prune');
    const method = PRUNE_METHODS.get(opt.required<string>(args, 'method', 'prune'));
    if (method.granularity !== 'n:m' && opt.num(args, 'sparsity') === undefined) {
      throw new PrunefiError(
        'USAGE',
        `--sparsity is required for method '${method.name}' (see 'prunefi prune --help')`,
      );
    }
    const req = request(args, method);
    checkOutputPath(out, '--output');
    const arg = args.positionals[0]!;
    const model = resolveModel(arg, { seed: req.seed ?? 0 });
    if (!arg.startsWith('zoo:')) req.parentFileSha256 = fileSha256(arg);
    req.signal = ctx.signal;
    const set = await evalSet(args, ctx, 'prune', model, arg);
    const accuracyOf = set ? evalAccuracy(args, ctx, set) : undefined;
    const finetuneEpochs = opt.num(args, 'finetune-epochs') ?? 0;
    if (method.needsData || method.needsTraining || finetuneEpochs > 0) {
      if (!opt.str(args, 'data')) {
        throw new PrunefiError(
          'PRUNE',
          `${finetuneEpochs > 0 && !method.needsData ? 'fine-tuning' : `pruning method '${method.name}'`} needs training data; pass --data with a dataset that has a training split`,
        );
      }
      req.setup = await trainingSetup(args, ctx, set, model, arg);
    }
    req.finetuneEpochs = finetuneEpochs;
    const before = await accuracyOf?.(model);
    let after: number | undefined;
    req.onPruned = async (m) => {
      after = await accuracyOf?.(m);
    };
    const result = await pruneModel(model, method, req);
    const tuned = result.finetuned ? await accuracyOf?.(result.model) : undefined;
    const final = tuned ?? after;
    if (final !== undefined) result.model.metadata.set('prunefi.prune.accuracy', final.toFixed(6));
    saveModel(result.model, out);
    if (opt.bool(args, 'json')) {
      const { model: _m, masks: _k, plan, ...rest } = result;
      const json = {
        ...rest,
        output: out,
        accuracyBefore: before,
        accuracyAfter: after,
        accuracyFinetuned: tuned,
        plan: plan && [...plan].map(([g, s]) => [g, [...s]]),
      };
      ctx.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `${method.name} (${result.options.scope}${method.granularity === 'filter' || method.granularity === 'head' ? `, ${result.removed ? 'removed' : 'masked'}` : ''}) sparsity ${formatPercent(result.sparsity)} of pruned layers`,
      '',
      pruneTable(result),
      '',
      `parameters ${formatInt(result.paramsBefore)} → ${formatInt(result.paramsAfter)}, MACs ${formatSI(result.macsBefore)} → ${formatSI(result.macsAfter)}`,
    ];
    if (set) {
      lines.push(
        `accuracy on ${set.count} images of ${set.name}: before ${formatPercent(before!)}, after pruning ${formatPercent(after!)}, after fine-tuning ${tuned === undefined ? '-' : `${formatPercent(tuned)} (${result.finetuned!.epochs} epochs)`}`,
      );
    } else lines.push('accuracy: pass --data to measure it');
    for (const n of result.notes) lines.push(`note: ${n}`);
    lines.push(`wrote ${out}`);
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
