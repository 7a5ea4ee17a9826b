/**
 * Which golden activations fast mode caches. Only float32 values laid out image by image (axis 0
 * is the batch) can be cached and fed back per image; anything else crossing a cut (shape
 * arithmetic on int64 scalars, sequence-first attention tensors [L, B, E]) is recomputed inside
 * the suffix from the nearest cached values (`fault/cut.ts`). Which values are per-image is
 * measured, not guessed: the graph runs on one image and on that image twice, and a value is
 * per-image when its axis 0 follows the batch while the rest of its shape stays the same.
 */

import { cutValues } from '../fault/cut.js';
import type { Graph } from '../onnx/ir.js';
import { inferShapes } from '../onnx/shape/index.js';
import { type DType, numel, type Tensor, tensor } from '../onnx/tensor.js';
import type { Session } from '../runtime/session.js';
import { sampleFeeds } from './samples.js';

/** Node outputs whose inferred element type is float32: the values that could be cached. */
export function floatValues(graph: Graph): { names: string[]; types: Map<string, DType> } {
  let types: Map<string, DType>;
  try {
    types = inferShapes(graph, { partial: true }).types;
  } catch {
    // Without types nothing is declared as an output: every suffix recomputes from the input.
    types = new Map();
  }
  const outputs = new Set(graph.outputs.map((v) => v.name));
  const names = graph.nodes
    .flatMap((n) => n.outputs)
    .filter((o) => o && !outputs.has(o) && types.get(o) === 'float32');
  return { names, types };
}

/**
 * Where a cacheable value keeps its images: along one axis, in consecutive blocks of
 * `dims[axis]` (1 for NCHW activations and [L, B, E]; the head count for attention's
 * [B·H, L, d], whose rows are image-major).
 */
export interface ImageLayout {
  /** The axis along which images run. */
  axis: number;
  /** The value's dims for one image. */
  dims: number[];
}

/** Whether two float32 runs agree to within kernel rounding (batch size may change the kernel). */
function close(a: Float32Array, b: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!(Math.abs(x - y) <= 1e-3 * (1 + Math.abs(x))) && !Object.is(x, y)) return false;
  }
  return true;
}

/**
 * The image layout of each of `candidates` that holds one slice per image, measured by running
 * `session` (which outputs every candidate) on sample 0 and on samples 0 and 1 (sample 0 twice
 * when there is one): the batch axis is the one axis whose extent doubles, and image 0's block
 * of the two-image run must equal the one-image run (to within kernel rounding, 1e-3 relative:
 * the same values, not an interleaving such as [L·B, E] rows, which is not cached).
 */
export async function perImageValues(
  session: Session,
  feeds: ReadonlyMap<string, Tensor>,
  candidates: readonly string[],
): Promise<Map<string, ImageLayout>> {
  const out = new Map<string, ImageLayout>();
  if (candidates.length === 0) return out;
  const second = [...feeds.values()][0]!.dims[0]! > 1 ? 1 : 0;
  const a = await session.run(sampleFeeds(feeds, [0]), candidates);
  const b = await session.run(sampleFeeds(feeds, [0, second]), candidates);
  for (const v of candidates) {
    const ta = a[v];
    const tb = b[v];
    if (!ta || !tb || ta.dtype !== 'float32' || ta.dims.length === 0 || ta.dims.length !== tb.dims.length)
      continue;
    const differ = ta.dims.flatMap((d, i) => (d === tb.dims[i] ? [] : [i]));
    const axis = differ[0]!;
    if (differ.length !== 1 || tb.dims[axis] !== 2 * ta.dims[axis]!) continue;
    const layout = { axis, dims: [...ta.dims] };
    const slice = new Float32Array(ta.data.length);
    storeImages(slice, layout, tb.dims, tb.data as Float32Array, 0, 1);
    if (close(ta.data as Float32Array, slice)) out.set(v, layout);
  }
  return out;
}

/** A cached golden value: every image's slice, image after image. */
export interface Cached extends ImageLayout {
  data: Float32Array;
  /** Elements per image. */
  size: number;
}

/**
 * Copies images [0, count) of a batch output (dims `dims`, batch along `layout.axis`) into
 * `store` (image-major) from image `first` on.
 */
export function storeImages(
  store: Float32Array,
  layout: ImageLayout,
  dims: readonly number[],
  data: Float32Array,
  first: number,
  count = dims[layout.axis]! / layout.dims[layout.axis]!,
): void {
  const size = numel(layout.dims);
  const n = dims[layout.axis]! / layout.dims[layout.axis]!;
  if (layout.axis === 0) {
    store.set(data.subarray(0, count * size), first * size);
    return;
  }
  const outer = numel(dims.slice(0, layout.axis));
  const inner = size / outer;
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < count; j++)
      store.set(data.subarray((o * n + j) * inner, (o * n + j + 1) * inner), (first + j) * size + o * inner);
}

/**
 * The dims of one image's contiguous block when images run along axis 0: without the batch
 * axis for one row per image ([C, H, W]), with it for several ([tokens, width] of a
 * [batch·tokens, width] matrix). Null when images run along another axis.
 */
export function rowDims(c: ImageLayout): number[] | null {
  if (c.axis !== 0) return null;
  return c.dims[0] === 1 ? c.dims.slice(1) : [...c.dims];
}

/** The batch of images `idx` of a cached value, as the graph lays it out (a view when it can be). */
export function feedImages(c: Cached, idx: Int32Array): Tensor<'float32'> {
  const n = idx.length;
  const dims = c.dims.map((d, i) => (i === c.axis ? d * n : d));
  const first = idx[0]!;
  if (c.axis === 0 && idx[n - 1]! - first === n - 1)
    return tensor('float32', dims, c.data.subarray(first * c.size, (first + n) * c.size));
  const out = new Float32Array(n * c.size);
  const outer = numel(c.dims.slice(0, c.axis));
  const inner = c.size / outer;
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < n; j++) {
      const from = idx[j]! * c.size + o * inner;
      out.set(c.data.subarray(from, from + inner), (o * n + j) * inner);
    }
  return tensor('float32', dims, out);
}

/**
 * The values to cache so that the suffixes from `starts` recompute as little as possible: the
 * per-image values crossing each cut, and, behind each value that is not per-image, the nearest
 * per-image values it is computed from (the same walk `suffixNodes` makes).
 */
export function valuesToCache(
  graph: Graph,
  starts: readonly number[],
  perImage: ReadonlySet<string>,
): string[] {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o) producer.set(o, i);
  });
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const want = new Set<string>();
  for (const start of new Set(starts)) {
    const seen = new Set<string>();
    const stack = cutValues(graph, start);
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (seen.has(v) || inputs.has(v) || graph.initializers.has(v)) continue;
      seen.add(v);
      if (perImage.has(v)) {
        want.add(v);
        continue;
      }
      const p = producer.get(v);
      if (p !== undefined) for (const i of graph.nodes[p]!.inputs) if (i) stack.push(i);
    }
  }
  // In graph order, so callers can prefer the cuts of later layers.
  return graph.nodes.flatMap((n) => n.outputs).filter((o) => want.has(o));
}
