/**
 * Activation calibration for static quantization: the float range of every activation input of
 * a Conv/Gemm/MatMul, measured by running calibration images through ONNX Runtime (src/runtime),
 * and the QuantizeLinear/DequantizeLinear pair that puts it on the integer grid.
 * Methods: min-max (the observed range), percentile (the p-th percentile of |x|, clipping rare
 * outliers) and entropy (the threshold minimizing KL(P‖Q) between the |x| histogram and its
 * quantized copy, as TensorRT's and ONNX Runtime's entropy calibrators do; Migacz 2017, "8-bit
 * inference with TensorRT").
 */
import { InterruptedError } from '../core/progress.js';
import { Registry, type RegistryEntry } from '../core/registry.js';
import { batches, type ImageSet } from '../data/index.js';
import { cloneModel, nameGenerator } from '../onnx/graph.js';
import { imageInput } from '../onnx/io.js';
import { attrInt, type Graph, type Model, type Node, node } from '../onnx/ir.js';
import { tensor } from '../onnx/tensor.js';
import { createSession, type SessionOptions } from '../runtime/index.js';

/** Histogram resolution of |x| for percentile and entropy (ONNX Runtime's default, 2048). */
const BINS = 2048;

/**
 * One side of an activation (its positive or its negative values, as magnitudes): the largest
 * magnitude and the histogram of magnitudes in BINS equal bins over [0, max]. The sides are
 * calibrated apart because one spike (a normalized image's background, ReLU's zeros) would
 * otherwise decide the threshold for the values on the other side of 0.
 */
export interface SideStats {
  max: number;
  hist: Float64Array;
}

/** What is measured of one activation. */
export interface ActivationStats {
  pos: SideStats;
  neg: SideStats;
}

/** A calibration method: the clipping threshold of one side's magnitudes. */
export interface CalibrationMethod extends RegistryEntry {
  threshold(s: SideStats, options: { percentile: number; levels: number }): number;
}

const absMax = (s: SideStats) => s.max;

function percentileThreshold(s: SideStats, p: number): number {
  const total = s.hist.reduce((a, b) => a + b, 0);
  const width = absMax(s) / BINS;
  let acc = 0;
  for (let i = 0; i < BINS; i++) {
    acc += s.hist[i] ?? 0;
    if (acc >= (total * p) / 100) return (i + 1) * width;
  }
  return absMax(s);
}

/** KL(P‖Q) of the first `i` bins clipped at bin i, Q quantized into `levels` groups. */
function klAt(hist: Float64Array, i: number, levels: number): number {
  const p = Float64Array.from(hist.subarray(0, i));
  let outliers = 0;
  for (let j = i; j < hist.length; j++) outliers += hist[j] ?? 0;
  p[i - 1] = (p[i - 1] ?? 0) + outliers;
  const q = new Float64Array(i);
  const per = i / levels;
  for (let g = 0; g < levels; g++) {
    const lo = Math.floor(g * per);
    const hi = g === levels - 1 ? i : Math.floor((g + 1) * per);
    let sum = 0;
    let nonzero = 0;
    for (let j = lo; j < hi; j++) {
      const h = hist[j] ?? 0;
      sum += h;
      if (h > 0) nonzero++;
    }
    for (let j = lo; j < hi; j++) if ((hist[j] ?? 0) > 0) q[j] = sum / nonzero;
  }
  const ps = p.reduce((a, b) => a + b, 0);
  const qs = q.reduce((a, b) => a + b, 0);
  let kl = 0;
  for (let j = 0; j < i; j++) {
    const pj = (p[j] ?? 0) / ps;
    if (pj <= 0) continue;
    // The outlier mass moved into the last bin can meet an empty Q bin: smooth it, as TensorRT does.
    const qj = Math.max((q[j] ?? 0) / qs, 1e-12);
    kl += pj * Math.log(pj / qj);
  }
  return kl;
}

