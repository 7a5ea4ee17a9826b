/**
 * Runs fault-injection experiments on a model over a fixed image set.
 *
 * Fast mode (the default) runs only what a fault can change:
 * - experiments whose faults change no stored word (or no decoded weight) are scored as golden
 *   without inference;
 * - golden activations at every cut point are cached once per (model, image set);
 * - faults in one Conv/Gemm layer (the common case) take the delta path: the layer's output is
 *   its cached golden output plus δ·x for each changed weight, and only the graph *after* the
 *   layer runs, with constant weights (so ONNX Runtime keeps its fastest kernels); images whose
 *   faulty output stays bit-identical to golden stop there;
 * - other faults run the graph suffix from the earliest faulty layer, with the faulty layers'
 *   weights as graph *inputs* (one session per cut point, created on first use and reused);
 * - for faults in one layer, only images whose golden input to the layer is non-zero somewhere
 *   the changed weights read are inferred: a weight multiplied only by zeros (a pruned channel, a
 *   ReLU-dead input) cannot change that image.
 * Naive mode runs the whole graph for every image, with the faulty layers' weights as inputs.
 * Every session's golden reference is computed by that session itself, so kernel choices never
 * show up as SDCs. Both modes give identical predictions, SDC counts and NaN/Inf counts (asserted
 * by the tests); logits agree to float32 rounding (summation order differs between the delta,
 * a suffix session and the full graph), e.g. within 1e-4 on AlexNet-CIFAR with finite logits.
 */
import { argmaxRows } from '../core/argmax.js';
import { PrunefiError } from '../core/errors.js';
import type { ProgressCallback } from '../core/progress.js';
import { suffixModel, withOutputs } from '../fault/cut.js';
import { foldBatchNorm } from '../fault/fold-bn.js';
import {
  type Fault,
  type MemoryOptions,
  type StoredLayer,
  StoredModel,
  type TensorChange,
} from '../fault/memory.js';
import { cloneModel, materializeIdentityConstants, topoSort } from '../onnx/graph.js';
import { getFloat, getInt, type Model, type Node } from '../onnx/ir.js';
import { windowGeometry } from '../onnx/shape/index.js';
import { type DType, numel, type Tensor, tensor } from '../onnx/tensor.js';
import { createSession, type Session } from '../runtime/session.js';
import {
  type Cached,
  feedImages,
  floatValues,
  type ImageLayout,
  perImageValues,
  rowDims,
  storeImages,
  valuesToCache,
} from './cut-cache.js';
import { type Golden, goldenOutcome, makeGolden, type Outcome, scoreOutcome } from './outcome.js';
import { type ImageInput, type SampleInput, sampleRange, sampleRows, samplesOf } from './samples.js';

export type { ImageInput, SampleInput } from './samples.js';

/**
 * The model as a campaign injects into it (Identity-aliased initializers materialized, nodes in
 * topological order, BatchNorm folded unless `foldBn: false`) and its weights as stored: the
 * memory that a campaign's experiment indices, layers and bits refer to.
 */
export function storedModelOf(
  source: Model,
  options: MemoryOptions & { foldBn?: boolean } = {},
): { model: Model; memory: StoredModel } {
  let model = cloneModel(source);
  materializeIdentityConstants(model.graph);
  model.graph.nodes = topoSort(model.graph);
  if (options.foldBn !== false) model = foldBatchNorm(model).model;
  return { model, memory: new StoredModel(model.graph, options) };
}

/**
 * The graph optimization level of injection sessions. ONNX Runtime 1.30's NCHWc layout pass
 * ('all') crashes the process (SIGSEGV) when a session also outputs intermediate values and a
 * Conv has a channel count that is not a multiple of the NCHWc block: ResNet18-CIFAR after L1
 * filter pruning at 30% (45, 90, 179, 358 channels) crashed the golden pass and every suffix
 * session; 'extended' (all fusions, no layout pass) runs them. Block sizes are 8 (AVX2) or 16
 * (AVX-512), so any output channel count that is not a multiple of 16 takes 'extended'.
 * Outcomes are unchanged: only kernels and layouts differ.
 */
