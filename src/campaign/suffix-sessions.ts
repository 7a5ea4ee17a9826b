/**
 * The ONNX Runtime sessions an evaluator runs faulty experiments on: one per cut point, each
 * holding the graph after the cut (`fault/cut.ts`) with the faulty layers' weights as graph inputs,
 * created on first use, kept for the campaign and released together. Each session's golden
 * reference is its own golden run, so kernel choices never show up as SDCs. The weights fed to
 * them are a working copy of the stored golden weights that an experiment patches and restores.
 */
import { suffixModel } from '../fault/cut.js';
import type { StoredModel, TensorChange } from '../fault/memory.js';
import { producers } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { traceInitializer } from '../onnx/params.js';
import { numel, type Tensor, tensor } from '../onnx/tensor.js';
import { createSession, type Session } from '../runtime/session.js';
import type { Cached } from './cut-cache.js';
import type { GoldenCache } from './golden.js';
import { type Golden, makeGolden } from './outcome.js';
import { allRows, concatBatches } from './samples.js';

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
  const from = producers(g);
  const odd = g.nodes.some((n) => {
    if (n.opType !== 'Conv') return false;
    // Through a quantized weight's DequantizeLinear too: its integers have the same dims.
    const w = g.initializers.get(traceInitializer(n.inputs[1] ?? '', g, from) ?? '');
    // Output channels: a first layer's 3 input channels are fine (unpruned ResNet18 runs).
    return !!w && w.dims[0]! % 16 !== 0;
  });
  return odd ? 'extended' : 'all';
}

/** A session of the graph after a cut, and what to feed it. */
export interface Suffix {
  /** Weight initializers fed as graph inputs (the working weights, see `StoredTensor.graphInputs`). */
  weights: string[];
  /** Golden values fed at the cut (data inputs or cached activations). */
  cuts: string[];
  session: Session;
  /** The session's own run with golden weights. */
  golden: Golden;
}

/** How suffix sessions are created and run. */
export interface SuffixOptions {
  /** Images per runtime call. */
  batch: number;
  threads: number | undefined;
  optimization: 'all' | 'extended';
}

/** The suffix sessions of one evaluator, by cut point. Call `release()` when done. */
export class SuffixSessions {
  private readonly outputName: string;
  /**
   * Weight initializers as the next run feeds them (decoded float32 weights, a quantized model's
   * integers, scales and zero points): golden, except while an experiment patches them.
   */
  private readonly work: Map<string, Tensor>;
  private readonly suffixes = new Map<string, Promise<Suffix>>();
  /** Seconds spent creating sessions and their golden runs (setup, amortized over a campaign). */
  setupSeconds = 0;

  constructor(
    private readonly model: Model,
    memory: StoredModel,
    private readonly cache: GoldenCache,
    /** The full model's golden run: the class count, and each session's reference until its own run. */
    private readonly reference: Golden,
    private readonly options: SuffixOptions,
  ) {
    this.outputName = model.graph.outputs[0]!.name;
    this.work = memory.goldenInitializers();
  }

  /** Number of sessions created so far (one per cut point used). */
  get count(): number {
    return this.suffixes.size;
  }

  /**
   * The session named `key` of the graph from node `start` on, fed `weights` as inputs: created
   * on first use (with its golden run), the same one after that.
   */
  get(key: string, start: number, weights: string[]): Promise<Suffix> {
    let s = this.suffixes.get(key);
    if (!s) {
      s = this.create(start, weights);
      this.suffixes.set(key, s);
    }
    return s;
  }

  private async create(start: number, weights: string[]): Promise<Suffix> {
    const t0 = performance.now();
    const suffix = suffixModel(this.model, start, weights, this.cache.types, { fed: this.cache.fed });
    const cuts = suffix.graph.inputs.map((i) => i.name).filter((n) => !weights.includes(n));
    const session = await this.open(suffix);
    const s: Suffix = { weights, cuts, session, golden: this.reference };
    // The session's own golden run: its kernels, not the full graph's, are the reference.
    s.golden = makeGolden(
      await this.run(s, allRows(this.cache.images)),
      this.cache.images,
      this.reference.classes,
    );
    this.setupSeconds += (performance.now() - t0) / 1000;
    return s;
  }

