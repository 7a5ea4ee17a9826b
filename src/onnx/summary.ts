/**
 * Per-layer parameter, multiply-accumulate (MAC) and sparsity counts, as `prunefi info` shows
 * them. Parameters are counted as PyTorch's `sum(p.numel() for p in model.parameters())` does:
 * layer weights and biases, embeddings, position embeddings and norm scales, but not BatchNorm
 * running statistics (buffers, not parameters).
 */
import { mustGet, nth } from '../core/checked.js';
import { type AssumedDim, resolveDynamicDims } from './dynamic-dims.js';
import { cloneGraph, materializeIdentityConstants } from './graph.js';
import { type Graph, getInt, type Node } from './ir.js';
import { parametersByNode } from './params.js';
import {
  type QuantSummary,
  quantizedWeights,
  quantizedZeros,
  summarizeQuantized,
  unquantizedName,
} from './quant.js';
import { type InferOptions, inferShapes } from './shape/index.js';
import { dtypeBits, numel, type Tensor, toFloat32 } from './tensor.js';

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
  /** How the weight is stored, when the model stores it quantized (QDQ or QOperator). */
  quantized?: QuantSummary;
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
  /** Why shapes (and so MACs) are incomplete, when inference stopped at some node. */
  shapeError?: string;
  /** Symbolic input dims (a sequence length) the counts assumed, since no shape was given for them. */
  assumedDims: AssumedDim[];
  /** The input shapes the counts are for, by input name. */
  inputShapes: Record<string, number[]>;
}

function countZeros(t: Tensor): number {
  const v = toFloat32(t);
  let z = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
  return z;
}

function layerMacs(n: Node, inShape: number[], outShape: number[], wShape: number[]): number {
  switch (n.opType) {
    case 'Conv':
    case 'QLinearConv':
    case 'ConvInteger':
      // Every output element is a dot product over (C_in / group) × kernel.
      return numel(outShape) * numel(wShape.slice(1));
    case 'ConvTranspose':
      return numel(inShape) * nth(wShape, 1) * numel(wShape.slice(2));
    case 'Gemm': {
      const k = getInt(n, 'transA', 0) ? nth(inShape, 0) : nth(inShape, 1);
      return numel(outShape) * k;
    }
    case 'MatMul':
    case 'QLinearMatMul':
    case 'MatMulInteger':
      // Batched and broadcast too: every output element is a dot product over the shared dim.
      return numel(outShape) * (inShape[inShape.length - 1] ?? 0);
    default:
      return 0;
  }
}

/** What `summarizeModel` needs to know about the input (see `inferShapes`). */
export type SummaryOptions = Pick<InferOptions, 'batch' | 'inputShapes'>;

/**
 * Summarizes a graph's parameterized layers, plus the parameter-free matrix products of
 * attention (QKᵀ, AV), for one input of `batch` (MACs scale with batch; the CLI reports batch 1,
 * as thop and ptflops do). A symbolic sequence dim not in `inputShapes` takes the length
 * `resolveDynamicDims` picks, listed in `assumedDims`. When a shape cannot be inferred (an op
 * without a shape rule), parameters are still counted; MACs and shapes stop at that node and
 * `shapeError` says why.
 */
export function summarizeModel(model: Graph, options: SummaryOptions = {}): ModelSummary {
  const graph = cloneGraph(model);
  materializeIdentityConstants(graph);
  // A symbolic sequence length gets a stated default, so attention blocks have MACs too.
  const resolved = resolveDynamicDims(graph, options.inputShapes ?? {}, options.batch ?? 1);
  const info = inferShapes(graph, { ...options, inputShapes: resolved.inputShapes, partial: true });
  const { shapes } = info;
  const byNode = parametersByNode(graph);
  const quantized = quantizedWeights(graph);
  // A quantized weight's zeros are the integers equal to their zero point.
  const zerosOf = (p: string) => {
    const q = quantized.get(p);
    return q ? quantizedZeros(graph, q) : countZeros(mustGet(graph.initializers, p));
  };
  const layers: LayerSummary[] = [];
  let paramBytes = 0;
  for (const n of graph.nodes) {
    const params = byNode.get(n) ?? [];
    if (params.length === 0 && n.opType !== 'MatMul') continue;
    const tensors = params.map((p) => graph.initializers.get(p)!);
    const inputShape = shapes.get(n.inputs[0] ?? '') ?? [];
    const outputShape = shapes.get(n.outputs[0] ?? '') ?? [];
    const weightShape = tensors[0] ? [...tensors[0].dims] : [];
    const count = tensors.reduce((a, t) => a + numel(t.dims), 0);
    const zeros = params.reduce((a, p) => a + zerosOf(p), 0);
    paramBytes += tensors.reduce((a, t) => a + (numel(t.dims) * dtypeBits(t.dtype)) / 8, 0);
    const q = params[0] ? quantized.get(params[0]) : undefined;
    const layer: LayerSummary = {
      name: params[0]
        ? unquantizedName(params[0]).replace(/\.weight$/, '')
        : n.name || n.outputs[0] || n.opType,
      node: n.name,
      op: n.opType,
      inputShape,
      outputShape,
      weightShape,
      params: count,
      macs: outputShape.length ? layerMacs(n, inputShape, outputShape, weightShape) : 0,
      zeros,
      sparsity: count ? zeros / count : 0,
    };
    if (q) layer.quantized = summarizeQuantized(graph, q);
    layers.push(layer);
  }
  const params = layers.reduce((a, l) => a + l.params, 0);
  const zeros = layers.reduce((a, l) => a + l.zeros, 0);
  const firstInput = graph.inputs.find((v) => !graph.initializers.has(v.name));
  const summary: ModelSummary = {
    inputShape: shapes.get(firstInput?.name ?? '') ?? [],
    outputShape: shapes.get(graph.outputs[0]?.name ?? '') ?? [],
    layers,
    params,
    macs: layers.reduce((a, l) => a + l.macs, 0),
    zeros,
    sparsity: params ? zeros / params : 0,
    paramBytes,
    assumedDims: resolved.assumed,
    inputShapes: Object.fromEntries(
      graph.inputs
        .filter((v) => shapes.has(v.name) && !graph.initializers.has(v.name))
        .map((v) => [v.name, mustGet(shapes, v.name)]),
    ),
  };
  if (info.unresolved) summary.shapeError = info.unresolved.message;
  return summary;
}
