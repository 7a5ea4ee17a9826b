/**
 * Per-layer parameter, multiply-accumulate (MAC) and sparsity counts, as `prunefi info` shows
 * them. Parameters are counted as PyTorch's `sum(p.numel() for p in model.parameters())` does:
 * Conv/Gemm/MatMul weights and biases and BatchNorm scale and bias, but not BatchNorm running
 * statistics (buffers, not parameters).
 */
import { cloneGraph, materializeIdentityConstants } from './graph.js';
import { type Graph, getInt, type Node } from './ir.js';
import { inferShapes } from './shape.js';
import { numel, type Tensor, toFloat32 } from './tensor.js';

/** One parameterized layer of a model. */
export interface LayerSummary {
  /** The layer's parameter prefix (weight initializer name without '.weight'), as PyTorch names modules. */
  name: string;
  /** The ONNX node name. */
  node: string;
  op: string;
  inputShape: number[];
  outputShape: number[];
  /** Shape of the weight tensor (empty for ops without one). */
  weightShape: number[];
  params: number;
  macs: number;
  /** Number of parameter elements that are exactly zero. */
  zeros: number;
  /** zeros / params (0 when the layer has no parameters). */
  sparsity: number;
}

/** Whole-model totals plus the per-layer rows. */
export interface ModelSummary {
  inputShape: number[];
  outputShape: number[];
  layers: LayerSummary[];
  params: number;
  macs: number;
  zeros: number;
  sparsity: number;
  /** Bytes the parameters occupy in their stored dtypes. */
  paramBytes: number;
}

function countZeros(t: Tensor): number {
  const v = toFloat32(t);
  let z = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
  return z;
}

function paramInputs(n: Node, graph: Graph): string[] {
  const pick = (idx: number[]): string[] =>
    idx
      .map((i) => n.inputs[i])
      .filter((x): x is string => x !== undefined && x !== '' && graph.initializers.has(x));
  switch (n.opType) {
    case 'Conv':
    case 'ConvTranspose':
    case 'Gemm':
      return pick([1, 2]);
    case 'MatMul':
      return pick([1]);
    case 'BatchNormalization':
    case 'InstanceNormalization':
    case 'LayerNormalization':
      return pick([1, 2]);
    case 'PRelu':
      return pick([1]);
    default:
      return [];
  }
}

function layerMacs(n: Node, inShape: number[], outShape: number[], wShape: number[]): number {
  switch (n.opType) {
    case 'Conv':
      // Every output element is a dot product over (C_in / group) × kernel.
      return numel(outShape) * numel(wShape.slice(1));
    case 'ConvTranspose':
      return numel(inShape) * wShape[1]! * numel(wShape.slice(2));
    case 'Gemm': {
      const k = getInt(n, 'transA', 0) ? inShape[0]! : inShape[1]!;
      return numel(outShape) * k;
    }
    case 'MatMul':
      return numel(outShape) * inShape[inShape.length - 1]!;
    default:
      return 0;
  }
}

/**
 * Summarizes a graph's parameterized layers for one input of `batch` images (MACs scale with
 * batch; the CLI reports batch 1, as thop and ptflops do).
 */
export function summarize(model: Graph, batch = 1): ModelSummary {
  const graph = cloneGraph(model);
  materializeIdentityConstants(graph);
  const { shapes } = inferShapes(graph, {}, batch);
  const layers: LayerSummary[] = [];
  for (const n of graph.nodes) {
    const params = paramInputs(n, graph);
    if (params.length === 0) continue;
    const tensors = params.map((p) => graph.initializers.get(p)!);
    const inputShape = shapes.get(n.inputs[0] ?? '') ?? [];
    const outputShape = shapes.get(n.outputs[0] ?? '') ?? [];
    const weightShape = [...tensors[0]!.dims];
    const count = tensors.reduce((a, t) => a + numel(t.dims), 0);
    const zeros = tensors.reduce((a, t) => a + countZeros(t), 0);
    layers.push({
      name: params[0]!.replace(/\.weight$/, ''),
      node: n.name,
      op: n.opType,
      inputShape,
      outputShape,
      weightShape,
      params: count,
      macs: layerMacs(n, inputShape, outputShape, weightShape),
      zeros,
      sparsity: count ? zeros / count : 0,
    });
  }
  const params = layers.reduce((a, l) => a + l.params, 0);
  const zeros = layers.reduce((a, l) => a + l.zeros, 0);
  let paramBytes = 0;
  for (const n of graph.nodes) {
    for (const p of paramInputs(n, graph)) {
      const t = graph.initializers.get(p)!;
      paramBytes += t.data.byteLength;
    }
  }
  const firstInput = graph.inputs.find((v) => !graph.initializers.has(v.name));
  return {
    inputShape: shapes.get(firstInput?.name ?? '') ?? [],
    outputShape: shapes.get(graph.outputs[0]?.name ?? '') ?? [],
    layers,
    params,
    macs: layers.reduce((a, l) => a + l.macs, 0),
    zeros,
    sparsity: params ? zeros / params : 0,
    paramBytes,
  };
}
