/**
 * Option declarations and argument handling shared by several commands, so `--model`, `--data`,
 * `--threads` and friends mean the same everywhere.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CLASS_LISTS } from '../core/class-names.js';
import { PrunefiError, unknownName } from '../core/errors.js';
import type { ImageChannels, ImageSet, TensorSet } from '../data/index.js';
import { isTensorSpec, loadDataset, loadTensorSet, matchTensorSet, relabel } from '../data/index.js';
import { resolveModel } from '../models/index.js';
import { labelNames } from '../onnx/classes.js';
import { checkModelFitsData, imageInput } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import type { Tensor } from '../onnx/tensor.js';
import { parseDevice, type SessionOptions } from '../runtime/session.js';
import type { CliContext, OptionSpec, ParsedArgs } from './command.js';
import { opt, usageError } from './command.js';

/** `--model`, `--data`, `--split`, `--limit`, `--cache-dir`. */
export const dataOptions: Record<string, OptionSpec> = {
  data: {
    type: 'string',
    placeholder: 'spec',
    description:
      "dataset: mnist, fashion-mnist, a CIFAR-10 binary folder/archive, an image folder or .tar(.gz), or tensors (.npz, or a folder of .npy: one array per model input plus labels) (see 'prunefi datasets')",
  },
  split: {
    type: 'string',
    description: "split to use (default: 'test' when the dataset has one, else its only split)",
  },
  limit: {
    type: 'int',
    min: 1,
    placeholder: 'N',
    description: 'use only N images, spread evenly over the classes (tensors: the first N samples)',
  },
  'cache-dir': {
    type: 'string',
    placeholder: 'dir',
    description: 'decoded-dataset cache (default $PRUNEFI_CACHE or ~/.cache/prunefi)',
  },
  classes: {
    type: 'string',
    placeholder: 'a,b,c|file|list',
    description: `the model's class names in label order, when it records none: a,b,c, a file of one name per line, or ${CLASS_LISTS.names().join(', ')}; the data's class folders map onto them by name`,
  },
};

/** `--threads` and `--device`. */
export const runtimeOptions: Record<string, OptionSpec> = {
  threads: {
    type: 'int',
    min: 1,
    placeholder: 'N',
    description: 'ONNX Runtime intra-op threads (default: one per core)',
  },
  device: {
    type: 'string',
    choices: ['cpu', 'cuda'],
    default: 'cpu',
    description: 'execution device (cuda needs the CUDA build of onnxruntime-node)',
  },
};

/** Session options from `--threads` / `--device`. */
export function sessionOptions(a: ParsedArgs): SessionOptions {
  const o: SessionOptions = { device: parseDevice(opt.str(a, 'device') ?? 'cpu') };
  const threads = opt.num(a, 'threads');
  if (threads !== undefined) o.threads = threads;
  return o;
}

/** Resolves a model argument (file or zoo:name). */
export function loadModelArg(arg: string): Model {
  return resolveModel(arg);
}

/** `--train-limit`, for commands that train. */
export const trainLimitOption: Record<string, OptionSpec> = {
  'train-limit': {
    type: 'int',
    min: 1,
    placeholder: 'N',
    description: 'use only N training images (balanced)',
  },
};

/**
 * Loads `--data` for `split` with a decoding progress bar. `limitOption` names the option that
 * limits the images (`limit` for evaluation sets, `train-limit` for training sets); `channels`
 * are the planes image files decode to (the model's input channels).
 */
