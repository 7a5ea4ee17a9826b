/**
 * Attention-head pruning (Michel, Levy, Neubig 2019, "Are Sixteen Heads Really Better than
 * One?"): a head is scored by the L1 norm of everything it owns (its q, k and v output channels
 * with their biases, and its input rows of the output projection, Torch-Pruning's group norm),
 * and the lowest heads of each attention block go. Removal cuts those channels out of the four
 * projections and rewrites every Reshape in between (`attention.ts` finds them): the constant
 * that carries the head count (H, batch·H or H·d) is scaled by H'/H, whether it is a literal
 * target or a factor in the exporter's shape arithmetic.
 */
import { mustGet, nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import { nameGenerator, type WeightLayer } from '../onnx/graph.js';
import type { Graph, Model, Node } from '../onnx/ir.js';
import type { ShapeInfo } from '../onnx/shape/index.js';
import { i64, numel, type Tensor, toNumbers } from '../onnx/tensor.js';
import { type AttentionBlock, concreteShapes, findAttention } from './attention.js';
import { gatherAxis } from './remove.js';
import type { Masks, MethodContext, MethodResult, PruneMethod } from './types.js';

/** Heads removed per block (indices into `findAttention(...).blocks`). */
export type HeadPlan = Map<number, Set<number>>;

/** The bias added to a projection's output: Gemm's C, or the Add of an initializer after it. */
function biasOf(graph: Graph, layer: WeightLayer): string | undefined {
  if (layer.bias) return layer.bias;
  const y = nth(layer.node.outputs, 0);
  const add = graph.nodes.find((n) => n.opType === 'Add' && n.inputs.includes(y));
  return add?.inputs.find((x) => x !== y && graph.initializers.has(x));
}

/** Flat positions of the output channels [from, from + count) of a weight, along `axis`. */
function channelPositions(dims: readonly number[], axis: number, from: number, count: number): number[] {
  const inner = numel(dims.slice(axis + 1));
  const size = nth(dims, axis);
  const outer = numel(dims.slice(0, axis));
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let c = from; c < from + count; c++)
      for (let i = 0; i < inner; i++) out.push((o * size + c) * inner + i);
  return out;
}

/** Every (tensor, axis, first channel) a head of a block owns. */
function headSlices(graph: Graph, b: AttentionBlock): { tensor: string; axis: number; offset: number }[] {
  const out: { tensor: string; axis: number; offset: number }[] = [];
  for (const s of [b.q, b.k, b.v]) {
    out.push({ tensor: s.layer.weight, axis: s.layer.outAxis, offset: s.offset });
    const bias = biasOf(graph, s.layer);
    if (bias) out.push({ tensor: bias, axis: 0, offset: s.offset });
  }
  out.push({ tensor: b.out.weight, axis: 1 - b.out.outAxis, offset: 0 });
  return out;
}

/** Masks zeroing the planned heads (what a masked, unremoved head looks like). */
function headMasks(graph: Graph, blocks: readonly AttentionBlock[], plan: HeadPlan): Masks {
  const masks: Masks = new Map();
  for (const [i, heads] of plan) {
    const b = nth(blocks, i);
    for (const s of headSlices(graph, b)) {
      const t = graph.initializers.get(s.tensor)!;
      const m = masks.get(s.tensor) ?? new Uint8Array(numel(t.dims)).fill(1);
      for (const h of heads)
        for (const p of channelPositions(t.dims, s.axis, s.offset + h * b.headDim, b.headDim)) m[p] = 0;
      masks.set(s.tensor, m);
    }
  }
  return masks;
}

function headScores(graph: Graph, b: AttentionBlock): number[] {
  const scores = new Array<number>(b.heads).fill(0);
  for (const s of headSlices(graph, b)) {
    const t = mustGet(graph.initializers, s.tensor);
    const v = t.data as Float32Array;
    for (let h = 0; h < b.heads; h++)
      for (const p of channelPositions(t.dims, s.axis, s.offset + h * b.headDim, b.headDim))
        scores[h]! += Math.abs(v[p]!);
  }
  return scores;
}

/**
 * Scales element `index` of the int64 shape value `v` read by `reader` by num/den: a literal
 * (initializer or Constant) is rewritten, in a copy for this reader alone (exporters share equal
 * constants between unrelated nodes); a value computed at run time (from a Shape, as
 * torchvision's embed_dim) gets ·num/den inserted before the reader, exactly, since heads
 * divide it. Through a Concat only the input holding `index` changes. `info` holds the current
 * shapes (the lengths of shape vectors, which no patch changes).
 */
