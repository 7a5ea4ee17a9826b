/**
 * The golden pass of an evaluator and the golden values it keeps: the unmodified model's logits
 * (the campaign's reference), and in fast mode the per-image activations at the cuts, kept within
 * a memory budget so suffix sessions and the delta path can start from them instead of the input.
 */
import type { ProgressCallback } from '../core/progress.js';
import { withOutputs } from '../fault/cut.js';
import type { Model } from '../onnx/ir.js';
import { type DType, numel, type Tensor } from '../onnx/tensor.js';
import { createSession, type Session } from '../runtime/session.js';
import {
  type Cached,
  feedImages,
  floatValues,
  type ImageLayout,
  perImageValues,
  storeImages,
  valuesToCache,
} from './cut-cache.js';
import { type Golden, makeGolden } from './outcome.js';
import { concatBatches, sampleRange, sampleRows } from './samples.js';

/** How `GoldenCache.create` runs the golden pass. */
export interface GoldenPassOptions {
  /** 'fast' caches activations at the cuts; 'naive' only needs the logits. */
  mode: 'fast' | 'naive';
  /** Images per runtime call. */
  batch: number;
  /** Budget for cached activations, in bytes. */
  budget: number;
  /** Node indices where faulty suffixes may start (the stored layers'). */
  starts: readonly number[];
  threads: number | undefined;
  optimization: 'all' | 'extended';
  onProgress?: ProgressCallback;
}

/**
 * Every golden value a suffix may be fed: the data inputs' samples and the cached activations,
 * plus the element type of every cut value (suffix models declare their inputs with it).
 */
export class GoldenCache {
  /** Bytes of activations cached (grows when layer outputs are cached for the delta path). */
  bytes: number;

  private constructor(
    /** Every data input's samples (axis 0), by graph input name. */
    private readonly feeds: ReadonlyMap<string, Tensor>,
    /** Samples in the image set. */
    readonly images: number,
    /** Element type of every cut value, from shape inference (cached layer outputs are float32). */
    readonly types: Map<string, DType>,
    private readonly values: Map<string, Cached>,
    /** Budget for activations, in bytes. */
    private readonly budget: number,
  ) {
    let bytes = 0;
    for (const c of values.values()) bytes += c.data.byteLength;
    this.bytes = bytes;
  }

  /**
   * Runs the golden pass of `model` (constant golden weights) on the samples and keeps, in fast
   * mode, the per-image float32 values the suffixes from `starts` need, those of later layers
   * first while they fit the budget. Returns the cache and the model's golden run.
   */
  static async create(
    model: Model,
    feeds: ReadonlyMap<string, Tensor>,
    images: number,
    options: GoldenPassOptions,
  ): Promise<{ cache: GoldenCache; golden: Golden }> {
    const g = model.graph;
    // Fast mode caches golden activations at the cuts: per-image float32 values only (see
    // cut-cache.ts); the probe session outputs every candidate to measure which those are.
    const { names: candidates, types } =
      options.mode === 'fast' ? floatValues(g) : { names: [], types: new Map<string, DType>() };
    const probe = await createSession(withOutputs(model, candidates, types), {
      threads: options.threads,
      optimization: options.optimization,
      // The probe outputs every cached value; an arena would keep that peak until it is released.
      memoryArena: false,
    });
    const values = new Map<string, Cached>();
    try {
      const perImage = await perImageValues(probe, feeds, candidates);
      const wanted = valuesToCache(g, options.starts, new Set(perImage.keys()));
      let bytes = 0;
      const keep: string[] = [];
      // Prefer the cuts of later layers: they hold most weights, so most faults land there.
      // Values that do not fit the budget are recomputed from earlier ones (or the input).
      for (const v of [...wanted].reverse()) {
        const need = numel(perImage.get(v)!.dims) * 4 * images;
        if (bytes + need <= options.budget) {
          keep.push(v);
          bytes += need;
        }
      }
      const golden = await goldenPass(
        probe,
        feeds,
        images,
        g.outputs[0]!.name,
        new Map(keep.map((v) => [v, perImage.get(v)!])),
        options.batch,
        values,
        options.onProgress,
      );
      return { cache: new GoldenCache(feeds, images, types, values, options.budget), golden };
    } finally {
      await probe.release();
    }
  }

  /** Whether a golden value is fed to suffixes from the cache (others are recomputed in them). */
  readonly fed = (value: string): boolean => this.values.has(value);

  /** A cached activation, if it is cached. */
  get(name: string): Cached | undefined {
    return this.values.get(name);
  }

  /** Whether `bytes` more would still fit the activation budget. */
  fits(bytes: number): boolean {
    return this.bytes + bytes <= this.budget;
  }

  /** Caches a float32 golden value computed after the golden pass (a layer's output). */
  add(name: string, value: Cached): void {
    this.types.set(name, 'float32');
    this.values.set(name, value);
    this.bytes += value.data.byteLength;
  }

  /** The golden value `name` for images `idx` (a zero-copy view when they are contiguous). */
  feed(name: string, idx: Int32Array): Tensor {
    const input = this.feeds.get(name);
    if (input) return sampleRows(input, idx);
    const src = this.values.get(name);
    if (!src) throw new Error(`golden value '${name}' is not cached`);
    return feedImages(src, idx);
  }

  /** A float32 golden value laid out per image: cached, or a float32 graph input. */
  value(name: string): Cached | undefined {
    const input = this.feeds.get(name);
    if (input?.dtype !== 'float32') return this.values.get(name);
    const dims = [1, ...input.dims.slice(1)];
    return { data: input.data as Float32Array, size: numel(dims), dims, axis: 0 };
  }
}

/** Runs the golden pass in batches, filling `cache` with the kept cut values. */
async function goldenPass(
  session: Session,
  feeds: ReadonlyMap<string, Tensor>,
  n: number,
  outputName: string,
  keep: ReadonlyMap<string, ImageLayout>,
  batch: number,
  cache: Map<string, Cached>,
  onProgress?: ProgressCallback,
): Promise<Golden> {
  const parts: Float32Array[] = [];
  let classes = 0;
  for (let b = 0; b < n; b += batch) {
    const e = Math.min(n, b + batch);
    const out = await session.run(sampleRange(feeds, b, e), [outputName, ...keep.keys()]);
    // The class axis is the output's last: [N, C] for a classifier, [N, T, C] per token.
    classes = out[outputName]!.dims.at(-1) ?? 1;
    parts.push(out[outputName]!.data as Float32Array);
    for (const [v, layout] of keep) {
      const t = out[v]!;
      let c = cache.get(v);
      if (!c) {
        const size = numel(layout.dims);
        c = { ...layout, data: new Float32Array(size * n), size };
        cache.set(v, c);
      }
      storeImages(c.data, layout, t.dims, t.data as Float32Array, b);
    }
    onProgress?.({ unit: 'images', done: e, total: n, phase: 'golden activations' });
  }
  return makeGolden(concatBatches(parts), n, classes);
}