export async function loadDataArg(
  a: ParsedArgs,
  ctx: CliContext,
  cmdPath: string,
  split: string | undefined,
  options: { quiet?: boolean; limitOption?: string; channels?: ImageChannels } = {},
): Promise<ImageSet> {
  const spec = opt.required<string>(a, 'data', cmdPath);
  const bar = ctx.progress(`decode ${split ?? ''}`.trim(), options.quiet ?? false);
  const limit = opt.num(a, options.limitOption ?? 'limit');
  const cacheDir = opt.str(a, 'cache-dir');
  try {
    return await loadDataset(spec, {
      ...(split !== undefined ? { split } : {}),
      ...(options.channels !== undefined ? { channels: options.channels } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(cacheDir !== undefined ? { cacheDir } : {}),
      onProgress: (done, total) => bar.update({ unit: 'images', done, total }),
    });
  } finally {
    bar.done();
  }
}

/**
 * `--classes`: a built-in list's name, a file of one name per line, or a comma-separated list;
 * undefined when absent. Duplicates and an empty list are USAGE errors.
 */
export function parseClasses(a: ParsedArgs, cmdPath: string): readonly string[] | undefined {
  const v = opt.str(a, 'classes');
  if (v === undefined) return undefined;
  let names: string[];
  if (CLASS_LISTS.has(v)) names = [...CLASS_LISTS.get(v).classes];
  else if (!v.includes(',') && existsSync(v)) {
    try {
      names = readFileSync(v, 'utf8').split(/\r?\n/);
    } catch (err) {
      throw new PrunefiError('IO', `cannot read the --classes file ${v}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  } else if (v.includes(',')) names = v.split(',');
  else
    throw usageError(
      cmdPath,
      `--classes ${v} is neither a built-in list (${CLASS_LISTS.names().join(', ')}), nor a file, nor a list a,b,c`,
    );
  names = names.map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw usageError(cmdPath, `--classes ${v} names no classes`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw usageError(cmdPath, `--classes names '${dup}' twice`);
  return names;
}

/**
 * Loads `--data` for `split` (as `loadDataArg`) for `model`: image files decoded to its input's
 * channels (grey for a 1-channel model, else RGB), checked against its input, and labelled by the
 * model's class names (`--classes`, else the names it records; `classes` overrides both, for a
 * stored campaign), so a subset or another order of its classes is scored as the model means them.
 */
export async function loadModelData(
  a: ParsedArgs,
  ctx: CliContext,
  cmdPath: string,
  split: string | undefined,
  model: Model,
  modelName: string,
  options: { quiet?: boolean; limitOption?: string; classes?: readonly string[] } = {},
): Promise<ImageSet> {
  const set = await loadDataArg(a, ctx, cmdPath, split, {
    ...options,
    ...(imageInput(model).shape?.[1] === 1 ? { channels: 1 } : {}),
  });
  checkModelFitsData(model, set.shape, modelName, set.name);
  const names = labelNames(
    model,
    set.classes,
    modelName,
    set.name,
    options.classes ?? parseClasses(a, cmdPath),
  );
  return names ? relabel(set, names) : set;
}

/**
 * A `--data` tensor dataset (see `isTensorSpec`) checked against the model's data inputs: the
 * arrays to feed by input name and the labels, or null when the spec names an image dataset.
 */
export function loadTensorArg(
  a: ParsedArgs,
  model: Model,
  modelSpec: string,
): { set: TensorSet; feeds: Map<string, Tensor> } | null {
  const spec = opt.str(a, 'data');
  if (spec === undefined || !isTensorSpec(spec)) return null;
  const limit = opt.num(a, 'limit');
  const set = loadTensorSet(spec, limit !== undefined ? { limit } : {});
  const g = model.graph;
  const match = matchTensorSet(
    set,
    g.inputs.filter((v) => !g.initializers.has(v.name)),
    modelSpec,
  );
  return { set, feeds: new Map(match.feeds.map((n) => [n, set.inputs.get(n)!])) };
}

/** `--input-shape name=AxBx…`, for models whose inputs have symbolic dims (sequence length). */
export const inputShapeOption: Record<string, OptionSpec> = {
  'input-shape': {
    type: 'string',
    multiple: true,
    placeholder: 'name=1x128',
    description: "concrete dims of a graph input (its symbolic dims, e.g. a transformer's sequence length)",
  },
};

/** Parses `--input-shape` against the model's graph inputs (an unknown name lists the valid ones). */
export function parseInputShapes(a: ParsedArgs, model: Model, cmdPath: string): Record<string, number[]> {
  const inputs = model.graph.inputs.filter((v) => !model.graph.initializers.has(v.name)).map((v) => v.name);
  const out: Record<string, number[]> = {};
  for (const spec of opt.strs(a, 'input-shape')) {
    const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(spec);
    if (!m) throw usageError(cmdPath, `--input-shape '${spec}' is not name=dims; write e.g. input_ids=1x128`);
    const [, name, dims] = m as unknown as [string, string, string];
    if (!inputs.includes(name)) throw unknownName('graph input', name, inputs);
    out[name] = dims.split('x').map(Number);
  }
  return out;
}

/** Writes a JSON document to stdout (2-space indent, trailing newline). */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Checks that a file can be written at `path` before any long work starts. */
export function checkOutputPath(path: string, option: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new PrunefiError('IO', `${option} ${path}: folder ${dir} does not exist; create it first`);
  }
}