export function injectionOptimization(model: Model): 'all' | 'extended' {
  const g = model.graph;
  const odd = g.nodes.some((n) => {
    if (n.opType !== 'Conv') return false;
    const w = g.initializers.get(n.inputs[1] ?? '');
    // Output channels: a first layer's 3 input channels are fine (unpruned ResNet18 runs).
    return !!w && w.dims[0]! % 16 !== 0;
  });
  return odd ? 'extended' : 'all';
}

/** What `Evaluator.create` prepares for the constructor: the golden pass and how sessions are built. */
interface Setup {
  golden: Golden;
  /** Element type of every cut value, from the probe run. */
  types: Map<string, DType>;
  cache: Map<string, Cached>;
  optimization: 'all' | 'extended';
}

/** How to evaluate experiments. */
export interface EvaluatorOptions extends MemoryOptions {
  /** Fold BatchNorm into the preceding conv before storing weights (default true). */
  foldBn?: boolean;
  /** 'fast' (suffix sessions, skipping) or 'naive' (full inference per experiment). Default 'fast'. */
  mode?: 'fast' | 'naive';
  /** Images per runtime call (default 250). */
  batch?: number;
  /** Intra-op threads per session. */
  threads?: number;
  /**
   * Budget for cached golden activations in MiB (default 4096). The cuts of the last layers are
   * cached first (they hold most weights); faults in layers whose cut does not fit run from the
   * graph input, as in naive mode.
   */
  cacheMiB?: number;
  /**
   * Fast mode: compute a faulty Conv/Gemm layer's output as its golden output plus the change
   * of the few weights that differ, and run the graph only after that layer (default true).
   */
  delta?: boolean;
  /** Reports the golden passes (they take as long as a few full inferences). */
  onProgress?: ProgressCallback;
}

/** An experiment's outcome plus, on request, its per-image predictions and logits. */
export interface DetailedOutcome extends Outcome {
  predictions: Int32Array;
  logits: Float32Array;
}

interface Variant {
  start: number;
  weights: string[];
  cuts: string[];
  session: Session;
  golden: Golden;
}

/** Evaluates experiments on one model and image set. Call `release()` when done. */
export class Evaluator {
  readonly memory: StoredModel;
  readonly mode: 'fast' | 'naive';
  /** The golden run of the unmodified (constant-weight) model: the campaign's reference accuracy. */
  readonly golden: Golden;
  readonly images: number;
  private readonly model: Model;
  /** Every data input's samples (axis 0), by graph input name. */
  private readonly feeds: ReadonlyMap<string, Tensor>;
  private readonly sampleLabels: ArrayLike<number>;
  private readonly outputName: string;
  private readonly batch: number;
  private readonly threads: number | undefined;
  /** See injectionOptimization. */
  private readonly optimization: 'all' | 'extended';
  private readonly delta: boolean;
  private readonly budget: number;
  private readonly types: Map<string, DType>;
  private readonly cache: Map<string, Cached>;
  private readonly work: Map<string, Float32Array>;
  private readonly variants = new Map<string, Promise<Variant>>();
  private readonly nodeIndex: Map<Node, number>;
  /** Seconds spent on golden passes and session creation (setup, amortized over a campaign). */
  setupSeconds = 0;
  /** Seconds spent per phase of `evaluate` (excluding setup): fault decoding and image analysis, inference. */
  readonly timings = { analysis: 0, inference: 0 };

  private constructor(
    model: Model,
    memory: StoredModel,
    input: { feeds: ReadonlyMap<string, Tensor>; count: number; labels: ArrayLike<number> },
    options: EvaluatorOptions,
    setup: Setup,
  ) {
    const { golden, types, cache, optimization } = setup;
    this.model = model;
    this.memory = memory;
    this.feeds = input.feeds;
    this.sampleLabels = input.labels;
    this.mode = options.mode ?? 'fast';
    this.batch = options.batch ?? 250;
    this.threads = options.threads;
    this.optimization = optimization;
    this.delta = options.delta !== false;
    this.budget = (options.cacheMiB ?? 4096) * 2 ** 20;
    this.golden = golden;
    this.images = input.count;
    this.outputName = model.graph.outputs[0]!.name;
    this.types = types;
    this.cache = cache;
    this.work = new Map(memory.tensors.map((t) => [t.name, t.golden.slice()]));
    this.nodeIndex = new Map(model.graph.nodes.map((n, i) => [n, i]));
    let bytes = 0;
    for (const c of cache.values()) bytes += c.data.byteLength;
    this.cacheBytes = bytes;
  }

