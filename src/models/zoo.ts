/**
 * The registry of built-in architectures and the one function every command uses to turn a model
 * argument into a Model: `zoo:<name>[?seed=N&classes=K&input=CxHxW]` builds a fresh model, any
 * other string is an .onnx file path.
 */
import { PrunefiError } from '../core/errors.js';
import { Registry } from '../core/registry.js';
import { loadModel } from '../onnx/file.js';
import type { Model } from '../onnx/ir.js';
import { alexnetCifar } from './alexnet.js';
import type { BuildOptions, ZooEntry } from './define.js';
import { lenet5 } from './lenet5.js';
import { resnet18Cifar } from './resnet.js';
import { vgg11Cifar } from './vgg.js';
import { vitCifar } from './vit.js';

/** The built-in architectures, listed by `prunefi models`. */
export const ZOO: Registry<ZooEntry> = new Registry<ZooEntry>('model', [
  lenet5,
  alexnetCifar,
  resnet18Cifar,
  vgg11Cifar,
  vitCifar,
]);

/** The prefix that marks a model argument as a zoo name rather than a file path. */
export const ZOO_PREFIX = 'zoo:';

/** A parsed `zoo:` argument. */
export interface ZooSpec {
  name: string;
  options: BuildOptions;
}

const QUERY_KEYS = ['seed', 'classes', 'input'];

function specError(arg: string, why: string): PrunefiError {
  return new PrunefiError(
    'USAGE',
    `model argument '${arg}': ${why}; write zoo:<name>[?seed=N&classes=K&input=CxHxW], e.g. zoo:resnet18-cifar?seed=1`,
  );
}

function parseInteger(arg: string, key: string, value: string, min: number): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw specError(arg, `${key} must be an integer${min > 0 ? ` >= ${min}` : ''}, got '${value}'`);
  }
  return n;
}

/**
 * Parses `zoo:<name>[?query]` (undefined for anything without the prefix). The name is checked
 * against the registry (UNKNOWN_NAME listing the valid names); query keys are seed (integer),
 * classes (number of classes) and input (CxHxW); an unknown key or malformed value is a USAGE error.
 */
export function parseZooSpec(arg: string): ZooSpec | undefined {
  if (!arg.startsWith(ZOO_PREFIX)) return undefined;
  const rest = arg.slice(ZOO_PREFIX.length);
  const q = rest.indexOf('?');
  const name = q < 0 ? rest : rest.slice(0, q);
  ZOO.get(name);
  const options: BuildOptions = {};
  if (q >= 0) {
    for (const [key, value] of new URLSearchParams(rest.slice(q + 1))) {
      if (key === 'seed') options.seed = parseInteger(arg, key, value, Number.MIN_SAFE_INTEGER);
      else if (key === 'classes') options.numClasses = parseInteger(arg, key, value, 1);
      else if (key === 'input') {
        const dims = value.split('x');
        if (dims.length !== 3) throw specError(arg, `input must be CxHxW, got '${value}'`);
        options.inputShape = dims.map((d) => parseInteger(arg, key, d, 1));
      } else throw specError(arg, `unknown option '${key}' (valid: ${QUERY_KEYS.join(', ')})`);
    }
  }
  return { name, options };
}

/**
 * Builds a zoo model by name (UNKNOWN_NAME error listing the valid names for a typo). See
 * `BuildOptions` for seed, classes and input shape.
 */
export function buildZooModel(name: string, options: BuildOptions = {}): Model {
  return ZOO.get(name).build(options);
}

/**
 * Resolves a model argument as the CLI accepts it: `zoo:<name>[?seed=N&classes=K&input=CxHxW]`
 * builds a freshly initialized zoo model (options in the argument override `defaults`, so a
 * command's --seed applies unless the argument names its own); anything else is loaded as an
 * .onnx file (MODEL_NOT_FOUND, ONNX_PARSE, ... from `loadModel`).
 */
export function resolveModel(arg: string, defaults: BuildOptions = {}): Model {
  if (typeof arg !== 'string') throw new TypeError(`model argument must be a string, got ${typeof arg}`);
  const spec = parseZooSpec(arg);
  if (!spec) return loadModel(arg);
  return buildZooModel(spec.name, { ...defaults, ...spec.options });
}
