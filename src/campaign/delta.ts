/**
 * The delta path for faults in one Conv/Gemm/MatMul layer: the faulty layer output of each
 * reachable image is its cached golden output plus δ·x for every changed weight (δ = new − old,
 * one float32 rounding per added term, as a multiply-add unit would), and only the graph after the
 * layer runs, with constant weights (so ONNX Runtime keeps its fastest kernels). Images whose
 * faulty output is bit-identical to golden (every added term absorbed by rounding) stop there.
 */
import type { StoredLayer, StoredModel, TensorChange } from '../fault/memory.js';
import type { Graph } from '../onnx/ir.js';
import { affectedImages } from './affected.js';
import { rowDims } from './cut-cache.js';
import type { GoldenCache } from './golden.js';
import { computeNode, deltaGeometry, traceable } from './layer-geometry.js';
import { type Golden, makeGolden } from './outcome.js';
import type { Suffix, SuffixSessions } from './suffix-sessions.js';

/** A faulty layer output computed by the delta path, ready to run through the rest of the graph. */
export interface DeltaOutput {
  /** The layer's output value, which `faulty` replaces. */
  value: string;
  /** The session of the graph after the layer, or null when the layer's output is the logits. */
  suffix: Suffix | null;
  /** The images whose layer output changed, in order. */
  rows: Int32Array;
  /** The faulty layer output of each of `rows`, row after row. */
  faulty: Float32Array;
  /** The reference to score against: the suffix's own golden run, or the cached golden logits. */
  golden: Golden;
  /** Seconds spent finding the images and adding the deltas. */
  analysisSeconds: number;
}

/** The delta path of one evaluator (fast mode), over its golden cache and suffix sessions. */
export class DeltaPath {
  private readonly outputName: string;
  private logitsGolden: Golden | undefined;

  constructor(
    private readonly graph: Graph,
    private readonly memory: StoredModel,
    private readonly cache: GoldenCache,
    private readonly sessions: SuffixSessions,
    /** Classes per output position (the logits' last axis). */
    private readonly classes: number,
  ) {
    this.outputName = graph.outputs[0]!.name;
  }

  /**
   * The faulty output of `layer` under `changes`, or null when the layer or the change is not
   * one this path covers (not a Conv/Gemm/MatMul input, non-finite weights, too many changes, an
   * input that is not cached image by image, an output that does not fit the cache budget).
   */
  async output(layer: StoredLayer, changes: readonly TensorChange[]): Promise<DeltaOutput | null> {
    const node = computeNode(this.graph, layer, changes);
    if (!node) return null;
    const y = node.outputs[0]!;
    const x = node.inputs[0]!;
    // The delta arithmetic indexes images of x and y as contiguous blocks (batch axis 0).
    const xc = this.cache.get(x);
    const xDims = xc ? rowDims(xc) : null;
    if (!traceable(changes) || !xc || !xDims) return null;
    const geo = deltaGeometry(node, xDims, this.memory.tensor(node.inputs[1]!).dims);
    if (!geo || !(await this.cacheLayerOutput(layer.nodeIndex))) return null;
    // The last layer's output is the logits: nothing runs after it.
    const suffix =
      y === this.outputName ? null : await this.sessions.get(`delta:${layer.name}`, layer.nodeIndex + 1, []);
    const ta = performance.now();
    const reach = affectedImages(this.graph, this.memory, this.cache, layer, changes);
    const yc = this.cache.get(y)!;
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
    return {
      value: y,
      suffix,
      rows,
      faulty,
      golden: suffix?.golden ?? this.logitsReference(yc.data),
      analysisSeconds: (performance.now() - ta) / 1000,
    };
  }

  /** The golden reference of a delta on the output layer: its cached golden output. */
  private logitsReference(logits: Float32Array): Golden {
    this.logitsGolden ??= makeGolden(logits, this.cache.images, this.classes);
    return this.logitsGolden;
  }

  /** Caches the golden output of the layer at node `index`; false when it does not fit the budget. */
  private async cacheLayerOutput(index: number): Promise<boolean> {
    const y = this.graph.nodes[index]!.outputs[0]!;
    if (this.cache.get(y)) return true;
    const value = await this.sessions.nodeOutput(index, (bytes) => this.cache.fits(bytes));
    if (!value) return false;
    this.cache.add(y, value);
    return true;
  }
}