  /** Bytes of golden activations cached (grows when layer outputs are cached for the delta path). */
  cacheBytes: number;

  /**
   * Prepares a model for injection: materializes Identity-aliased initializers, folds
   * BatchNorm (unless `foldBn: false`), encodes the weights in the chosen number and storage
   * formats, and runs the golden pass (caching the activations at every cut in fast mode).
   */
  static async create(
    source: Model,
    input: ImageInput | SampleInput,
    options: EvaluatorOptions = {},
  ): Promise<Evaluator> {
    const t0 = performance.now();
    const batch = options.batch ?? 250;
    if (!Number.isInteger(batch) || batch < 1)
      throw new RangeError(`batch must be a positive integer, got ${batch}`);
    const { model, memory } = storedModelOf(source, options);
    for (const [name, t] of memory.goldenInitializers()) model.graph.initializers.set(name, t);
    const g = model.graph;
    const { feeds, count } = samplesOf(g, input);
    if (g.outputs.length < 1)
      throw new PrunefiError(
        'ONNX_UNSUPPORTED',
        'fault injection needs a model with a logits output; this one has none',
      );
    const mode = options.mode ?? 'fast';
    const budget = (options.cacheMiB ?? 4096) * 2 ** 20;
    // Fast mode caches golden activations at the cuts: per-image float32 values only (see
    // cut-cache.ts); the probe session outputs every candidate to measure which those are.
    const { names: candidates, types } = mode === 'fast' ? floatValues(g) : { names: [], types: new Map() };
    const optimization = injectionOptimization(model);
    const probe = await createSession(withOutputs(model, candidates, types), {
      threads: options.threads,
      optimization,
    });
    const cache = new Map<string, Cached>();
    let golden: Golden;
    try {
      const perImage = await perImageValues(probe, feeds, candidates);
      const wanted = valuesToCache(
        g,
        memory.layers.map((l) => l.nodeIndex),
        new Set(perImage.keys()),
      );
      let bytes = 0;
      const keep: string[] = [];
      // Prefer the cuts of later layers: they hold most weights, so most faults land there.
      // Values that do not fit the budget are recomputed from earlier ones (or the input).
      for (const v of [...wanted].reverse()) {
        const need = numel(perImage.get(v)!.dims) * 4 * count;
        if (bytes + need <= budget) {
          keep.push(v);
          bytes += need;
        }
      }
      golden = await goldenPass(
        probe,
        feeds,
        count,
        g.outputs[0]!.name,
        new Map(keep.map((v) => [v, perImage.get(v)!])),
        batch,
        cache,
        options.onProgress,
      );
    } finally {
      await probe.release();
    }
    if (input.labels.length !== count * golden.positions) {
      const per =
        golden.positions === 1 ? 'one per sample' : `${golden.positions} per sample, one per output position`;
      throw new RangeError(
        `labels: ${input.labels.length} labels for ${count} samples; the model's output needs ${count * golden.positions} (${per})`,
      );
    }
    const ev = new Evaluator(model, memory, { feeds, count, labels: input.labels }, options, {
      golden,
      types,
      cache,
      optimization,
    });
    ev.setupSeconds = (performance.now() - t0) / 1000;
    return ev;
  }

  /** The label of every scored position (one per sample for a classifier). */
  get labels(): ArrayLike<number> {
    return this.sampleLabels;
  }

  /** The golden run scored against the labels (correct samples, scored tokens). */
  get goldenScore(): Outcome {
    return goldenOutcome(this.golden, this.sampleLabels, 'none', 0);
  }

  /** Releases every session. */
  async release(): Promise<void> {
    const vs = await Promise.all(this.variants.values());
    this.variants.clear();
    for (const v of vs) await v.session.release();
  }

