/**
 * Graph cuts for fast injection. A fault in a layer changes nothing before it, so the evaluator
 * runs only the *suffix* of the (topologically ordered) graph from the faulty layer's node, fed
 * with the golden activations that cross the cut, and with the faulty layer's weights as graph
 * inputs so one session serves every fault in that layer. A suffix from node 0 is the whole
 * graph: that is the naive mode, built by the same code so both modes run the same kernels.
 */
import { PrunefiError } from '../core/errors.js';
import type { Graph, Model, ValueInfo } from '../onnx/ir.js';
import type { DType } from '../onnx/tensor.js';

/**
 * The values a suffix starting at node `start` reads but does not produce (excluding
 * initializers): the golden activations to cache for that cut, in first-use order.
 */
export function cutValues(graph: Graph, start: number): string[] {
  const produced = new Set<string>();
  const out: string[] = [];
  const seen = new Set<string>();
  for (const n of graph.nodes.slice(start)) {
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
 * The model made of nodes[start:], whose inputs are the cut values (typed by `types`) and the
 * initializers named in `weightInputs` (which become graph inputs so they can be swapped per
 * run). Initializers the suffix does not read are dropped, so the session holds only its part.
 * With `segment`, only nodes[start:end] are kept and `outputs` become the graph outputs.
 */
export function suffixModel(
  model: Model,
  start: number,
  weightInputs: readonly string[],
  types: ReadonlyMap<string, DType>,
  segment?: { end: number; outputs: readonly string[] },
): Model {
  const g = model.graph;
  const nodes = g.nodes.slice(start, segment?.end);
  const cuts = cutValues({ ...g, nodes: g.nodes.slice(0, segment?.end) }, start);
  const used = new Set(nodes.flatMap((n) => n.inputs));
  const asInput = new Set(weightInputs);
  const inputs: ValueInfo[] = [];
  for (const name of cuts) {
    const declared = g.inputs.find((v) => v.name === name);
    const elemType = declared?.elemType ?? types.get(name);
    if (!elemType) throw new Error(`cut value '${name}' has no known element type`);
    inputs.push({ name, elemType });
  }
  const initializers = new Map<string, typeof g.initializers extends Map<string, infer T> ? T : never>();
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

/** The model with extra graph outputs (declared by name and element type only). */
export function withOutputs(
  model: Model,
  names: readonly string[],
  types: ReadonlyMap<string, DType>,
): Model {
  const have = new Set(model.graph.outputs.map((v) => v.name));
  const extra: ValueInfo[] = names
    .filter((n) => !have.has(n))
    .map((name) => ({ name, elemType: types.get(name) ?? 'float32' }));
  return { ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra] } };
}