function entropyThreshold(s: SideStats, levels: number): number {
  const width = absMax(s) / BINS;
  let best = BINS;
  let bestKl = Number.POSITIVE_INFINITY;
  for (let i = levels; i <= BINS; i++) {
    const kl = klAt(s.hist, i, levels);
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best * width;
}

/** The calibration methods `prunefi quantize --calibration` accepts. */
export const CALIBRATION_METHODS = new Registry<CalibrationMethod>('calibration method', [
  {
    name: 'minmax',
    description: 'the observed range of every activation',
    reference: '',
    threshold: (s) => absMax(s),
  },
  {
    name: 'percentile',
    description: 'the p-th percentile of |x| (--percentile, default 99.99): clips rare outliers',
    reference: 'ONNX Runtime quantization, CalibrationMethod.Percentile',
    threshold: (s, o) => percentileThreshold(s, o.percentile),
  },
  {
    name: 'entropy',
    description: 'the threshold minimizing KL divergence to the quantized histogram (TensorRT, Migacz 2017)',
    reference: 'Migacz 2017, 8-bit inference with TensorRT (GTC)',
    threshold: (s, o) => entropyThreshold(s, o.levels),
  },
]);

/** The activations to quantize: input 0 of every Conv/Gemm/MatMul that is not a constant. */
export function activationInputs(graph: Graph): string[] {
  const names = new Set<string>();
  for (const n of graph.nodes) {
    if (!['Conv', 'Gemm', 'MatMul'].includes(n.opType) || n.domain !== '') continue;
    const x = n.inputs[0];
    if (x && !graph.initializers.has(x)) names.add(x);
  }
  return [...names];
}

/**
 * Runs the calibration images through `model` with every activation in `names` as an extra
 * output: a first pass takes each side's range, a second (for `histograms`) bins its magnitudes.
 */
export async function collectStats(
  model: Model,
  names: readonly string[],
  set: ImageSet,
  options: {
    session?: SessionOptions;
    histograms: boolean;
    batchSize?: number;
    signal?: AbortSignal;
    onPass?: (pass: number, done: number) => void;
  },
): Promise<Map<string, ActivationStats>> {
  const probe = cloneModel(model);
  const outputs = new Set(probe.graph.outputs.map((o) => o.name));
  for (const n of names) if (!outputs.has(n)) probe.graph.outputs.push({ name: n, elemType: 'float32' });
  const session = await createSession(probe, options.session);
  const input = imageInput(model).name;
  const stats = new Map<string, ActivationStats>(
    names.map((n) => [
      n,
      { pos: { max: 0, hist: new Float64Array(BINS) }, neg: { max: 0, hist: new Float64Array(BINS) } },
    ]),
  );
  const pass = async (k: number, visit: (s: ActivationStats, x: Float32Array) => void) => {
    let done = 0;
    for (const b of batches(set, { batchSize: options.batchSize ?? 64 })) {
      if (options.signal?.aborted) throw new InterruptedError('calibration interrupted; nothing was written');
      const out = await session.run({ [input]: b.x }, names);
      for (const [n, st] of stats) visit(st, out[n]?.data as Float32Array);
      done += b.y.length;
      options.onPass?.(k, done);
    }
  };
  try {
    await pass(1, (s, x) => {
      for (const v of x) {
        if (v > s.pos.max) s.pos.max = v;
        else if (-v > s.neg.max) s.neg.max = -v;
      }
    });
    if (options.histograms)
      await pass(2, (s, x) => {
        const up = BINS / (s.pos.max || 1);
        const down = BINS / (s.neg.max || 1);
        for (const v of x) {
          if (v > 0) bump(s.pos.hist, v * up);
          else if (v < 0) bump(s.neg.hist, -v * down);
        }
      });
  } finally {
    await session.release();
  }
  return stats;
}

/** Counts one value at fractional bin position `at` (the largest value falls in the last bin). */
function bump(hist: Float64Array, at: number): void {
  const k = Math.min(BINS - 1, Math.floor(at));
  hist[k] = (hist[k] ?? 0) + 1;
}

/** Integer type of quantized activations. */
export type ActivationType = 'uint8' | 'int8';

/**
 * Inserts a QuantizeLinear→DequantizeLinear pair on each calibrated activation (in place), its
 * consumers reading the dequantized value. int8 is symmetric, s = T/127, zero point 0; uint8
 * covers the calibrated [lo, hi] (lo ≤ 0 ≤ hi), s = (hi − lo)/255, zero point round(−lo/s).
 */
export function insertActivationQdq(
  graph: Graph,
  ranges: ReadonlyMap<string, { lo: number; hi: number }>,
  type: ActivationType,
): void {
  const fresh = nameGenerator(graph);
  const renamed = new Map<string, string>();
  const pairs: { after: string; nodes: Node[] }[] = [];
  for (const [x, { lo, hi }] of ranges) {
    // An activation that was always 0 still needs a positive scale; 1 decodes its zeros exactly.
    const T = Math.max(-lo, hi) || 1;
    const scale = type === 'int8' ? T / 127 : (hi - lo || 1) / 255;
    const zp = type === 'int8' ? 0 : Math.round(-lo / scale);
    const s = fresh(`${x}_scale`);
    const z = fresh(`${x}_zero_point`);
    const q = fresh(`${x}_quantized`);
    const dq = fresh(`${x}_dequantized`);
    graph.initializers.set(s, tensor('float32', [], Float32Array.of(scale)));
    graph.initializers.set(
      z,
      type === 'int8' ? tensor('int8', [], Int8Array.of(zp)) : tensor('uint8', [], Uint8Array.of(zp)),
    );
    renamed.set(x, dq);
    pairs.push({
      after: x,
      nodes: [
        node('QuantizeLinear', [x, s, z], [q], {}, fresh(`${x}_q`)),
        node('DequantizeLinear', [q, s, z], [dq], { axis: attrInt(1) }, fresh(`${x}_dq`)),
      ],
    });
  }
  for (const n of graph.nodes) {
    if (!['Conv', 'Gemm', 'MatMul'].includes(n.opType)) continue;
    const r = renamed.get(n.inputs[0] ?? '');
    if (r) n.inputs[0] = r;
  }
  // Each pair goes right after its value's producer (graph inputs: first), keeping topological order.
  for (const { after, nodes } of pairs) {
    const at = graph.nodes.findIndex((n) => n.outputs.includes(after));
    graph.nodes.splice(at + 1, 0, ...nodes);
  }
}
