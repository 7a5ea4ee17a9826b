/**
 * Tensor datasets: inputs that are not images (token ids, attention masks, audio features, any
 * array), given as a NumPy .npz file or a folder of .npy files with one array per model input,
 * named after the input, plus `labels`. Every array's first axis is the sample. Labels are an
 * integer per sample ([samples]) or per token ([samples, sequence]); a negative label (Hugging
 * Face writes -100 on padding) marks a position that is not scored.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { PrunefiError } from '../core/errors.js';
import type { DType, Tensor } from '../onnx/tensor.js';
import { parseNpy } from './npy.js';
import { readZip } from './zip.js';

/** Named input arrays (first axis = sample) and their labels, decoded into memory. */
export interface TensorSet {
  /** 'tensors:<absolute path>'. */
  readonly name: string;
  readonly count: number;
  /** One array per model input, by name; `labels` is not among them. */
  readonly inputs: ReadonlyMap<string, Tensor>;
  /** int32 [count] (one class per sample) or [count, sequence] (one per token); < 0: not scored. */
  readonly labels: Tensor<'int32'>;
  /** sha256 of every array's name, dtype, dims and bytes (labels included), for provenance. */
  readonly hash: string;
}

/** The part of a model's graph input that matching needs (an ONNX ValueInfo fits). */
export interface InputSpec {
  readonly name: string;
  readonly elemType: DType;
  /** Sizes, symbolic names, or null for unknown; absent when the model declares no shape. */
  readonly shape?: readonly (number | string | null)[];
}

/** The array of labels in a tensor dataset. */
export const LABELS = 'labels';

const PREFIX = 'tensors:';

function stripPrefix(spec: string): string {
  return spec.startsWith(PREFIX) ? spec.slice(PREFIX.length) : spec;
}

/**
 * True when a `--data` spec names a tensor dataset: `tensors:<path>`, a path ending in .npz or
 * .npy, or a folder holding .npy files.
 */
export function isTensorSpec(spec: string): boolean {
  if (spec.startsWith(PREFIX)) return true;
  if (/\.np[yz]$/i.test(spec)) return true;
  const st = statSync(spec, { throwIfNoEntry: false });
  return !!st?.isDirectory() && readdirSync(spec).some((f) => /\.npy$/i.test(f));
}

function rows(t: Tensor): number {
  return t.dims[0] ?? 0;
}