  /** Number of sessions created so far (one per cut point used). */
  get sessions(): number {
    return this.variants.size;
  }

  /** Runs one experiment and returns its outcome (with per-image detail when asked). */
  async evaluate(faults: readonly Fault[]): Promise<Outcome>;
  async evaluate(faults: readonly Fault[], detail: true): Promise<DetailedOutcome>;
  async evaluate(faults: readonly Fault[], detail = false): Promise<Outcome | DetailedOutcome> {
    const { wordsChanged, changes } = this.memory.apply(faults);
    if (wordsChanged === 0 || changes.length === 0) {
      const o = goldenOutcome(
        this.golden,
        this.sampleLabels,
        wordsChanged === 0 ? 'none' : 'masked',
        wordsChanged,
      );
      return detail
        ? { ...o, predictions: this.golden.predictions.slice(), logits: this.golden.logits.slice() }
        : o;
    }
    const layers = [...new Set(changes.map((c) => this.memory.layerOf(c.tensor.name)))];
    const single = layers.length === 1 ? layers[0]! : undefined;
    const weightsChanged = changes.reduce((s, c) => s + c.positions.length, 0);
    if (single && this.mode === 'fast' && this.delta) {
      const d = await this.evaluateDelta(single, changes, { wordsChanged, weightsChanged }, detail);
      if (d) return d;
    }
    const from = Math.min(...layers.map((l) => l.nodeIndex));
    const weights = single
      ? single.tensors.map((t) => t.name)
      : this.memory.layers.filter((l) => l.nodeIndex >= from).flatMap((l) => l.tensors.map((t) => t.name));
    // Values crossing the cut that are not cached (over the budget, not per-image) are
    // recomputed inside the suffix from earlier cached values or the graph input.
    const start = this.mode === 'naive' ? 0 : from;
    const key = single ? `layer:${single.name}@${start}` : `from:${from}@${start}`;
    const variant = await this.variant(key, start, weights);
    const ta = performance.now();
    const rows = single && start > 0 ? this.affectedImages(single, changes) : allRows(this.images);
    const tb = performance.now();
    const logits = await this.withPatch(changes, () => this.run(variant, rows));
    this.timings.analysis += (tb - ta) / 1000;
    this.timings.inference += (performance.now() - tb) / 1000;
    return this.finish(variant.golden, rows, logits, { wordsChanged, weightsChanged }, detail);
  }

  private finish(
    golden: Golden,
    rows: Int32Array,
    logits: Float32Array,
    meta: Pick<Outcome, 'wordsChanged' | 'weightsChanged'>,
    detail: boolean,
  ): Outcome | DetailedOutcome {
    const outcome = scoreOutcome(golden, this.sampleLabels, rows, logits, meta);
    if (!detail) return outcome;
    const k = golden.classes;
    const full = golden.logits.slice();
    rows.forEach((img, r) => {
      full.set(logits.subarray(r * k, (r + 1) * k), img * k);
    });
    return { ...outcome, logits: full, predictions: argmaxRows(full, k) };
  }

