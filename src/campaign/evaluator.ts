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
 * - with `safeDrop`, delta-path images whose golden top-1 margin exceeds a sound bound on the
 *   fault's logit change are scored as golden without inference (`safe-drop.ts`).
 * Naive mode runs the whole graph for every image, with the faulty layers' weights as inputs.
 * This class is the façade over the parts: `golden.ts` (the golden pass and its cache),
 * `suffix-sessions.ts` (sessions per cut point, working weights), `delta.ts` (the delta path, with
 * the layer geometry of `layer-geometry.ts`) and `affected.ts` (which images a fault can reach).
 * Every session's golden reference is computed by that session itself, so kernel choices never
 * show up as SDCs. Both modes give identical predictions, SDC counts and NaN/Inf counts (asserted
 * by the tests); logits agree to float32 rounding (summation order differs between the delta,
 * a suffix session and the full graph), e.g. within 1e-4 on AlexNet-CIFAR with finite logits.
 */
import { argmaxRows } from '../core/argmax.js';
import { PrunefiError } from '../core/errors.js';
import type { ProgressCallback } from '../core/progress.js';
import { foldBatchNorm } from '../fault/fold-bn.js';
import {
  type Fault,
  type MemoryOptions,
  type StoredLayer,
  StoredModel,
  type TensorChange,
} from '../fault/memory.js';
import { cloneModel, materializeIdentityConstants, topoSort } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { affectedImages } from './affected.js';
import { DeltaPath } from './delta.js';
import { GoldenCache } from './golden.js';
import { type Golden, goldenOutcome, type Outcome, type OutcomeMeta, scoreOutcome } from './outcome.js';
import { type DropStats, SafeDrop } from './safe-drop.js';
import { allRows, type ImageInput, type SampleInput, samplesOf } from './samples.js';
import { injectionOptimization, SuffixSessions } from './suffix-sessions.js';

export type { ImageInput, SampleInput } from './samples.js';
export { injectionOptimization } from './suffix-sessions.js';

/**
 * The model as a campaign injects into it (Identity-aliased initializers materialized, nodes in
 * topological order, BatchNorm folded unless `foldBn: false`) and its weights as stored: the
 * memory that a campaign's experiment indices, layers and bits refer to.
 */
export function storedModelOf(
  source: Model,
  options: MemoryOptions & { foldBn?: boolean } = {},
): { model: Model; memory: StoredModel } {
  const model = injectedGraph(source, options);
  return { model, memory: new StoredModel(model.graph, options) };
}

/**
 * The graph `storedModelOf` stores, without building its memory: what the campaign computes
 * fault-free (Ranger profiles its activations on it).
 */
export function injectedGraph(source: Model, options: { foldBn?: boolean } = {}): Model {
  const model = cloneModel(source);
  materializeIdentityConstants(model.graph);
  model.graph.nodes = topoSort(model.graph);
  return options.foldBn !== false ? foldBatchNorm(model).model : model;
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
  /**
   * Fast mode with `delta`: score as golden, without inference, every image whose golden top-1
   * margin exceeds a sound bound on how far the fault can move its logits (default false: outcomes
   * stay identical, but the logits and `maxLogitDeviation` then cover the inferred images only).
   */
  safeDrop?: boolean;
  /** Reports the golden passes (they take as long as a few full inferences). */
  onProgress?: ProgressCallback;
}

/** An experiment's outcome plus, on request, its per-image predictions and logits. */
export interface DetailedOutcome extends Outcome {
  predictions: Int32Array;
  logits: Float32Array;
}

/** Evaluates experiments on one model and image set. Call `release()` when done. */
export class Evaluator {
  readonly memory: StoredModel;
  readonly mode: 'fast' | 'naive';
  /** The golden run of the unmodified (constant-weight) model: the campaign's reference accuracy. */
  readonly golden: Golden;
  readonly images: number;
  private readonly model: Model;
  private readonly sampleLabels: ArrayLike<number>;
  private readonly cache: GoldenCache;
  private readonly suffixes: SuffixSessions;
  /** Fast mode with `delta` on; otherwise undefined. */
  private readonly deltaPath: DeltaPath | undefined;
  /** Proven-safe dropping on the delta path (`safeDrop`); otherwise undefined. */
  private readonly safeDrop: SafeDrop | undefined;
  /** Seconds `create` took (the golden pass). */
  private readonly createSeconds: number;
  /** Seconds spent per phase of `evaluate` (excluding setup): fault decoding and image analysis, inference. */
  readonly timings = { analysis: 0, inference: 0 };