function toLabels(t: Tensor, where: string): Tensor<'int32'> {
  const integer = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];
  if (!integer.includes(t.dtype) || (t.dims.length !== 1 && t.dims.length !== 2)) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${where}: 'labels' is ${t.dtype} of shape ${t.dims.join('×') || 'scalar'}, but labels must be integers, one per sample [samples] or per token [samples, sequence]; save them as labels=arr.astype(numpy.int64)`,
    );
  }
  const out = new Int32Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(t.data[i]!);
    if (v < -(2 ** 31) || v >= 2 ** 31) {
      throw new PrunefiError(
        'DATA_INVALID',
        `${where}: label ${v} at flat index ${i} is not a class index; labels are classes from 0 (negative: not scored)`,
      );
    }
    out[i] = v;
  }
  return { dtype: 'int32', dims: [...t.dims], data: out };
}

function hashArrays(arrays: Map<string, Tensor>): string {
  const h = createHash('sha256');
  for (const name of [...arrays.keys()].sort()) {
    const t = arrays.get(name)!;
    h.update(`${name.length}:${name}:${t.dtype}:${t.dims.join(',')};`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

function readArrays(path: string): Map<string, Tensor> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) {
    throw new PrunefiError(
      'DATA_NOT_FOUND',
      `tensor dataset ${path} does not exist; pass a .npz file or a folder of .npy files (relative paths start from ${process.cwd()})`,
    );
  }
  const arrays = new Map<string, Tensor>();
  if (st.isDirectory()) {
    for (const f of readdirSync(path).sort()) {
      if (!/\.npy$/i.test(f)) continue;
      arrays.set(f.replace(/\.npy$/i, ''), parseNpy(readFileSync(join(path, f)), join(path, f)));
    }
    if (arrays.size === 0) {
      throw new PrunefiError(
        'DATA_INVALID',
        `${path} holds no .npy files; save one array per model input (named after it) and labels.npy there`,
      );
    }
  } else if (/\.npz$/i.test(path)) {
    for (const [member, bytes] of readZip(readFileSync(path), path)) {
      if (!/\.npy$/i.test(member)) continue;
      arrays.set(member.replace(/\.npy$/i, ''), parseNpy(bytes, `${path}:${member}`));
    }
  } else {
    throw new PrunefiError(
      'DATA_INVALID',
      `${path} is a single ${/\.npy$/i.test(path) ? '.npy array' : 'file'}, but a tensor dataset needs its inputs and labels together: pass a folder holding <input>.npy files and labels.npy, or one .npz (numpy.savez(file, input_ids=..., labels=...))`,
    );
  }
  return arrays;
}

/** Options of `loadTensorSet`. */
export interface TensorLoadOptions {
  /** Keep only the first N samples. */
  limit?: number;
}

/**
 * Reads a tensor dataset: a .npz file or a folder of .npy files (optionally `tensors:`-prefixed),
 * holding `labels` and one array per model input. Every array must have the same first axis.
 * DATA_NOT_FOUND when the path is missing, DATA_INVALID (naming the array) when an array or the
 * set is malformed.
 */
export function loadTensorSet(spec: string, options: TensorLoadOptions = {}): TensorSet {
  if (options.limit !== undefined && (!Number.isSafeInteger(options.limit) || options.limit < 1)) {
    throw new RangeError(`limit must be a positive integer, got ${options.limit}`);
  }
  const path = resolve(stripPrefix(spec));
  const arrays = readArrays(path);
  const where = basename(path);
  const raw = arrays.get(LABELS);
  if (!raw) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${path} has no '${LABELS}' array (it has ${[...arrays.keys()].join(', ')}); add the labels, one integer per sample or per token, e.g. numpy.savez(file, ${[...arrays.keys()].map((k) => `${k}=...`).join(', ')}, labels=...)`,
    );
  }
  const count = rows(raw);
  if (count === 0) throw new PrunefiError('DATA_INVALID', `${path} holds no samples ('labels' is empty)`);
  for (const [name, t] of arrays) {
    if (t.dims.length === 0 || rows(t) !== count) {
      throw new PrunefiError(
        'DATA_INVALID',
        `${where}: array '${name}' has shape ${t.dims.join('×') || 'scalar'}, but every array's first axis is the sample and 'labels' has ${count}; give every array ${count} rows`,
      );
    }
  }
  const hash = hashArrays(arrays);
  const labels = toLabels(raw, where);
  const inputs = new Map([...arrays].filter(([k]) => k !== LABELS));
  const set: TensorSet = { name: `${PREFIX}${path}`, count, inputs, labels, hash };
  if (options.limit === undefined || options.limit >= count) return set;
  const keep = Int32Array.from({ length: options.limit }, (_, i) => i);
  return {
    ...set,
    count: options.limit,
    inputs: new Map([...inputs].map(([k, t]) => [k, sliceRows(t, keep)])),
    labels: sliceRows(labels, keep),
  };
}

/** The rows `indices` of a tensor along its first axis, copied (any dtype). */
export function sliceRows<T extends Tensor>(t: T, indices: ArrayLike<number>): T {
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const ctor = t.data.constructor as new (n: number) => T['data'];
  const out = new ctor(indices.length * per);
  const n = rows(t);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!;
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new RangeError(`sample index ${i} is outside 0..${n - 1}`);
    // biome-ignore lint/suspicious/noExplicitAny: set() of a typed array from a view of the same kind.
    (out as any).set((t.data as any).subarray(i * per, (i + 1) * per), b * per);
  }
  return { ...t, dims: [indices.length, ...t.dims.slice(1)], data: out };
}

function showDims(dims: readonly (number | string | null)[]): string {
  return dims.map((d) => (d === null ? '?' : String(d))).join('×') || 'scalar';
}

/** What `matchTensorSet` found: the arrays to feed and the symbolic dims they bind. */
export interface TensorMatch {
  /** The model's data inputs, in graph order: feed these arrays (by the same names). */
  readonly feeds: readonly string[];
  /** Symbolic dim name → size, from the arrays (the sample axis excluded). */
  readonly bindings: ReadonlyMap<string, number>;
  /** Set when the model fixes its batch dim: every batch must have exactly this many samples. */
  readonly fixedBatch?: number;
}