  /**
   * The delta path for faults in one Conv/Gemm layer: the faulty layer output of each reachable
   * image is its cached golden output plus δ·x for every changed weight (δ = new − old, one
   * float32 rounding per added term, as a multiply-add unit would), and only the graph after
   * the layer runs, with constant weights. Images whose faulty output is bit-identical to golden
   * (every added term absorbed by rounding) stop there. Returns null when the layer or the
   * change is not one this path covers (non-finite weights, too many changes, uncached cuts).
   */
  private async evaluateDelta(
    layer: StoredLayer,
    changes: readonly TensorChange[],
    meta: Pick<Outcome, 'wordsChanged' | 'weightsChanged'>,
    detail: boolean,
  ): Promise<Outcome | DetailedOutcome | null> {
    const node = this.computeNode(layer, changes);
    if (!node) return null;
    const y = node.outputs[0]!;
    const x = node.inputs[0]!;
    let count = 0;
    for (const c of changes) {
      count += c.positions.length;
      for (let i = 0; i < c.positions.length; i++) {
        if (!Number.isFinite(c.values[i]!) || !Number.isFinite(c.tensor.golden[c.positions[i]!]!))
          return null;
      }
    }
    const after = layer.nodeIndex + 1;
    // The delta arithmetic indexes images of x and y as contiguous blocks (batch axis 0).
    const xDims = this.cache.has(x) ? rowDims(this.cache.get(x)!) : null;
    if (count > 256 || !xDims) return null;
    const geo = deltaGeometry(node, xDims, this.memory.tensor(node.inputs[1]!).dims);
    if (!geo || !(await this.ensureLayerOutput(layer.nodeIndex))) return null;
    // The last layer's output is the logits: nothing runs after it.
    const variant: Variant | null =
      y === this.outputName ? null : await this.variant(`delta:${layer.name}`, after, []);
    const ta = performance.now();
    const reach = this.affectedImages(layer, changes);
    const yc = this.cache.get(y)!;
    const xc = this.cache.get(x)!;
    // Per image: the new values of the output elements the changed weights touch, accumulated
    // in float32 as a multiply-add unit would; whole rows are copied only for images that change.
    const kept: number[] = [];
    const patches: Map<number, number>[] = [];
    const f32 = new Float32Array(1);
    for (const img of reach) {
      const patch = new Map<number, number>();
      const yb = img * yc.size;
      const xb = img * xc.size;
      const add = (at: number, d: number): void => {
        f32[0] = (patch.get(at) ?? yc.data[yb + at]!) + d;
        patch.set(at, f32[0]!);
      };
      for (const c of changes) {
        const bias = c.tensor.role === 'bias';
        for (let i = 0; i < c.positions.length; i++) {
          const p = c.positions[i]!;
          const delta = c.values[i]! - c.tensor.golden[p]!;
          if (bias) for (const at of geo.biasTargets(p)) add(at, geo.beta * delta);
          else geo.weightTerms(p, (at, xi) => add(at, geo.alpha * delta * xc.data[xb + xi]!));
        }
      }
      let differs = false;
      for (const [at, v] of patch) {
        if (!Object.is(v, yc.data[yb + at]!)) {
          differs = true;
          break;
        }
      }
      if (differs) {
        kept.push(img);
        patches.push(patch);
      }
    }
    const rows = Int32Array.from(kept);
    const faulty = new Float32Array(rows.length * yc.size);
    rows.forEach((img, r) => {
      faulty.set(yc.data.subarray(img * yc.size, (img + 1) * yc.size), r * yc.size);
      for (const [at, v] of patches[r]!) faulty[r * yc.size + at] = v;
    });
    const tb = performance.now();
    const logits = variant ? await this.run(variant, rows, new Map([[y, faulty]])) : faulty;
    this.timings.analysis += (tb - ta) / 1000;
    this.timings.inference += (performance.now() - tb) / 1000;
    return this.finish(variant?.golden ?? this.outputGolden(y), rows, logits, meta, detail);
  }

  private lastGolden: Golden | undefined;

  /** The golden reference of a delta on the output layer: its cached golden output. */
  private outputGolden(y: string): Golden {
    if (!this.lastGolden) {
      this.lastGolden = makeGolden(this.cache.get(y)!.data, this.images, this.golden.classes);
    }
    return this.lastGolden;
  }

  /**
   * Caches the golden output of the layer at node `index`, computed once by a session holding
   * only that node (constant weights) on the cached golden input. False when it does not fit the
   * cache budget.
   */
  private async ensureLayerOutput(index: number): Promise<boolean> {
    const node = this.model.graph.nodes[index]!;
    const y = node.outputs[0]!;
    if (this.cache.has(y)) return true;
    const t0 = performance.now();
    const segment = suffixModel(this.model, index, [], this.types, {
      fed: this.fed,
      segment: { end: index + 1, outputs: [y] },
    });
    const session = await createSession(segment, { threads: this.threads, optimization: this.optimization });
    try {
      const v: Variant = {
        start: index,
        weights: [],
        cuts: segment.graph.inputs.map((i) => i.name),
        session,
        golden: this.golden,
      };
      const first = await session.run(
        Object.fromEntries(v.cuts.map((c) => [c, this.cutFeed(c, Int32Array.of(0))])),
        [y],
      );
      // y has x's layout: images along axis 0, in blocks of the rows one image makes.
      const dims = [...first[y]!.dims];
      const size = numel(dims);
      if (first[y]!.dtype !== 'float32' || this.cacheBytes + size * 4 * this.images > this.budget)
        return false;
      this.types.set(y, 'float32');
      const data = await this.run(v, allRows(this.images), undefined, y);
      this.cache.set(y, { data, size, dims, axis: 0 });
      this.cacheBytes += data.byteLength;
      return true;
    } finally {
      await session.release();
      this.setupSeconds += (performance.now() - t0) / 1000;
    }
  }

