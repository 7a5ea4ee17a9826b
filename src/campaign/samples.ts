/**
 * The samples an evaluator scores. Images are one float32 NCHW array; other models take several
 * arrays of any type (a BERT encoder's int64 input_ids and attention_mask), all with the sample
 * on axis 0, as a tensor dataset gives them (`data/tensorset.ts`).
 */
import { PrunefiError } from '../core/errors.js';
import { sliceRows } from '../data/tensorset.js';
import type { Graph } from '../onnx/ir.js';
import { numel, type Tensor, tensor } from '../onnx/tensor.js';

/** The images an evaluator scores: normalized NCHW float32 images and their labels. */
export interface ImageInput {
  x: Tensor<'float32'>;
  labels: ArrayLike<number>;
}

/**
 * Samples for a model with any data inputs: one array per data input (by graph input name,
 * axis 0 = sample) and one label per scored output position (per sample for a classifier,
 * [samples × tokens] flattened for a sequence output; negative labels are not scored).
 */
export interface SampleInput {
  feeds: ReadonlyMap<string, Tensor>;
  labels: ArrayLike<number>;
}

/**
 * The input as arrays by graph input name, checked against the graph's data inputs: every one
 * fed, with the same number of samples. An ImageInput feeds a model's only data input.
 */
export function samplesOf(
  graph: Graph,
  input: ImageInput | SampleInput,
): { feeds: Map<string, Tensor>; count: number } {
  const data = graph.inputs.filter((v) => !graph.initializers.has(v.name)).map((v) => v.name);
  let feeds: Map<string, Tensor>;
  if ('x' in input) {
    if (data.length !== 1) {
      throw new PrunefiError(
        'ONNX_UNSUPPORTED',
        `the model takes ${data.length} inputs (${data.join(', ')}), but images feed one; give a tensor dataset with one array per input`,
      );
    }
    feeds = new Map([[data[0]!, input.x]]);
  } else feeds = new Map(input.feeds);
  const missing = data.filter((d) => !feeds.has(d));
  if (missing.length) {
    throw new PrunefiError(
      'SHAPE_MISMATCH',
      `no samples for model input(s) ${missing.join(', ')}; feed every data input`,
    );
  }
  for (const name of feeds.keys()) if (!data.includes(name)) feeds.delete(name);
  const counts = [...feeds.values()].map((t) => t.dims[0] ?? 0);
  const count = counts[0] ?? 0;
  if (counts.some((c) => c !== count)) {
    throw new RangeError(
      `inputs: ${[...feeds].map(([n, t]) => `${n} has ${t.dims[0]} samples`).join(', ')}; give every input the same samples`,
    );
  }
  if (count === 0) throw new RangeError('inputs: the sample set is empty; give at least one sample');
  return { feeds, count };
}

/** Samples `idx` of an array along axis 0: a view when they are consecutive, else a copy. */
export function sampleRows(t: Tensor, idx: ArrayLike<number>): Tensor {
  const n = idx.length;
  const size = numel(t.dims.slice(1));
  const dims = [n, ...t.dims.slice(1)];
  const first = idx[0] ?? 0;
  if (n > 0 && idx[n - 1]! - first !== n - 1) return sliceRows(t, idx);
  // Every typed array has subarray; the union's signatures just do not unify.
  const view = (t.data as Float32Array).subarray(first * size, (first + n) * size);
  return tensor(t.dtype, dims, view as never);
}

/** Samples `idx` of every array, by input name (views where they are consecutive). */
export function sampleFeeds(
  feeds: ReadonlyMap<string, Tensor>,
  idx: ArrayLike<number>,
): Record<string, Tensor> {
  return Object.fromEntries([...feeds].map(([name, t]) => [name, sampleRows(t, idx)]));
}

/** Samples [from, to) of every array. */
export function sampleRange(
  feeds: ReadonlyMap<string, Tensor>,
  from: number,
  to: number,
): Record<string, Tensor> {
  return sampleFeeds(
    feeds,
    Array.from({ length: to - from }, (_, i) => from + i),
  );
}

/** Rows 0 … n − 1: every sample, in order. */
export function allRows(n: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}

/** The outputs of consecutive batches as one array (the one batch itself when there is one). */
export function concatBatches(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return all;
}
