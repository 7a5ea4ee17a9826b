/**
 * Which initializers are a model's parameters, as PyTorch counts `model.parameters()`. One
 * classification serves `prunefi info` (params per layer) and the fault memory (what a
 * campaign injects into), so what `info` counts is what a campaign can hit.
 */
import type { Graph, Node } from './ir.js';
import { dequantizesInitializer, quantizedWeights } from './quant.js';
import { numel, type Tensor } from './tensor.js';

/** Inputs of a layer op that hold its parameters (weights and biases, not running statistics). */
export const LAYER_PARAMS: Readonly<Record<string, readonly number[]>> = {
  Conv: [1, 2],
  ConvTranspose: [1, 2],
  Gemm: [0, 1, 2],
  MatMul: [0, 1],
  Einsum: [0, 1, 2],
  BatchNormalization: [1, 2],
  InstanceNormalization: [1, 2],
  LayerNormalization: [1, 2],
  GroupNormalization: [1, 2],
  PRelu: [1],
  Gather: [0],
  // QOperator ops: the integer weight and (QLinearConv) the int32 bias.
  QLinearConv: [3, 8],
  QLinearMatMul: [3],
  ConvInteger: [1],
  MatMulInteger: [1],
};

/** Ops that only re-lay out or re-type a weight on its way to the layer that uses it. */
export const PASS_THROUGH: ReadonlySet<string> = new Set([
  'Identity',
  'Transpose',
  'Reshape',
  'Cast',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
]);

/**
 * Inputs that are never parameters: BatchNorm's running statistics, and the scales and zero
 * points of quantized ops (they decode parameters; `prunefi info` shows them with the weight).
 */
const NEVER_PARAMS: Record<string, readonly number[]> = {
  BatchNormalization: [3, 4],
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
  QLinearConv: [1, 2, 4, 5, 6, 7],
  QLinearMatMul: [1, 2, 4, 5, 6, 7],
  ConvInteger: [2, 3],
  MatMulInteger: [2, 3],
};

/**
 * The initializer behind input `name`, following PASS_THROUGH ops (MatMul(x, Transpose(W)),
 * Gemm on a Cast float16 weight) and the DequantizeLinear of a stored integer weight (QDQ), or
 * undefined when it is computed from activations.
 */
export function traceInitializer(
  name: string,
  graph: Graph,
  producers: Map<string, Node>,
): string | undefined {
  for (let v = name, hops = 0; hops < 16; hops++) {
    if (graph.initializers.has(v)) return v;
    const p = producers.get(v);
    if (!p || !(PASS_THROUGH.has(p.opType) || dequantizesInitializer(p, graph)) || !p.inputs[0])
      return undefined;
    v = p.inputs[0];
  }
  return undefined;
}

export const isFloatTensor = (t: Tensor): boolean => t.dtype.startsWith('float') || t.dtype === 'bfloat16';

/**
 * The parameters of each node, as PyTorch counts `model.parameters()`: the weights and biases
 * of layer ops (through re-layouts), embedding tables, and every other float initializer of
 * more than one element an op consumes (ViT's class token and position embedding, decomposed
 * LayerNorm's scale and shift). Each initializer is counted once, at its first consumer; scalar
 * constants (epsilon, 1/√d) and BatchNorm running statistics are not parameters. A quantized
 * weight is its integer initializer, counted at the layer its DequantizeLinear feeds (or at the
 * QOperator op reading it); scales and zero points are not parameters.
 */
export function parametersByNode(graph: Graph): Map<Node, string[]> {
  const producers = new Map<string, Node>();
  const consumed = new Set<string>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) producers.set(o, n);
    for (const i of n.inputs) consumed.add(i);
  }
  const seen = new Set<string>();
  const quantized = quantizedWeights(graph);
  const out = new Map<Node, string[]>();
  for (const n of graph.nodes) {
    // A re-layout's (or a weight's DequantizeLinear's) consumer counts the weight it passes on.
    const passes = PASS_THROUGH.has(n.opType) || dequantizesInitializer(n, graph);
    if (passes && n.outputs.every((o) => consumed.has(o))) continue;
    const never = NEVER_PARAMS[n.opType] ?? [];
    const layer = LAYER_PARAMS[n.opType];
    const picked: string[] = [];
    n.inputs.forEach((input, i) => {
      if (!input || never.includes(i)) return;
      const init = traceInitializer(input, graph, producers);
      if (!init || seen.has(init)) return;
      const t = graph.initializers.get(init)!;
      if (!isFloatTensor(t) && !quantized.has(init)) return;
      if (!(layer?.includes(i) ?? false) && numel(t.dims) <= 1) return;
      seen.add(init);
      picked.push(init);
    });
    if (picked.length > 0) out.set(n, picked);
  }
  return out;
}