  /** Whether a golden value is fed to suffixes from the cache (others are recomputed in them). */
  private readonly fed = (value: string): boolean => this.cache.has(value);

  private async withPatch<T>(changes: readonly TensorChange[], fn: () => Promise<T>): Promise<T> {
    for (const c of changes) {
      const w = this.work.get(c.tensor.name)!;
      c.positions.forEach((p, i) => {
        w[p] = c.values[i]!;
      });
    }
    try {
      return await fn();
    } finally {
      for (const c of changes) {
        const w = this.work.get(c.tensor.name)!;
        for (const p of c.positions) w[p] = c.tensor.golden[p]!;
      }
    }
  }

  private variant(key: string, start: number, weights: string[]): Promise<Variant> {
    const full = `${this.mode}:${key}`;
    let v = this.variants.get(full);
    if (!v) {
      v = this.createVariant(start, weights);
      this.variants.set(full, v);
    }
    return v;
  }

  private async createVariant(start: number, weights: string[]): Promise<Variant> {
    const t0 = performance.now();
    const suffix = suffixModel(this.model, start, weights, this.types, { fed: this.fed });
    const cuts = suffix.graph.inputs.map((i) => i.name).filter((n) => !weights.includes(n));
    const session = await createSession(suffix, { threads: this.threads, optimization: this.optimization });
    const v: Variant = {
      start,
      weights,
      cuts,
      session,
      golden: this.golden,
    };
    // The variant's own golden run: its kernels, not the full graph's, are the reference.
    v.golden = makeGolden(await this.run(v, allRows(this.images)), this.images, this.golden.classes);
    this.setupSeconds += (performance.now() - t0) / 1000;
    return v;
  }

  /**
   * Runs a variant on the given images (in batches) with the current working weights, and
   * returns `output` (default: the logits) of every row. `override` gives, for some cut values,
   * row-ordered data to feed instead of the cached golden values (the faulty layer output).
   */
  private async run(
    v: Variant,
    rows: Int32Array,
    override?: ReadonlyMap<string, Float32Array>,
    output = this.outputName,
  ): Promise<Float32Array> {
    const parts: Float32Array[] = [];
    const weightFeeds: Record<string, Tensor> = {};
    for (const w of v.weights) {
      const t = this.memory.tensor(w);
      weightFeeds[w] = tensor('float32', t.dims, this.work.get(w)!);
    }
    for (let b = 0; b < rows.length; b += this.batch) {
      const idx = rows.subarray(b, Math.min(rows.length, b + this.batch));
      const feeds: Record<string, Tensor> = { ...weightFeeds };
      for (const c of v.cuts) {
        const o = override?.get(c);
        if (o) {
          const src = this.cache.get(c)!;
          const end = Math.min(rows.length, b + this.batch);
          const dims = src.dims.map((d, i) => (i === 0 ? d * idx.length : d));
          feeds[c] = tensor('float32', dims, o.subarray(b * src.size, end * src.size));
        } else feeds[c] = this.cutFeed(c, idx);
      }
      const out = await v.session.run(feeds, [output]);
      parts.push(out[output]!.data as Float32Array);
    }
    if (parts.length === 1) return parts[0]!;
    const total = parts.reduce((s, p) => s + p.length, 0);
    const all = new Float32Array(total);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return all;
  }

