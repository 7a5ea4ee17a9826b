/**
 * Multi-head attention blocks in any exported graph, found from their Softmax: the QKᵀ MatMul
 * before it, the AV MatMul after it, the q, k and v projections behind them (through bias Adds,
 * scalings, Reshape, Transpose and the Slices of a packed qkv projection) and the output
 * projection after AV. Like Tork-Pruning's dependency graph it follows the head axis through
 * every Reshape and Transpose in between, by strides: a head is `headDim` consecutive channels
 * of a projection, so in any later layout it is the axis holding the stride headDim·(channel
 * stride). Those Reshapes are the ones whose targets change when heads go.
 */
import { mustGet, nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import { consumers, type WeightLayer, weightLayers } from '../onnx/graph.js';
import { type Graph, getInts, type Node } from '../onnx/ir.js';
import { concreteInputShapes, inferShapes, type ShapeInfo } from '../onnx/shape/index.js';

/** One of q, k, v: a projection and where its channels start in the projection's output. */
export interface HeadSource {
  layer: WeightLayer;
  /** First output channel of this operand (0, or E and 2E in a packed qkv projection). */
  offset: number;
}

/** An attention block whose heads can be pruned together. */
export interface AttentionBlock {
  softmax: Node;
  heads: number;
  headDim: number;
  q: HeadSource;
  k: HeadSource;
  v: HeadSource;
  /** The output projection: its input channels are the heads, concatenated. */
  out: WeightLayer;
  /** Reshapes between the projections and the output projection, and the axis holding heads. */
  reshapes: { node: Node; axis: number }[];
}

/** Ops a head's values pass through unchanged in meaning between a projection and attention. */
const PASS = new Set([
  'Reshape',
  'Transpose',
  'Div',
  'Mul',
  'Add',
  'Sub',
  'Cast',
  'Identity',
  'Slice',
  'Dropout',
]);

/**
 * Shapes with every symbolic dim concrete (batch 2, so the batch axis is told apart from the
 * size-1 axes a reshape inserts).
 */
export function concreteShapes(graph: Graph): ShapeInfo {
  return inferShapes(graph, { inputShapes: concreteInputShapes(graph, 2), partial: true });
}

interface Trace {
  layer: WeightLayer;
  offset: number;
  /** Nodes from the projection's output to the traced value, in order. */
  path: Node[];
}

/** The attention blocks of a graph, and notes on Softmaxes that are not (or not followable) ones. */
export function findAttention(graph: Graph): { blocks: AttentionBlock[]; notes: string[] } {
  const info = concreteShapes(graph);
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const layers = new Map(weightLayers(graph).map((l) => [l.node, l]));
  const uses = consumers(graph);
  // The consumers that read a value's data (a Shape reads only its dims).
  const readers = (v: string) => (uses.get(v) ?? []).filter((c) => c.opType !== 'Shape');
  const isConst = (v: string) => graph.initializers.has(v) || producer.get(v)?.opType === 'Constant';

  // Back from a value to the projection it comes from, through PASS ops.
  const back = (value: string): Trace | null => {
    const path: Node[] = [];
    let offset = 0;
    for (let v = value, hops = 0; hops < 32; hops++) {
      const p = producer.get(v);
      if (!p) return null;
      const layer = layers.get(p);
      if (layer) return { layer, offset, path: path.reverse() };
      if (!PASS.has(p.opType)) return null;
      if (p.opType === 'Slice') {
        const starts = info.consts.get(p.inputs[1] ?? '');
        if (starts?.length !== 1) return null;
        offset += nth(starts, 0);
      }
      path.push(p);
      // Through the operand that is an activation (a bias, scale or mask is the other one).
      const next = p.inputs.filter(
        (x, i) => x && (i === 0 || !['Reshape', 'Slice'].includes(p.opType)) && !isConst(x),
      );
      // Only a choice between operands needs a look ahead; one operand is simply followed.
      const act = next.length === 1 ? next : next.filter((x) => back(x) !== null);
      if (act.length !== 1) return null;
      v = nth(act, 0);
    }
    return null;
  };
  // Forward from a value to the first weight layer reading it, through Reshape/Transpose.
  const forward = (value: string): { layer: WeightLayer; path: Node[] } | null => {
    const path: Node[] = [];
    for (let v = value, hops = 0; hops < 8; hops++) {
      const cs = readers(v);
      if (cs.length !== 1) return null;
      const c = nth(cs, 0);
      const layer = layers.get(c);
      if (layer && c.inputs[0] === v) return { layer, path };
      if (!['Reshape', 'Transpose'].includes(c.opType)) return null;
      path.push(c);
      v = nth(c.outputs, 0);
    }
    return null;
  };

  const blocks: AttentionBlock[] = [];
  const notes: string[] = [];
  for (const s of graph.nodes.filter((n) => n.opType === 'Softmax')) {
    const name = s.name || nth(s.outputs, 0);
    // QKᵀ: the MatMul of two activations behind the Softmax (through scaling and the mask Add).
    // Exporters put the scores first: Div(scores, √d), Add(scores, mask).
    let qk: Node | undefined;
    for (let v = s.inputs[0]!, hops = 0; hops < 4 && !qk; hops++) {
      const p = producer.get(v);
      if (!p) break;
      if (p.opType === 'MatMul' && !layers.has(p)) qk = p;
      else if (['Div', 'Mul', 'Add', 'Cast'].includes(p.opType))
        v = isConst(p.inputs[0]!) ? p.inputs[1]! : p.inputs[0]!;
      else break;
    }
    const av = readers(nth(s.outputs, 0)).find((c) => c.opType === 'MatMul' && c.inputs[0] === s.outputs[0]);
    if (!qk || !av) {
      notes.push(`${name}: not an attention Softmax (no QKᵀ and AV MatMuls around it)`);
      continue;
    }
    const q = back(nth(qk.inputs, 0));
    const k = back(nth(qk.inputs, 1));
    const v = back(nth(av.inputs, 1));
    const out = forward(nth(av.outputs, 0));
    const headDim = info.shapes.get(nth(av.outputs, 0))?.at(-1);
    if (!q || !k || !v || !out || !headDim) {
      notes.push(`${name}: attention whose q, k, v or output projection the head analysis cannot follow`);
      continue;
    }
    const width = (t: Trace) => info.shapes.get(nth(t.layer.node.outputs, 0))?.at(-1) ?? 0;
    const e =
      out.layer.outAxis === 1
        ? nth(mustGet(graph.initializers, out.layer.weight).dims, 0)
        : nth(mustGet(graph.initializers, out.layer.weight).dims, 1);
    const heads = e / headDim;
    if (!Number.isInteger(heads) || heads < 1 || [q, k, v].some((t) => t.offset + e > width(t))) {
      notes.push(`${name}: head width ${headDim} does not divide the projections' ${e} channels`);
      continue;
    }
    const reshapes: { node: Node; axis: number }[] = [];
    try {
      for (const t of [q, k, v]) collectReshapes(t.path, t.layer, headDim, info, reshapes);
      // From AV's output on, the head axis is where AV put it: follow it from the v path's layout.
      collectAfter(av, out.path, v, headDim, info, reshapes);
    } catch (err) {
      if (!(err instanceof PrunefiError)) throw err;
      notes.push(`${name}: ${err.message}`);
      continue;
    }
    blocks.push({ softmax: s, heads, headDim, q: trim(q), k: trim(k), v: trim(v), out: out.layer, reshapes });
  }
  return { blocks, notes };
}

const trim = (t: Trace): HeadSource => ({ layer: t.layer, offset: t.offset });

/** Where heads sit in a value: along `axis`, each head `inner` entries of that axis apart. */
interface HeadAxis {
  axis: number;
  inner: number;
}

const stridesOf = (dims: readonly number[]) =>
  dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));

