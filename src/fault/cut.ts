/**
 * Graph cuts for fast injection. A fault in a layer changes nothing before it, so the evaluator
 * runs only the *suffix* of the (topologically ordered) graph from the faulty layer's node, fed
 * with the golden activations that cross the cut, and with the faulty layer's weights as graph
 * inputs so one session serves every fault in that layer. A suffix from node 0 is the whole
 * graph: that is the naive mode, built by the same code so both modes run the same kernels.
 *
 * Not every value crossing a cut can be fed from a cache of per-image activations: transformer
 * exports compute shapes (Shape → Gather → Concat, int64 scalars that depend on the batch size)
 * and run attention sequence-first ([L, B, E]). The suffix then also holds the prefix nodes that
 * recompute those values from values that are fed (or from the graph input), so every rewrite
 * keeps each value's producer and element type.
 */
import { PrunefiError } from '../core/errors.js';
import type { Graph, Model, Node, ValueInfo } from '../onnx/ir.js';
import type { DType } from '../onnx/tensor.js';

/** The values `nodes` read but do not produce (excluding initializers), in first-use order. */
function readsOf(graph: Graph, nodes: readonly Node[]): string[] {
  const produced = new Set<string>();
  const out: string[] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (!i || produced.has(i) || graph.initializers.has(i) || seen.has(i)) continue;
      seen.add(i);
      out.push(i);
    }
    for (const o of n.outputs) if (o) produced.add(o);
  }
  return out;
}

/**
 * The values a suffix starting at node `start` reads but does not produce (excluding
 * initializers): the golden activations crossing that cut, in first-use order.
 */
export function cutValues(graph: Graph, start: number): string[] {
  return readsOf(graph, graph.nodes.slice(start));
}

/**
 * The nodes of a suffix from `start` (to `end`) plus the prefix nodes it needs to recompute the
 * values crossing the cut that `fed` rejects, in graph order. The graph's inputs are always fed.
 */
export function suffixNodes(
  graph: Graph,
  start: number,
  fed: (value: string) => boolean,
  end = graph.nodes.length,
): Node[] {
  const producer = new Map<string, number>();
  graph.nodes.slice(0, start).forEach((n, i) => {
    for (const o of n.outputs) if (o) producer.set(o, i);
  });
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const pulled = new Set<number>();
  const stack = cutValues({ ...graph, nodes: graph.nodes.slice(0, end) }, start);
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (inputs.has(v) || graph.initializers.has(v) || fed(v)) continue;
    const p = producer.get(v);
    if (p === undefined || pulled.has(p)) continue;
    pulled.add(p);
    for (const i of graph.nodes[p]!.inputs) if (i) stack.push(i);
  }
  return [...[...pulled].sort((a, b) => a - b).map((i) => graph.nodes[i]!), ...graph.nodes.slice(start, end)];
}

/** Where a suffix ends and what it outputs, for a segment of the graph. */
export interface SuffixSegment {
  end: number;
  outputs: readonly string[];
}

/**
 * The model made of nodes[start:] (and the prefix nodes that recompute values `fed` rejects, see
 * `suffixNodes`), whose inputs are the fed values crossing the cut (typed by `types`) and the
 * initializers named in `weightInputs` (which become graph inputs so they can be swapped per
 * run). Initializers the suffix does not read are dropped, so the session holds only its part.
 * With `segment`, only nodes[start:end] are kept and `outputs` become the graph outputs.
 */
export function suffixModel(
  model: Model,
  start: number,
  weightInputs: readonly string[],
  types: ReadonlyMap<string, DType>,
  options: { fed?: (value: string) => boolean; segment?: SuffixSegment } = {},
): Model {
  const g = model.graph;
  const { segment } = options;
  const nodes = suffixNodes(g, start, options.fed ?? (() => true), segment?.end);
  const used = new Set(nodes.flatMap((n) => n.inputs));
  const asInput = new Set(weightInputs);
  const inputs: ValueInfo[] = [];
  for (const name of readsOf(g, nodes)) {
    const declared = g.inputs.find((v) => v.name === name);
    const elemType = declared?.elemType ?? types.get(name);
    if (!elemType) throw new Error(`cut value '${name}' has no known element type`);
    inputs.push({ name, elemType });
  }
  const initializers: Graph['initializers'] = new Map();
  for (const [name, t] of g.initializers) {
    if (!used.has(name)) continue;
    if (asInput.has(name)) inputs.push({ name, elemType: t.dtype, shape: [...t.dims] });
    else initializers.set(name, t);
  }
  for (const w of weightInputs) {
    if (!g.initializers.has(w)) {
      throw new PrunefiError('ONNX_INVALID', `weight '${w}' is not an initializer of the model`);
    }
  }
  return {
    ...model,
    graph: {
      name: `${g.name}_from_${start}`,
      nodes,
      initializers,
      inputs,
      outputs: segment
        ? segment.outputs.map((name) => ({ name, elemType: types.get(name) ?? 'float32' }))
        : g.outputs.map((v) => ({ ...v })),
      valueInfo: [],
    },
  };
}

/**
 * The model with extra graph outputs, declared by name and element type (`types`); a value whose
 * type is unknown cannot be declared and is left out.
 */
export function withOutputs(
  model: Model,
  names: readonly string[],
  types: ReadonlyMap<string, DType>,
): Model {
  const have = new Set(model.graph.outputs.map((v) => v.name));
  const extra: ValueInfo[] = names
    .filter((n) => !have.has(n) && types.has(n))
    .map((name) => ({ name, elemType: types.get(name)! }));
  return { ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra] } };
}