  /** The golden value `name` for images `idx` (a zero-copy view when they are contiguous). */
  private cutFeed(name: string, idx: Int32Array): Tensor {
    const input = this.feeds.get(name);
    if (input) return sampleRows(input, idx);
    const src = this.cache.get(name);
    if (!src) throw new Error(`golden value '${name}' is not cached`);
    return feedImages(src, idx);
  }

  /** A float32 golden value laid out per image: cached, or a float32 graph input. */
  private goldenValue(name: string): Cached | undefined {
    const input = this.feeds.get(name);
    if (input?.dtype !== 'float32') return this.cache.get(name);
    const dims = [1, ...input.dims.slice(1)];
    return { data: input.data as Float32Array, size: numel(dims), dims, axis: 0 };
  }

  /**
   * The images a change in one layer can reach: those whose golden input to the layer is
   * non-zero at some position a changed weight multiplies. A bias change, a non-finite weight
   * (Inf·0 is NaN) or a change too large to analyse cheaply reaches every image.
   */
  private affectedImages(layer: StoredLayer, changes: readonly TensorChange[]): Int32Array {
    const node = this.computeNode(layer, changes);
    if (!node) return allRows(this.images);
    const x = node.inputs[0]!;
    const golden = this.goldenValue(x);
    const dims = golden ? rowDims(golden) : null;
    if (!golden || !dims) return allRows(this.images);
    const data = golden.data;
    let count = 0;
    for (const c of changes) {
      if (c.tensor.role === 'bias') return allRows(this.images);
      for (let i = 0; i < c.positions.length; i++) {
        if (!Number.isFinite(c.values[i]!) || !Number.isFinite(c.tensor.golden[c.positions[i]!]!)) {
          return allRows(this.images);
        }
      }
      count += c.positions.length;
    }
    if (count > 256) return allRows(this.images);
    const reads = readSets(node, this.memory.tensor(node.inputs[1]!).dims, dims, changes);
    if (!reads) return allRows(this.images);
    const size = numel(dims);
    const hit = new Uint8Array(this.images);
    for (let n = 0; n < this.images; n++) {
      const base = n * size;
      outer: for (const r of reads) {
        for (let i = 0; i < r.length; i++) {
          if (data[base + r[i]!] !== 0) {
            hit[n] = 1;
            break outer;
          }
        }
      }
    }
    const rows: number[] = [];
    for (let n = 0; n < this.images; n++) if (hit[n]) rows.push(n);
    return Int32Array.from(rows);
  }

  /**
   * The Conv/Gemm/MatMul node of a layer whose geometry the shortcuts (delta path, affected
   * images) know, when the layer starts at that node and the changes are all its own inputs;
   * otherwise (an embedding, a norm scale, a MatMul's separate bias Add) null.
   */
  private computeNode(layer: StoredLayer, changes: readonly TensorChange[]): Node | null {
    if (layer.computeIndex === undefined || layer.computeIndex !== layer.nodeIndex) return null;
    const node = this.model.graph.nodes[layer.computeIndex]!;
    return changes.every((c) => node.inputs.includes(c.tensor.name)) ? node : null;
  }

  /** The node index of a stored layer (for grouping experiments by cut point). */
  cutOf(faults: readonly Fault[]): number {
    let best = Number.POSITIVE_INFINITY;
    for (const f of faults) best = Math.min(best, this.memory.layerOf(f.tensor).nodeIndex);
    return best;
  }

  /** The index of a node in the prepared graph (for tests and diagnostics). */
  nodeAt(node: Node): number {
    return this.nodeIndex.get(node) ?? -1;
  }
}

function allRows(n: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}

/**
 * For each changed weight of a Conv/Gemm/MatMul, the per-image input offsets it multiplies, or
 * null when the layer's geometry is not one this analysis covers (then every image runs).
 */
function readSets(
  node: Node,
  wDims: readonly number[],
  xDims: readonly number[],
  changes: readonly TensorChange[],
): Int32Array[] | null {
  const out: Int32Array[] = [];
  // The inputs a weight reads are the input side of its delta terms.
  const geo = deltaGeometry(node, xDims, wDims);
  if (geo) {
    for (const c of changes) {
      for (const p of c.positions) {
        const xs: number[] = [];
        geo.weightTerms(p, (_at, xi) => xs.push(xi));
        out.push(Int32Array.from(xs));
      }
    }
    return out;
  }
  return null;
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
  const logits = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    logits.set(p, off);
    off += p.length;
  }
  return makeGolden(logits, n, classes);
}