  private open(model: Model): Promise<Session> {
    // Without the arena: a campaign holds a session per cut point, and each arena would keep the
    // peak of its batches for the whole campaign (ResNet18-CIFAR, see README's fault-speed figures).
    return createSession(model, {
      threads: this.options.threads,
      optimization: this.options.optimization,
      memoryArena: false,
    });
  }

  /**
   * The golden output of the node at `index` for every image, computed once by a session holding
   * only that node (constant weights) on the cached golden input, and released after. Null when
   * it is not float32 or when `fits` refuses its bytes.
   */
  async nodeOutput(index: number, fits: (bytes: number) => boolean): Promise<Cached | null> {
    const y = this.model.graph.nodes[index]!.outputs[0]!;
    const t0 = performance.now();
    const segment = suffixModel(this.model, index, [], this.cache.types, {
      fed: this.cache.fed,
      segment: { end: index + 1, outputs: [y] },
    });
    const session = await this.open(segment);
    try {
      const s: Suffix = {
        weights: [],
        cuts: segment.graph.inputs.map((i) => i.name),
        session,
        golden: this.reference,
      };
      const first = await session.run(
        Object.fromEntries(s.cuts.map((c) => [c, this.cache.feed(c, Int32Array.of(0))])),
        [y],
      );
      // y has x's layout: images along axis 0, in blocks of the rows one image makes.
      const dims = [...first[y]!.dims];
      const size = numel(dims);
      if (first[y]!.dtype !== 'float32' || !fits(size * 4 * this.cache.images)) return null;
      const data = await this.run(s, allRows(this.cache.images), undefined, y);
      return { data, size, dims, axis: 0 };
    } finally {
      await session.release();
      this.setupSeconds += (performance.now() - t0) / 1000;
    }
  }

  /** Runs `fn` with the working weights patched by `changes`, restoring them to golden after. */
  async withPatch<T>(changes: readonly TensorChange[], fn: () => Promise<T>): Promise<T> {
    for (const c of changes) c.tensor.patchGraph(this.work, c, false);
    try {
      return await fn();
    } finally {
      for (const c of changes) c.tensor.patchGraph(this.work, c, true);
    }
  }

  /**
   * Runs a suffix on the given images (in batches) with the current working weights, and
   * returns `output` (default: the logits) of every row. `override` gives, for some cut values,
   * row-ordered data to feed instead of the cached golden values (the faulty layer output).
   */
  async run(
    s: Suffix,
    rows: Int32Array,
    override?: ReadonlyMap<string, Float32Array>,
    output = this.outputName,
  ): Promise<Float32Array> {
    const { batch } = this.options;
    const parts: Float32Array[] = [];
    const weightFeeds: Record<string, Tensor> = {};
    for (const w of s.weights) weightFeeds[w] = this.work.get(w)!;
    for (let b = 0; b < rows.length; b += batch) {
      const end = Math.min(rows.length, b + batch);
      const idx = rows.subarray(b, end);
      const feeds: Record<string, Tensor> = { ...weightFeeds };
      for (const c of s.cuts) {
        const o = override?.get(c);
        if (o) {
          const src = this.cache.get(c)!;
          const dims = src.dims.map((d, i) => (i === 0 ? d * idx.length : d));
          feeds[c] = tensor('float32', dims, o.subarray(b * src.size, end * src.size));
        } else feeds[c] = this.cache.feed(c, idx);
      }
      const out = await s.session.run(feeds, [output]);
      parts.push(out[output]!.data as Float32Array);
    }
    return concatBatches(parts);
  }

  /** Releases every session. */
  async release(): Promise<void> {
    const all = await Promise.all(this.suffixes.values());
    this.suffixes.clear();
    for (const s of all) await s.session.release();
  }
}
