/**
 * Weights a quantized model stores as integers. Two forms are in use:
 * - QDQ (what ONNX Runtime's quantizer and PyTorch write): an integer initializer q read by a
 *   DequantizeLinear, y = (q − zero_point) · scale, whose float output feeds the layer;
 * - QOperator: the integer weight is an input of QLinearConv / QLinearMatMul (with its scale and
 *   zero point beside it) or of ConvInteger / MatMulInteger (zero point only; the integer product
 *   is rescaled by a Mul after it).
 * Scales are per tensor (one element), per channel (1-D, along `axis`) or blocked (opset 21: same
 * rank as q, `block_size` consecutive elements along `axis` share one). This module finds those
 * weights and says which scale and zero point each element uses, so `prunefi info` can describe
 * them and the fault memory can store their integers.
 */
import { PrunefiError } from '../core/errors.js';
import { getInitializer } from './graph.js';
import { type Graph, getInt, type Node } from './ir.js';
import { type DType, dtypeBits, numel, toFloat32 } from './tensor.js';

/** Integer element types a quantized weight is stored in. */
export const QUANTIZED_TYPES: ReadonlySet<DType> = new Set<DType>([
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'int4',
  'uint4',
]);

/** One integer weight and the quantization parameters that decode it. */
export interface QuantizedWeight {
  /** The integer initializer: the words memory stores. */
  values: string;
  /** The scale initializer, or undefined when the op has none (ConvInteger, MatMulInteger: scale 1). */
  scale?: string;
  /** The zero-point initializer, or undefined (zero points 0). */
  zeroPoint?: string;
  /** Axis of q the scales run along (ignored per tensor). */
  axis: number;
  /** Elements per scale along `axis` (0: not blocked). */
  blockSize: number;
  /** The node that reads q. */
  node: Node;
  /** Which input of `node` q is. */
  input: number;
}

/**
 * The float parameter's name an integer weight was quantized from: ONNX Runtime's quantizer
 * names it `<parameter>_quantized` ('conv1.weight_quantized' → 'conv1.weight').
 */
export const unquantizedName = (init: string): string => init.replace(/_quantized$/, '');

/** Granularity of a quantized weight's scales. */
export type QuantGranularity = 'per-tensor' | 'per-channel' | 'blocked';

/** QOperator ops: which input is the integer weight, and where its scale and zero point are. */
const QOPERATOR_WEIGHTS: Readonly<Record<string, { weight: number; scale?: number; zeroPoint: number }>> = {
  QLinearConv: { weight: 3, scale: 4, zeroPoint: 5 },
  QLinearMatMul: { weight: 3, scale: 4, zeroPoint: 5 },
  ConvInteger: { weight: 1, zeroPoint: 3 },
  MatMulInteger: { weight: 1, zeroPoint: 3 },
};

const isDefaultDomain = (n: Node) => n.domain === '' || n.domain === 'ai.onnx';

/** Whether a DequantizeLinear reads a constant integer initializer (a stored quantized weight). */
export function dequantizesInitializer(n: Node, graph: Graph): boolean {
  if (n.opType !== 'DequantizeLinear' || !isDefaultDomain(n)) return false;
  const q = graph.initializers.get(n.inputs[0] ?? '');
  return !!q && QUANTIZED_TYPES.has(q.dtype) && graph.initializers.has(n.inputs[1] ?? '');
}

const initOrUndefined = (graph: Graph, name: string | undefined) =>
  name && graph.initializers.has(name) ? name : undefined;

/**
 * Every integer weight of the graph, by the name of its integer initializer: the inputs of
 * DequantizeLinear nodes that are constant integers, and the weight inputs of QOperator ops.
 */
export function quantizedWeights(graph: Graph): Map<string, QuantizedWeight> {
  const out = new Map<string, QuantizedWeight>();
  for (const n of graph.nodes) {
    const [q0 = '', q1 = ''] = n.inputs;
    if (dequantizesInitializer(n, graph)) {
      const q: QuantizedWeight = {
        values: q0,
        scale: q1,
        // ONNX's DequantizeLinear defaults to axis 1 (the channel axis of an activation).
        axis: getInt(n, 'axis', 1),
        blockSize: getInt(n, 'block_size', 0),
        node: n,
        input: 0,
      };
      const zp = initOrUndefined(graph, n.inputs[2]);
      if (zp) q.zeroPoint = zp;
      if (!out.has(q.values)) out.set(q.values, q);
      continue;
    }
    const spec = QOPERATOR_WEIGHTS[n.opType];
    if (!spec || !isDefaultDomain(n)) continue;
    const w = initOrUndefined(graph, n.inputs[spec.weight]);
    const wt = w ? getInitializer(graph, w) : undefined;
    if (!w || !wt || !QUANTIZED_TYPES.has(wt.dtype) || out.has(w)) continue;
    // Conv weights run output channels along axis 0; a MatMul's B along its last axis (columns).
    const rank = wt.dims.length;
    const q: QuantizedWeight = {
      values: w,
      axis: n.opType.includes('Conv') ? 0 : Math.max(rank - 1, 0),
      blockSize: 0,
      node: n,
      input: spec.weight,
    };
    const scale = initOrUndefined(graph, spec.scale === undefined ? undefined : n.inputs[spec.scale]);
    if (scale) q.scale = scale;
    const zp = initOrUndefined(graph, n.inputs[spec.zeroPoint]);
    if (zp) q.zeroPoint = zp;
    out.set(w, q);
  }
  return out;
}