/** Where a changed weight or bias of a layer lands in the layer's per-image output. */
interface DeltaGeometry {
  alpha: number;
  beta: number;
  /** Calls `term(outputOffset, inputOffset)` for every product the weight at flat index p takes part in. */
  weightTerms(p: number, term: (at: number, xi: number) => void): void;
  /** The output offsets a bias element adds to. */
  biasTargets(p: number): Iterable<number>;
}

/**
 * The delta geometry of a Conv (NCHW, 2-D), Gemm (transA = 0) or MatMul (weight [K, O]) node on
 * one image's block of x (`rowDims`), or null.
 */
function deltaGeometry(node: Node, xDims: readonly number[], wDims: readonly number[]): DeltaGeometry | null {
  if (node.opType === 'Conv' && xDims.length === 3 && wDims.length === 4) {
    const [C, H, W] = xDims as [number, number, number];
    const [O, Cg, KH, KW] = wDims as [number, number, number, number];
    const group = getInt(node, 'group', 1);
    const geo = windowGeometry(node, [1, C, H, W], [KH, KW]);
    const [Ho, Wo] = geo.outSpatial as [number, number];
    const [sh, sw] = geo.strides as [number, number];
    const [dh, dw] = geo.dilations as [number, number];
    const [pt, pl] = geo.pads as [number, number];
    return {
      alpha: 1,
      beta: 1,
      weightTerms(p, term) {
        const o = Math.floor(p / (Cg * KH * KW));
        const ci = Math.floor(p / (KH * KW)) % Cg;
        const i = Math.floor(p / KW) % KH;
        const j = p % KW;
        const ch = Math.floor(o / (O / group)) * Cg + ci;
        for (let yy = 0; yy < Ho; yy++) {
          const iy = yy * sh + i * dh - pt;
          if (iy < 0 || iy >= H) continue;
          for (let xx = 0; xx < Wo; xx++) {
            const ix = xx * sw + j * dw - pl;
            if (ix >= 0 && ix < W) term((o * Ho + yy) * Wo + xx, (ch * H + iy) * W + ix);
          }
        }
      },
      biasTargets: (p) => Array.from({ length: Ho * Wo }, (_, k) => p * Ho * Wo + k),
    };
  }
  if (node.opType === 'Gemm' && xDims.length >= 1 && wDims.length === 2 && getInt(node, 'transA', 0) === 0) {
    // Per image, x is one row [K] or a block of rows [R, K] (tokens of a [batch·tokens, K] matrix).
    const transB = getInt(node, 'transB', 0) === 1;
    const K = xDims.at(-1)!;
    const O = transB ? wDims[0]! : wDims[1]!;
    const rows = numel(xDims) / K;
    return {
      alpha: getFloat(node, 'alpha', 1),
      beta: getFloat(node, 'beta', 1),
      weightTerms(p, term) {
        const o = transB ? Math.floor(p / K) : p % O;
        const k = transB ? p % K : Math.floor(p / O);
        for (let r = 0; r < rows; r++) term(r * O + o, r * K + k);
      },
      biasTargets: (p) => Array.from({ length: rows }, (_, r) => r * O + p),
    };
  }
  if (node.opType === 'MatMul' && xDims.length >= 1 && wDims.length === 2 && xDims.at(-1) === wDims[0]) {
    // Per image, x is [..., K] (rows of tokens) and y is [..., O]: the weight W[k, o] adds
    // δ·x[r, k] to y[r, o] in every row r. MatMul has no bias (an Add after it is its own node).
    const [K, O] = wDims as [number, number];
    const rows = numel(xDims) / K;
    return {
      alpha: 1,
      beta: 1,
      weightTerms(p, term) {
        const k = Math.floor(p / O);
        const o = p % O;
        for (let r = 0; r < rows; r++) term(r * O + o, r * K + k);
      },
      biasTargets: () => [],
    };
  }
  return null;
}