  private constructor(
    model: Model,
    memory: StoredModel,
    labels: ArrayLike<number>,
    options: EvaluatorOptions,
    parts: { cache: GoldenCache; golden: Golden; suffixes: SuffixSessions; createSeconds: number },
  ) {
    this.model = model;
    this.memory = memory;
    this.sampleLabels = labels;
    this.mode = options.mode ?? 'fast';
    this.golden = parts.golden;
    this.images = parts.cache.images;
    this.cache = parts.cache;
    this.suffixes = parts.suffixes;
    this.createSeconds = parts.createSeconds;
    this.deltaPath =
      this.mode === 'fast' && options.delta !== false
        ? new DeltaPath(model.graph, memory, parts.cache, parts.suffixes, parts.golden.classes)
        : undefined;
    this.safeDrop = this.deltaPath && options.safeDrop ? new SafeDrop(model.graph, parts.cache) : undefined;
  }

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
    const optimization = injectionOptimization(model);
    const { cache, golden } = await GoldenCache.create(model, feeds, count, {
      mode: options.mode ?? 'fast',
      batch,
      budget: (options.cacheMiB ?? 4096) * 2 ** 20,
      starts: memory.layers.map((l) => l.nodeIndex),
      threads: options.threads,
      optimization,
      onProgress: options.onProgress,
    });
    if (input.labels.length !== count * golden.positions) {
      const per =
        golden.positions === 1 ? 'one per sample' : `${golden.positions} per sample, one per output position`;
      throw new RangeError(
        `labels: ${input.labels.length} labels for ${count} samples; the model's output needs ${count * golden.positions} (${per})`,
      );
    }
    const suffixes = new SuffixSessions(model, memory, cache, golden, {
      batch,
      threads: options.threads,
      optimization,
    });
    const createSeconds = (performance.now() - t0) / 1000;
    return new Evaluator(model, memory, input.labels, options, { cache, golden, suffixes, createSeconds });
  }

  /** Seconds spent on golden passes and session creation (setup, amortized over a campaign). */
  get setupSeconds(): number {
    return this.createSeconds + this.suffixes.setupSeconds;
  }

  /** Bytes of golden activations cached (grows when layer outputs are cached for the delta path). */
  get cacheBytes(): number {
    return this.cache.bytes;
  }

  /** The label of every scored position (one per sample for a classifier). */
  get labels(): ArrayLike<number> {
    return this.sampleLabels;
  }

  /** The golden run scored against the labels (correct samples, scored tokens). */
  get goldenScore(): Outcome {
    return goldenOutcome(this.golden, this.sampleLabels, 'none', {
      wordsChanged: 0,
      corrected: 0,
      detected: 0,
    });
  }

  /** What proven-safe dropping did, per bit of single-fault experiments (empty when it is off). */
  get dropStats(): DropStats[] {
    return this.safeDrop?.perBit() ?? [];
  }

  /** Releases every session. */
  release(): Promise<void> {
    return this.suffixes.release();
  }

  /** Number of sessions created so far (one per cut point used). */
  get sessions(): number {
    return this.suffixes.count;
  }

  /** Runs one experiment and returns its outcome (with per-image detail when asked). */
  async evaluate(faults: readonly Fault[]): Promise<Outcome>;
  async evaluate(faults: readonly Fault[], detail: true): Promise<DetailedOutcome>;
  async evaluate(faults: readonly Fault[], detail = false): Promise<Outcome | DetailedOutcome> {
    const { wordsChanged, changes, corrected, detected } = this.memory.apply(faults);
    if (wordsChanged === 0 || changes.length === 0) {
      const o = goldenOutcome(this.golden, this.sampleLabels, wordsChanged === 0 ? 'none' : 'masked', {
        wordsChanged,
        corrected,
        detected,
      });
      this.recordDrop(faults, 0, 0);
      return detail
        ? { ...o, predictions: this.golden.predictions.slice(), logits: this.golden.logits.slice() }
        : o;
    }
    const layers = [...new Set(changes.map((c) => this.memory.layerOf(c.tensor.name)))];
    const single = layers.length === 1 ? layers[0]! : undefined;
    const weightsChanged = changes.reduce((s, c) => s + c.positions.length, 0);
    const meta = { wordsChanged, weightsChanged, corrected, detected };
    const delta = single && this.deltaPath ? await this.deltaPath.output(single, changes) : null;
    let d = delta;
    if (delta && this.safeDrop) {
      const ta = performance.now();
      const kept = this.safeDrop.filter(delta, single?.nodeIndex ?? 0);
      this.timings.analysis += (performance.now() - ta) / 1000;
      this.recordDrop(faults, kept.dropped, kept.rows.length);
      d = kept;
    } else this.recordDrop(faults, 0, 1);
    if (d) {
      const tb = performance.now();
      const logits = d.suffix
        ? await this.suffixes.run(d.suffix, d.rows, new Map([[d.value, d.faulty]]))
        : d.faulty;
      this.timings.analysis += d.analysisSeconds;
      this.timings.inference += (performance.now() - tb) / 1000;
      return this.finish(d.golden, d.rows, logits, meta, detail);
    }
    return this.evaluateSuffix(layers, single, changes, meta, detail);
  }

  /** Counts a single-fault experiment in the per-bit dropping statistics (when dropping is on). */
  private recordDrop(faults: readonly Fault[], dropped: number, ran: number): void {
    const [only] = faults;
    if (this.safeDrop && only && faults.length === 1)
      this.safeDrop.record(only.bit, this.images, dropped, ran);
  }

  /**
   * Runs the graph from the earliest faulty layer (from the input in naive mode) with the faulty
   * layers' weights patched in, on the images the change can reach.
   */
  private async evaluateSuffix(
    layers: readonly StoredLayer[],
    single: StoredLayer | undefined,
    changes: readonly TensorChange[],
    meta: OutcomeMeta,
    detail: boolean,
  ): Promise<Outcome | DetailedOutcome> {
    const from = Math.min(...layers.map((l) => l.nodeIndex));
    const weights = (
      single
        ? single.tensors
        : this.memory.layers.filter((l) => l.nodeIndex >= from).flatMap((l) => l.tensors)
    ).flatMap((t) => t.graphInputs);
    // Values crossing the cut that are not cached (over the budget, not per-image) are
    // recomputed inside the suffix from earlier cached values or the graph input.
    const start = this.mode === 'naive' ? 0 : from;
    const key = single ? `layer:${single.name}@${start}` : `from:${from}@${start}`;
    const suffix = await this.suffixes.get(key, start, weights);
    const ta = performance.now();
    const rows =
      single && start > 0
        ? affectedImages(this.model.graph, this.memory, this.cache, single, changes)
        : allRows(this.images);
    const tb = performance.now();
    const logits = await this.suffixes.withPatch(changes, () => this.suffixes.run(suffix, rows));
    this.timings.analysis += (tb - ta) / 1000;
    this.timings.inference += (performance.now() - tb) / 1000;
    return this.finish(suffix.golden, rows, logits, meta, detail);
  }

  /** Scores the faulty logits of `rows` (every other image is golden), with detail when asked. */
  private finish(
    golden: Golden,
    rows: Int32Array,
    logits: Float32Array,
    meta: OutcomeMeta,
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

  /** The node index of a stored layer (for grouping experiments by cut point). */
  cutOf(faults: readonly Fault[]): number {
    let best = Number.POSITIVE_INFINITY;
    for (const f of faults) best = Math.min(best, this.memory.layerOf(f.tensor).nodeIndex);
    return best;
  }
}