function scaleShapeElement(
  graph: Graph,
  info: ShapeInfo,
  reader: Node,
  v: string,
  index: number,
  num: number,
  den: number,
  fresh: (b: string) => string,
): void {
  const producer = graph.nodes.find((n) => n.outputs.includes(v));
  const attr = producer?.opType === 'Constant' ? producer.attributes.value : undefined;
  const literal = graph.initializers.get(v) ?? (attr?.type === 'tensor' ? attr.value : undefined);
  if (literal) {
    const values = toNumbers(literal);
    values[index] = (nth(values, index) * num) / den;
    const name = fresh(`${v}_heads`);
    graph.initializers.set(name, i64([...literal.dims], values) as Tensor);
    reader.inputs = reader.inputs.map((x) => (x === v ? name : x));
    return;
  }
  if (producer?.opType === 'Concat') {
    let at = index;
    for (const x of producer.inputs) {
      const len = numel(info.shapes.get(x) ?? [1]);
      if (at < len) {
        scaleShapeElement(graph, info, producer, x, at, num, den, fresh);
        return;
      }
      at -= len;
    }
  }
  const len = numel(info.shapes.get(v) ?? [1]);
  const factor = (k: number) =>
    i64(
      [len],
      Array.from({ length: len }, (_, i) => (i === index ? k : 1)),
    );
  const n = fresh(`${v}_times_heads`);
  const d = fresh(`${v}_per_head`);
  graph.initializers.set(n, factor(num) as Tensor);
  graph.initializers.set(d, factor(den) as Tensor);
  const mul = fresh(`${v}_scaled_mul`);
  const scaled = fresh(`${v}_scaled`);
  graph.nodes.splice(
    graph.nodes.indexOf(reader),
    0,
    { name: fresh('heads_Mul'), opType: 'Mul', domain: '', inputs: [v, n], outputs: [mul], attributes: {} },
    {
      name: fresh('heads_Div'),
      opType: 'Div',
      domain: '',
      inputs: [mul, d],
      outputs: [scaled],
      attributes: {},
    },
  );
  reader.inputs = reader.inputs.map((x) => (x === v ? scaled : x));
}

/** The model with the planned heads cut out (the planned heads must already be masked or not). */
export function removeHeads(model: Model, blocks: readonly AttentionBlock[], plan: HeadPlan): Model {
  const g = model.graph;
  const fresh = nameGenerator(g);
  const before = concreteShapes(g);
  const targets = blocks.map((b) => b.reshapes.map((r) => before.consts.get(r.node.inputs[1]!)));
  for (const [i, heads] of plan) {
    const b = nth(blocks, i);
    const slices = new Map<string, { axis: number; drop: Set<number> }>();
    for (const s of headSlices(g, b)) {
      const e = slices.get(s.tensor) ?? { axis: s.axis, drop: new Set<number>() };
      for (const h of heads) for (let c = 0; c < b.headDim; c++) e.drop.add(s.offset + h * b.headDim + c);
      slices.set(s.tensor, e);
    }
    for (const [name, s] of slices) {
      const t = g.initializers.get(name)!;
      const keep = Int32Array.from({ length: t.dims[s.axis]! }, (_, c) => c).filter((c) => !s.drop.has(c));
      g.initializers.set(name, gatherAxis(t, s.axis, keep));
    }
  }
  // Then every Reshape between the projections gets its head axis scaled by H'/H.
  blocks.forEach((b, i) => {
    const removed = plan.get(i)?.size ?? 0;
    if (removed === 0) return;
    const kept = b.heads - removed;
    b.reshapes.forEach((r, j) => {
      const old = targets[i]![j];
      if (!old)
        throw new PrunefiError(
          'PRUNE_UNSUPPORTED',
          `the target of Reshape '${r.node.name}' is not known before pruning`,
        );
      const want = old[r.axis]!;
      if (want === -1 || want === 0) return;
      // Inferred afresh: an earlier patch may have rescaled a target this Reshape shares.
      const info = concreteShapes(g);
      const now = info.consts.get(r.node.inputs[1]!);
      // Targets read from shapes that already shrank (the chunk of a packed qkv) need nothing.
      if (now && now[r.axis] === (want * kept) / b.heads) return;
      scaleShapeElement(g, info, r.node, r.node.inputs[1]!, r.axis, kept, b.heads, fresh);
    });
  });
  return model;
}

/** Heads: the method registry entry. */
export const heads: PruneMethod = {
  name: 'heads',
  description:
    'remove whole attention heads of smallest L1 norm (q, k, v channels and output-projection rows)',
  reference: 'Michel, Levy, Neubig 2019, Are Sixteen Heads Really Better than One?',
  granularity: 'head',
  defaultScope: 'layer',
  scopes: ['layer'],
  needsData: false,
  needsGradients: false,
  needsTraining: false,
  options: {},
  async run(ctx: MethodContext): Promise<MethodResult> {
    const g = ctx.model.graph;
    const { blocks, notes } = findAttention(g);
    if (blocks.length === 0) {
      throw new PrunefiError(
        'PRUNE',
        `no attention block whose heads can be pruned (${notes.join('; ') || 'the model has no Softmax attention'})`,
      );
    }
    const allowed = new Set(ctx.targets.map((t) => t.weight));
    const plan: HeadPlan = new Map();
    blocks.forEach((b, i) => {
      const target = ctx.targets.find((t) => t.weight === b.q.layer.weight);
      if (!allowed.has(b.q.layer.weight) || !target) {
        notes.push(`${b.softmax.name}: heads kept (its projection is not a pruning target)`);
        return;
      }
      const count = Math.min(b.heads - 1, Math.round(target.sparsity * b.heads));
      if (count === 0) return;
      const order = headScores(g, b)
        .map((s, h) => [s, h] as const)
        .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      plan.set(i, new Set(order.slice(0, count).map(([, h]) => h)));
    });
    return {
      masks: headMasks(g, blocks, plan),
      notes,
      remover: (model) => removeHeads(model, findAttention(model.graph).blocks, plan),
    };
  },
};