/**
 * Checks a tensor dataset against a model's data inputs (non-initializer graph inputs): every
 * input needs an array of its name, its dtype and its rank, whose fixed dims match and whose
 * symbolic dims agree across inputs (`sequence` must be the same size in input_ids and
 * attention_mask). A mismatch is one SHAPE_MISMATCH line naming the input, what the model
 * expects, what the data holds and what to pass.
 */
export function matchTensorSet(set: TensorSet, inputs: readonly InputSpec[], modelName: string): TensorMatch {
  const bindings = new Map<string, number>();
  const boundBy = new Map<string, string>();
  let fixedBatch: number | undefined;
  const expected = inputs.map((i) => i.name);
  for (const input of inputs) {
    const want = input.shape ? ` ${input.elemType} ${showDims(input.shape)}` : ` ${input.elemType}`;
    const t = set.inputs.get(input.name);
    if (!t) {
      throw new PrunefiError(
        'SHAPE_MISMATCH',
        `model ${modelName} takes input '${input.name}' (${want.trim()}), but ${set.name} has no array of that name (it has ${[...set.inputs.keys(), LABELS].join(', ')}); pass one array per model input, named ${expected.join(', ')}, plus '${LABELS}'`,
      );
    }
    if (t.dtype !== input.elemType) {
      throw new PrunefiError(
        'SHAPE_MISMATCH',
        `model ${modelName} takes input '${input.name}' as ${input.elemType}, but ${set.name}'s '${input.name}' is ${t.dtype}; save it as ${input.elemType} (arr.astype(numpy.${input.elemType === 'bool' ? 'bool_' : input.elemType}))`,
      );
    }
    const dims = input.shape;
    if (!dims) continue;
    const mismatch = (why: string) =>
      new PrunefiError(
        'SHAPE_MISMATCH',
        `model ${modelName} takes input '${input.name}' of shape ${showDims(dims)}, but ${set.name}'s '${input.name}' has shape ${t.dims.join('×')} (${why}); pass an array of shape N×${showDims(dims.slice(1))}`,
      );
    if (dims.length !== t.dims.length) throw mismatch(`rank ${t.dims.length}, not ${dims.length}`);
    const d0 = dims[0];
    if (typeof d0 === 'number') fixedBatch = d0;
    for (let a = 1; a < dims.length; a++) {
      const d = dims[a]!;
      const got = t.dims[a]!;
      if (typeof d === 'number') {
        if (d !== got) throw mismatch(`axis ${a} is ${got}, not ${d}`);
      } else if (typeof d === 'string') {
        const prev = bindings.get(d);
        if (prev !== undefined && prev !== got) {
          throw mismatch(`axis ${a} (${d}) is ${got}, but '${boundBy.get(d)}' makes ${d} = ${prev}`);
        }
        bindings.set(d, got);
        boundBy.set(d, input.name);
      }
    }
  }
  return { feeds: expected, bindings, ...(fixedBatch !== undefined ? { fixedBatch } : {}) };
}

/** One batch of a tensor dataset: the feeds and their labels (flattened, per sample or per token). */
export interface TensorBatch {
  readonly feeds: Record<string, Tensor>;
  readonly y: Int32Array;
  /** Indices of the samples in their TensorSet. */
  readonly indices: Int32Array;
}

/** Options of `tensorBatches`. */
export interface TensorBatchOptions {
  batchSize: number;
  /** The arrays to feed (default: every input array). */
  feeds?: readonly string[];
  /** Iterate over these samples only, in this order. Default: all. */
  indices?: ArrayLike<number>;
}

/**
 * Yields a tensor dataset in batches: every fed array and the labels sliced along their first
 * axis, in sample order.
 */
export function* tensorBatches(set: TensorSet, options: TensorBatchOptions): Generator<TensorBatch> {
  const { batchSize } = options;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const names = options.feeds ?? [...set.inputs.keys()];
  const order = options.indices
    ? Int32Array.from(options.indices)
    : Int32Array.from({ length: set.count }, (_, i) => i);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const feeds: Record<string, Tensor> = {};
    for (const name of names) {
      const t = set.inputs.get(name);
      if (!t) throw new RangeError(`feed '${name}' is not an array of ${set.name}`);
      feeds[name] = sliceRows(t, indices);
    }
    yield { feeds, y: sliceRows(set.labels, indices).data, indices };
  }
}