/** The tensor whose shape gives a weight's granularity: its scales, else its zero points. */
const paramsOf = (graph: Graph, q: QuantizedWeight) => graph.initializers.get(q.scale ?? q.zeroPoint ?? '');

/** The granularity of a weight's scales (or zero points, for ops without scales). */
export function granularity(graph: Graph, q: QuantizedWeight): QuantGranularity {
  const s = paramsOf(graph, q);
  if (!s || numel(s.dims) === 1) return 'per-tensor';
  return q.blockSize > 0 ? 'blocked' : 'per-channel';
}

/**
 * The index into the scale (and zero-point) tensor of every element of q, as DequantizeLinear
 * reads them: 0 per tensor, the coordinate along `axis` per channel, and for blocked scales q's
 * index with its `axis` coordinate divided by `block_size`. A scale whose shape matches none of
 * these is a one-line error naming the weight.
 */
export function scaleIndexer(graph: Graph, q: QuantizedWeight): (i: number) => number {
  const dims = getInitializer(graph, q.values).dims;
  const sDims = paramsOf(graph, q)?.dims ?? [];
  const kind = granularity(graph, q);
  if (kind === 'per-tensor') return () => 0;
  const rank = dims.length;
  const axis = q.axis < 0 ? q.axis + rank : q.axis;
  const bad = (why: string): never => {
    throw new PrunefiError(
      'ONNX_INVALID',
      `quantized weight '${q.values}' [${dims.join(', ')}] has scales '${q.scale}' [${sDims.join(', ')}] that ${why}; the model does not follow ONNX ${q.node.opType}`,
    );
  };
  if (axis < 0 || axis >= rank) bad(`run along axis ${q.axis}, outside its rank ${rank}`);
  const d = dims[axis] ?? 1;
  const stride = numel(dims.slice(axis + 1));
  if (kind === 'per-channel') {
    if (sDims.length !== 1 || sDims[0] !== d) bad(`do not hold one scale per index of axis ${axis} (${d})`);
    return (i) => Math.floor(i / stride) % d;
  }
  const blocks = Math.ceil(d / q.blockSize);
  const want = dims.map((x, k) => (k === axis ? blocks : x));
  if (sDims.length !== rank || sDims.some((x, k) => x !== want[k]))
    bad(`are not [${want.join(', ')}] for blocks of ${q.blockSize} along axis ${axis}`);
  return (i) => {
    const inner = i % stride;
    const a = Math.floor(i / stride) % d;
    const outer = Math.floor(i / (stride * d));
    return (outer * blocks + Math.floor(a / q.blockSize)) * stride + inner;
  };
}

/** What `prunefi info` shows of one quantized weight. */
export interface QuantSummary {
  /** Stored element type of q. */
  type: DType;
  /** Bits per stored element (4 for int4). */
  bits: number;
  granularity: QuantGranularity;
  /** Axis of the scales (per channel, blocked). */
  axis?: number;
  /** Elements per scale along `axis` (blocked). */
  blockSize?: number;
  /** Number of scales and their range. */
  scales: { count: number; min: number; max: number };
  /** Number of zero points and their range (0 when the model gives none). */
  zeroPoints: { count: number; min: number; max: number };
}

function range(values: ArrayLike<number>): { count: number; min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of Array.from(values)) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return values.length ? { count: values.length, min, max } : { count: 0, min: 0, max: 0 };
}

/** The stored type, bits, scales and zero points of a quantized weight. */
export function summarizeQuantized(graph: Graph, q: QuantizedWeight): QuantSummary {
  const t = getInitializer(graph, q.values);
  const g = granularity(graph, q);
  const scale = q.scale ? getInitializer(graph, q.scale) : undefined;
  const zp = q.zeroPoint ? getInitializer(graph, q.zeroPoint) : undefined;
  const s: QuantSummary = {
    type: t.dtype,
    bits: dtypeBits(t.dtype),
    granularity: g,
    scales: scale ? range(toFloat32(scale)) : { count: 1, min: 1, max: 1 },
    zeroPoints: zp ? range(zp.data as ArrayLike<number>) : { count: 0, min: 0, max: 0 },
  };
  if (g !== 'per-tensor') s.axis = q.axis;
  if (g === 'blocked') s.blockSize = q.blockSize;
  return s;
}

/** The number of elements of q that decode to exactly zero (q equal to its zero point). */
export function quantizedZeros(graph: Graph, q: QuantizedWeight): number {
  const data = Array.from(getInitializer(graph, q.values).data as ArrayLike<number>);
  const zp = q.zeroPoint ? Array.from(getInitializer(graph, q.zeroPoint).data as ArrayLike<number>) : [0];
  const at = scaleIndexer(graph, q);
  let z = 0;
  data.forEach((v, i) => {
    if (v === zp[zp.length === 1 ? 0 : at(i)]) z++;
  });
  return z;
}
