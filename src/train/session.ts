/**
 * A training graph loaded into ONNX Runtime: one session for every step, fed the current state
 * (weights, running statistics) each run and returning the loss, the prediction, the gradients
 * and the BatchNorm batch statistics.
 */
import { nth } from '../core/checked.js';
import type { Rng } from '../core/rng.js';
import { cloneModel, materializeIdentityConstants } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { numel, type Tensor, tensor } from '../onnx/tensor.js';
import { createSession, type Session, type SessionOptions } from '../runtime/session.js';
import { buildTrainingGraph, type TrainingGraph, type TrainingGraphOptions } from './autodiff/graph.js';
import { deriveInput } from './layouts.js';
import { type FloatArray, WeightStore } from './weights.js';

/** Inputs of one forward+backward run. */
export interface StepInputs {
  /** The data batch (normalized images), for a model with one data input. */
  x?: Tensor;
  /** Every data input's batch by name, for models with several or integer inputs (token ids). */
  feeds?: Record<string, Tensor>;
  /** Class labels, for the cross-entropy objective. */
  labels?: ArrayLike<number>;
  /** Output gradient, for the 'seed' objective (same shape as the prediction). */
  seed?: Tensor;
  /** Draws the dropout masks of this step (required when the graph has dropout). */
  dropoutRng?: Rng;
  /** Values fed instead of the store's for this run only (e.g. |θ| for SynFlow). */
  overrides?: ReadonlyMap<string, FloatArray>;
}

/** Batch statistics of one BatchNormalization node. */
export interface BatchStats {
  mean: FloatArray;
  /** Biased variance (normalization uses it; the running update unbiases it). */
  variance: FloatArray;
  /** Elements per channel the statistics were computed over. */
  count: number;
}

/** Results of one run. */
export interface StepOutputs {
  loss: number;
  prediction: Tensor;
  /** Gradient per requested value (zeros for values the objective does not reach). */
  grads: Map<string, FloatArray>;
  /** By BatchNormalization node name. */
  batchStats: Map<string, BatchStats>;
}

/** Options of `GradientSession.create`. */
export interface GradientSessionOptions extends TrainingGraphOptions {
  threads?: number;
  optimization?: SessionOptions['optimization'];
  /** ORT per-op profiling file prefix (see `endProfiling`); benchmarks only. */
  profile?: string;
  memoryPattern?: boolean;
  /** Share an existing state (e.g. the trainer's) instead of copying the model's initializers. */
  weights?: WeightStore;
}

/**
 * Returns a copy of the model with Identity-aliased initializers materialized (PyTorch exports
 * deduplicate equal tensors): the form training reads and writes.
 */
export function prepareForTraining(model: Model): Model {
  const m = cloneModel(model);
  materializeIdentityConstants(m.graph);
  return m;
}

/** One training graph in one runtime session, plus the state it is fed. */
export class GradientSession {
  private readonly derived = new Map<string, FloatArray>();

  private constructor(
    readonly graph: TrainingGraph,
    readonly weights: WeightStore,
    private readonly session: Session,
  ) {}

  /**
   * Builds the training graph of `model` (see `buildTrainingGraph`) and loads it. The state
   * comes from `options.weights` or from the model's own initializers.
   */
  static async create(model: Model, options: GradientSessionOptions = {}): Promise<GradientSession> {
    const prepared = prepareForTraining(model);
    const graph = buildTrainingGraph(prepared, options);
    const weights = options.weights ?? WeightStore.fromModel(prepared);
    const session = await createSession(graph.model, {
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.optimization ? { optimization: options.optimization } : {}),
      ...(options.profile !== undefined ? { profile: options.profile } : {}),
      ...(options.memoryPattern !== undefined ? { memoryPattern: options.memoryPattern } : {}),
    });
    return new GradientSession(graph, weights, session);
  }

  /** Runs forward, objective and backward on one batch. */
  async run(inputs: StepInputs): Promise<StepOutputs> {
    const g = this.graph;
    const feeds: Record<string, Tensor> = inputs.feeds ? { ...inputs.feeds } : {};
    if (inputs.x) feeds[g.dataInput] = inputs.x;
    const first = feeds[g.dataInput];
    if (!first) throw new TypeError(`no batch for the data input '${g.dataInput}' (pass x or feeds)`);
    const n = nth(first.dims, 0);
    if (g.labelsInput) {
      if (!inputs.labels) throw new TypeError('this training graph needs labels (cross-entropy objective)');
      feeds[g.labelsInput] = tensor('int64', [n], BigInt64Array.from(Array.from(inputs.labels, BigInt)));
    }
    if (g.seedInput) {
      if (!inputs.seed) throw new TypeError("this training graph needs a seed tensor ('seed' objective)");
      feeds[g.seedInput] = inputs.seed;
    }
    for (const m of g.dropoutMasks) {
      if (!inputs.dropoutRng) throw new TypeError('this training graph has dropout: pass dropoutRng');
      const dims = [n, ...m.shape.slice(1)];
      const mask = g.dtype === 'float64' ? new Float64Array(numel(dims)) : new Float32Array(numel(dims));
      const keep = 1 - m.ratio;
      const scale = 1 / keep;
      for (let i = 0; i < mask.length; i++) mask[i] = inputs.dropoutRng.float() < keep ? scale : 0;
      feeds[m.input] =
        g.dtype === 'float64'
          ? tensor('float64', dims, mask as Float64Array)
          : tensor('float32', dims, mask as Float32Array);
    }
    for (const name of g.stateInputs) {
      const over = inputs.overrides?.get(name);
      const dims = this.weights.dimsOf(name);
      feeds[name] = over
        ? over instanceof Float64Array
          ? tensor('float64', dims, over)
          : tensor('float32', dims, over)
        : this.weights.tensor(name);
    }
    for (const d of g.derivedInputs) {
      const src = inputs.overrides?.get(d.source) ?? this.weights.get(d.source);
      const buf = deriveInput(d, src, this.weights.dimsOf(d.source), this.derived.get(d.name));
      this.derived.set(d.name, buf);
      feeds[d.name] =
        buf instanceof Float64Array ? tensor('float64', d.dims, buf) : tensor('float32', d.dims, buf);
    }
    const out = await this.session.run(feeds);
    const grads = new Map<string, FloatArray>();
    for (const w of g.wrt) {
      const o = g.gradOutputs.get(w);
      if (o) grads.set(w, out[o]!.data as FloatArray);
      else {
        const size = this.weights.has(w) ? this.weights.get(w).length : numel(feeds[w]?.dims ?? []);
        grads.set(w, g.dtype === 'float64' ? new Float64Array(size) : new Float32Array(size));
      }
    }
    const batchStats = new Map<string, BatchStats>();
    for (const s of g.bnStats) {
      const mean = out[s.meanOutput]!.data as FloatArray;
      batchStats.set(s.node, {
        mean,
        variance: out[s.varOutput]!.data as FloatArray,
        count: n * s.perImage,
      });
    }
    return {
      loss: Number(out[g.lossOutput]!.data[0]),
      prediction: out[g.predictionOutput]!,
      grads,
      batchStats,
    };
  }

  /** Writes the ORT profile of a session created with `profile`. */
  endProfiling(): void {
    this.session.endProfiling();
  }

  /** Frees the runtime session. */
  release(): Promise<void> {
    return this.session.release();
  }
}
