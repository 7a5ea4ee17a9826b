/**
 * Graph queries and edits that every stage needs: producer/consumer maps, topological order,
 * the weight tensors of compute layers, copies, and fresh names.
 */
import { nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import type { Graph, Model, Node } from './ir.js';
import { cloneTensor, type Tensor } from './tensor.js';

/** The node producing each value (graph inputs and initializers have none). */
export function producers(graph: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** The nodes reading each value, in node order. */
export function consumers(graph: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

/**
 * Sorts nodes topologically (stable: keeps file order where dependencies allow). Throws when a
 * node reads a value nothing defines, or the graph has a cycle.
 */
export function topoSort(graph: Graph): Node[] {
  const defined = new Set<string>([...graph.initializers.keys(), ...graph.inputs.map((v) => v.name), '']);
  const pending = [...graph.nodes];
  const out: Node[] = [];
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = 0; i < pending.length; ) {
      const n = pending[i]!;
      if (n.inputs.every((x) => defined.has(x))) {
        out.push(n);
        for (const o of n.outputs) defined.add(o);
        pending.splice(i, 1);
      } else i++;
    }
    if (pending.length === before) {
      const n = nth(pending, 0);
      const missing = n.inputs.filter((x) => !defined.has(x));
      throw new PrunefiError(
        'ONNX_INVALID',
        `node '${n.name || n.opType}' reads ${missing.map((m) => `'${m}'`).join(', ')}, which no node, input or initializer defines (or the graph has a cycle)`,
      );
    }
  }
  return out;
}

/** Ops whose weight operand is the memory prunefi prunes and injects faults into. */
export const WEIGHT_OPS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** A compute layer: a Conv/ConvTranspose/Gemm/MatMul node with a constant weight (and bias). */
export interface WeightLayer {
  node: Node;
  /** Initializer name of the weight. */
  weight: string;
  /** Initializer name of the bias, if any. */
  bias?: string;
  /**
   * Axis of the weight along which output channels run (filters of a Conv: 0; a Gemm with
   * transB=1: 0; MatMul or Gemm with transB=0: 1).
   */
  outAxis: number;
}

/**
 * The weight layers of a graph in node order. MatMul and Gemm count only when their second
 * operand is an initializer (an activation × activation product has no stored weight).
 */
export function weightLayers(graph: Graph): WeightLayer[] {
  const layers: WeightLayer[] = [];
  for (const n of graph.nodes) {
    if (!WEIGHT_OPS.has(n.opType) || n.domain !== '') continue;
    const w = n.inputs[1];
    if (!w || !graph.initializers.has(w)) continue;
    const b = n.opType === 'MatMul' ? undefined : n.inputs[2];
    const layer: WeightLayer = { node: n, weight: w, outAxis: weightOutAxis(n) };
    if (b && graph.initializers.has(b)) layer.bias = b;
    layers.push(layer);
  }
  return layers;
}

/**
 * The axis of a weight op's input-1 weight along which output channels run: filters of a Conv
 * and a Gemm with transB=1: 0; MatMul, ConvTranspose and a Gemm with transB=0: 1.
 */
export function weightOutAxis(n: Node): number {
  if (n.opType === 'MatMul' || n.opType === 'ConvTranspose') return 1;
  if (n.opType === 'Gemm') {
    const a = n.attributes.transB;
    return a?.type === 'int' && a.value === 1 ? 0 : 1;
  }
  return 0;
}

/** A copy of the graph; initializer data is copied only when `deep` (default: shared). */
export function cloneGraph(graph: Graph, deep = false): Graph {
  const g: Graph = {
    name: graph.name,
    nodes: graph.nodes.map((n) => ({
      ...n,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attributes: { ...n.attributes },
    })),
    initializers: new Map([...graph.initializers].map(([k, t]) => [k, deep ? cloneTensor(t) : t])),
    inputs: graph.inputs.map((v) => ({ ...v, ...(v.shape ? { shape: [...v.shape] } : {}) })),
    outputs: graph.outputs.map((v) => ({ ...v, ...(v.shape ? { shape: [...v.shape] } : {}) })),
    valueInfo: graph.valueInfo.map((v) => ({ ...v, ...(v.shape ? { shape: [...v.shape] } : {}) })),
  };
  if (graph.docString) g.docString = graph.docString;
  return g;
}

/** A copy of the model (see `cloneGraph` for what `deep` means). */
export function cloneModel(model: Model, deep = false): Model {
  return {
    ...model,
    opsetImports: model.opsetImports.map((o) => ({ ...o })),
    metadata: new Map(model.metadata),
    graph: cloneGraph(model.graph, deep),
    functions: [...model.functions],
  };
}

/** Every value name used in the graph (inputs, outputs, initializers, node outputs). */
export function valueNames(graph: Graph): Set<string> {
  const s = new Set<string>([...graph.initializers.keys()]);
  for (const v of graph.inputs) s.add(v.name);
  for (const v of graph.outputs) s.add(v.name);
  for (const n of graph.nodes) {
    for (const o of n.outputs) s.add(o);
    for (const i of n.inputs) s.add(i);
  }
  return s;
}

/** Generates names not yet used in a graph: `fresh('grad/conv1.weight')` → unique variant. */
export function nameGenerator(graph: Graph): (base: string) => string {
  const used = valueNames(graph);
  for (const n of graph.nodes) if (n.name) used.add(n.name);
  return (base) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/** The initializer called `name`; a missing one is an error naming the tensor. */
export function getInitializer(graph: Graph, name: string): Tensor {
  const t = graph.initializers.get(name);
  if (!t) throw new PrunefiError('ONNX_INVALID', `the model has no initializer '${name}'`);
  return t;
}

/**
 * Replaces `Identity(initializer)` nodes by a copy of the initializer under the output name.
 * PyTorch's exporter deduplicates equal parameters (freshly initialized BatchNorm scales are all
 * ones) into one initializer plus Identity nodes; in the trained network they are separate
 * parameters, so training, pruning and fault injection must see them separately. Returns the
 * number of nodes replaced. Outputs stay numerically identical.
 */
export function materializeIdentityConstants(graph: Graph): number {
  const outputs = new Set(graph.outputs.map((v) => v.name));
  let replaced = 0;
  graph.nodes = graph.nodes.filter((n) => {
    const src = n.inputs[0];
    const out = n.outputs[0];
    if (n.opType !== 'Identity' || !src || !out || outputs.has(out)) return true;
    const t = graph.initializers.get(src);
    if (!t) return true;
    graph.initializers.set(out, cloneTensor(t));
    replaced++;
    return false;
  });
  return replaced;
}