/** The head axis after a Reshape from `from` to `to`: the axis holding the head's flat stride. */
function reshapeHeadAxis(h: HeadAxis, from: number[], to: number[], node: Node): HeadAxis {
  const stride = nth(stridesOf(from), h.axis) * h.inner;
  const t = stridesOf(to);
  const axis = to.findIndex((d, i) => nth(t, i) <= stride && stride < nth(t, i) * d);
  if (axis < 0 || stride % nth(t, axis) !== 0)
    throw new PrunefiError('PRUNE_UNSUPPORTED', `Reshape '${node.name}' splits a head across axes`);
  return { axis, inner: stride / nth(t, axis) };
}

function follow(h: HeadAxis, n: Node, info: ShapeInfo, reshapes: { node: Node; axis: number }[]): HeadAxis {
  if (n.opType === 'Reshape') {
    const from = info.shapes.get(nth(n.inputs, 0));
    const to = info.shapes.get(nth(n.outputs, 0));
    if (!from || !to) throw new PrunefiError('PRUNE_UNSUPPORTED', `Reshape '${n.name}' has no known shapes`);
    const next = reshapeHeadAxis(h, from, to, n);
    if (!reshapes.some((r) => r.node === n)) reshapes.push({ node: n, axis: next.axis });
    return next;
  }
  if (n.opType === 'Transpose') {
    const rank = info.shapes.get(nth(n.inputs, 0))?.length ?? 0;
    const perm = getInts(
      n,
      'perm',
      Array.from({ length: rank }, (_, i) => rank - 1 - i),
    );
    return { axis: perm.indexOf(h.axis), inner: h.inner };
  }
  return h;
}

/** Follows the head axis from a projection's output channels along `path`. */
function collectReshapes(
  path: Node[],
  layer: WeightLayer,
  headDim: number,
  info: ShapeInfo,
  reshapes: { node: Node; axis: number }[],
): HeadAxis {
  const rank = info.shapes.get(nth(layer.node.outputs, 0))?.length ?? 2;
  let h: HeadAxis = { axis: rank - 1, inner: headDim };
  for (const n of path) h = follow(h, n, info, reshapes);
  return h;
}

/** From AV's output (heads where v's path put them) to the output projection. */
function collectAfter(
  av: Node,
  path: Node[],
  v: Trace,
  headDim: number,
  info: ShapeInfo,
  reshapes: { node: Node; axis: number }[],
): void {
  // AV keeps v's batch axes: the head axis of its output is the head axis of v's last value.
  let h = collectReshapes(v.path, v.layer, headDim, info, []);
  const vRank = info.shapes.get(nth(av.inputs, 1))?.length ?? 0;
  const outRank = info.shapes.get(nth(av.outputs, 0))?.length ?? 0;
  if (h.axis >= vRank - 2)
    throw new PrunefiError('PRUNE_UNSUPPORTED', 'heads are not a batch axis of the AV product');
  h = { axis: h.axis + outRank - vRank, inner: h.inner };
  for (const n of path) h = follow(h, n, info, reshapes);
}
