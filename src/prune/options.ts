/**
 * Checking and defaulting pruning options before any work starts, so a bad value fails in
 * milliseconds with a message naming the option instead of after an hour of fine-tuning.
 */
import { unknownName } from '../core/errors.js';
import type {
  MethodOption,
  MethodOptionValues,
  PruneMethod,
  PruneOptions,
  ResolvedOptions,
} from './types.js';

/** Checks one sparsity-like value: a finite number in [0, 1). */
export function checkSparsity(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new RangeError(
      `${what} must be in [0, 1) (the fraction to remove; 1 would remove everything), got ${value}`,
    );
  }
  return value;
}

function checkMethodOption(
  method: string,
  key: string,
  spec: MethodOption,
  value: unknown,
): number | boolean | string {
  const what = `option '${key}' of pruning method '${method}'`;
  if (spec.type === 'boolean') {
    if (typeof value !== 'boolean')
      throw new TypeError(`${what} must be true or false, got ${String(value)}`);
    return value;
  }
  if (spec.type === 'string') {
    if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${typeof value}`);
    if (spec.choices && !spec.choices.includes(value)) {
      throw new RangeError(`${what} must be one of ${spec.choices.join(', ')}, got '${value}'`);
    }
    return value;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${what} must be a finite number, got ${String(value)}`);
  }
  if (spec.type === 'int' && !Number.isInteger(value))
    throw new RangeError(`${what} must be an integer, got ${value}`);
  if (spec.min !== undefined && value < spec.min)
    throw new RangeError(`${what} must be at least ${spec.min}, got ${value}`);
  if (spec.max !== undefined && value > spec.max)
    throw new RangeError(`${what} must be at most ${spec.max}, got ${value}`);
  return value;
}

/**
 * Parses a method option given as text (from `--opt key=value`) according to its declared type,
 * so the CLI and config files share one set of checks.
 */
export function parseMethodOption(method: PruneMethod, key: string, text: string): number | boolean | string {
  const spec = method.options[key];
  if (!spec) throw unknownName(`option of pruning method '${method.name}'`, key, Object.keys(method.options));
  if (spec.type === 'boolean') {
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0') return false;
    throw new TypeError(
      `option '${key}' of pruning method '${method.name}' must be true or false, got '${text}'`,
    );
  }
  if (spec.type === 'string') return text;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) {
    throw new TypeError(`option '${key}' of pruning method '${method.name}' must be a number, got '${text}'`);
  }
  return v;
}

/**
 * Fills in defaults and checks every option of a pruning call against the method's declaration.
 * Throws RangeError for values out of range, TypeError for values of the wrong kind, and
 * PrunefiError('UNKNOWN_NAME') for method options the method does not have.
 */
export function resolveOptions(method: PruneMethod, options: PruneOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('prune options must be an object');
  const sparsity = method.granularity === 'n:m' ? (options.sparsity ?? 0) : options.sparsity;
  checkSparsity(sparsity, 'sparsity');
  const layers: Record<string, number> = {};
  for (const [k, v] of Object.entries(options.layers ?? {}))
    layers[k] = checkSparsity(v, `sparsity of layer '${k}'`);
  const scope = options.scope ?? method.defaultScope;
  if (!method.scopes.includes(scope)) {
    throw new RangeError(
      `pruning method '${method.name}' supports scope ${method.scopes.join(' or ')}, got '${String(scope)}'`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const values: MethodOptionValues = {};
  for (const [k, spec] of Object.entries(method.options)) values[k] = spec.default;
  for (const [k, v] of Object.entries(options.method ?? {})) {
    const spec = method.options[k];
    if (!spec) throw unknownName(`option of pruning method '${method.name}'`, k, Object.keys(method.options));
    values[k] = checkMethodOption(method.name, k, spec, v);
  }
  return {
    sparsity,
    layers,
    skipFirst: options.skipFirst ?? false,
    skipLast: options.skipLast ?? false,
    scope,
    seed,
    method: values,
  };
}
