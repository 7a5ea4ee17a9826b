/**
 * The layers of the fault memory: every float32 parameter `prunefi info` counts (see
 * `onnx/params.ts`) and every integer weight of a quantized model (QDQ, QOperator), grouped the
 * way PyTorch groups them into modules. Conv/Gemm/MatMul
 * weights (also behind Transpose/Reshape/Cast), their biases (Gemm's C input, or the Add that
 * follows a MatMul), embedding tables (Gather), LayerNorm scales and shifts (fused or
 * decomposed into Mul and Add), class tokens and position embeddings. BatchNorm parameters are
 * left out: campaigns fold BatchNorm into the preceding conv by default, and an unfolded one
 * is not injected (as PyTorchFI injects only conv and linear layers).
 */
import { WEIGHT_OPS, weightOutAxis } from '../onnx/graph.js';
import type { Graph, Node } from '../onnx/ir.js';
import { parametersByNode, traceInitializer } from '../onnx/params.js';
import { dequantizesInitializer, quantizedWeights, unquantizedName } from '../onnx/quant.js';

/** One parameter tensor of a layer. */
export interface LayerTensor {
  /** Initializer name. */
  name: string;
  role: 'weight' | 'bias';
  /** Axis of the initializer along which output channels run (for per-channel scales and rows). */
  outAxis: number;
}

/** A group of parameters injected and evaluated together. */
export interface FaultLayer {
  /** PyTorch-style module name ('layer1.0.conv1', 'encoder.layers.encoder_layer_0.ln_1'). */
  name: string;
  /** Index of the first node that reads any of the layer's initializers (the suffix starts there). */
  nodeIndex: number;
  /**
   * Index of the Conv/ConvTranspose/Gemm/MatMul node that reads the layer's weight directly as
   * its input 1, when there is one: the node whose geometry the evaluator's shortcuts know.
   */
  computeIndex?: number;
  tensors: LayerTensor[];
}

/**
 * Layer ops whose parameters the fault memory leaves out: BatchNorm, which campaigns fold into the
 * conv before it by default (an unfolded one is left out as PyTorchFI injects only conv and linear
 * layers).
 */
export const NOT_INJECTED: ReadonlySet<string> = new Set(['BatchNormalization']);

/** Inputs that are a layer's bias (added after the product), by op. */
const BIAS_INPUTS: Record<string, number> = {
  Conv: 2,
  ConvTranspose: 2,
  Gemm: 2,
  LayerNormalization: 2,
  GroupNormalization: 2,
  InstanceNormalization: 2,
};

/** Ops that add a parameter to a product computed before them (a MatMul's bias, LayerNorm's shift). */
const ADDS = new Set(['Add', 'Sub']);

/** 'features.0.weight' → 'features.0'; 'attn.in_proj_bias' → 'attn.in_proj'; 'conv1.weight_quantized' → 'conv1'. */
export function moduleName(init: string): string {
  return unquantizedName(init).replace(/[._](weight|bias)$/, '');
}

/** Exporter-made names ('onnx::MatMul_947') say nothing about the module. */
const anonymous = (init: string) => init.startsWith('onnx::') || !/[A-Za-z]/.test(init);

function outAxisOf(
  node: Node,
  input: number,
  init: string,
  graph: Graph,
  producers: Map<string, Node>,
): number {
  if (input !== 1 || !WEIGHT_OPS.has(node.opType)) return 0;
  let axis = weightOutAxis(node);
  // MatMul(x, Transpose(W)) stores W as [out, in]: each 2-D transpose on the way swaps the axis.
  for (let v = node.inputs[1]!; v !== init; ) {
    const p = producers.get(v);
    if (!p) break;
    if (p.opType === 'Transpose' && graph.initializers.get(init)?.dims.length === 2) axis = 1 - axis;
    v = p.inputs[0]!;
  }
  return axis;
}

/** The fault-memory layers of a graph, in node order of their first reader. */
export function faultLayers(graph: Graph): FaultLayer[] {
  const producers = new Map<string, Node>();
  const index = new Map<Node, number>();
  const firstReader = new Map<string, number>();
  // A quantized weight is first read where its decoded value is: the suffix starts at the layer,
  // and pulls in the DequantizeLinear (its output is not an activation the cache holds).
  const decoded = new Map<string, string>();
  graph.nodes.forEach((n, i) => {
    index.set(n, i);
    for (const o of n.outputs) producers.set(o, n);
    if (dequantizesInitializer(n, graph)) {
      const [q = ''] = n.inputs;
      const [y = ''] = n.outputs;
      decoded.set(y, q);
      return;
    }
    for (const input of n.inputs) {
      const x = decoded.get(input) ?? input;
      if (graph.initializers.has(x) && !firstReader.has(x)) firstReader.set(x, i);
    }
  });
  const quantized = quantizedWeights(graph);
  const layers: FaultLayer[] = [];
  const byName = new Map<string, FaultLayer>();
  const byNode = new Map<Node, FaultLayer>();
  for (const [node, params] of parametersByNode(graph)) {
    if (NOT_INJECTED.has(node.opType)) continue;
    const tensors: LayerTensor[] = [];
    for (const init of params) {
      if (graph.initializers.get(init)!.dtype !== 'float32' && !quantized.has(init)) continue;
      const input = node.inputs.findIndex((x) => x && traceInitializer(x, graph, producers) === init);
      const base = unquantizedName(init);
      const bias = BIAS_INPUTS[node.opType] === input || ADDS.has(node.opType) || /[._]bias$/.test(base);
      tensors.push({
        name: init,
        role: bias && !/\.weight$/.test(base) ? 'bias' : 'weight',
        outAxis: outAxisOf(node, input, init, graph, producers),
      });
    }
    if (tensors.length === 0) continue;
    const reads = tensors.map((t) => firstReader.get(t.name)!);
    const onlyBiases = tensors.every((t) => t.role === 'bias');
    // A bias added after the product joins the product's layer (MatMul + Add is a Linear), as
    // does a shift named like an earlier scale (decomposed LayerNorm: Mul by .weight, Add .bias).
    const from = ADDS.has(node.opType)
      ? node.inputs.map((x) => producers.get(x)).find((p) => p && byNode.has(p))
      : undefined;
    const host = onlyBiases
      ? from
        ? byNode.get(from)
        : byName.get(moduleName(tensors[0]!.name))
      : undefined;
    if (host) {
      host.tensors.push(...tensors);
      host.nodeIndex = Math.min(host.nodeIndex, ...reads);
      if (anonymous(host.tensors[0]!.name) && !anonymous(tensors[0]!.name)) {
        byName.delete(host.name);
        host.name = moduleName(tensors[0]!.name);
        byName.set(host.name, host);
      }
      continue;
    }
    const weight = tensors.find((t) => t.role === 'weight') ?? tensors[0]!;
    let name = anonymous(weight.name) && node.name ? nodeModuleName(node.name) : moduleName(weight.name);
    for (let k = 2; byName.has(name); k++) name = `${name.replace(/#\d+$/, '')}#${k}`;
    const layer: FaultLayer = {
      name,
      nodeIndex: Math.min(...reads),
      tensors,
    };
    if (WEIGHT_OPS.has(node.opType) && node.inputs[1] === weight.name && weight.role === 'weight')
      layer.computeIndex = index.get(node)!;
    layers.push(layer);
    byName.set(layer.name, layer);
    byNode.set(node, layer);
  }
  return layers.sort((a, b) => a.nodeIndex - b.nodeIndex);
}

/** '/encoder/layer_0/mlp/MatMul' → 'encoder.layer_0.mlp.MatMul' (names of anonymous weights). */
function nodeModuleName(node: string): string {
  return node.replace(/^\//, '').replaceAll('/', '.');
}
