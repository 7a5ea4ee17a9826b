/**
 * Channel dependency analysis: which output channels of which layers must be pruned together,
 * and which tensor axes shrink when a channel goes.
 *
 * Every activation value that carries channels gets a layout: the channel axis and a list of
 * segments, each a whole channel group (a Concat output has several), each channel spanning
 * `inner` consecutive entries (1 in NCHW; H×W after Flatten, so one channel maps to H×W Gemm
 * input columns). Conv/Gemm/MatMul outputs start new groups; element-wise ops with two channel
 * inputs (a residual Add) merge their groups (union-find), so every member of a group loses the
 * same channels. Every initializer axis indexed by channels is recorded as a slice: the filters
 * of the producing layers, BatchNorm parameters, depthwise filters, and the input channels of
 * every consumer. Groups that reach a graph input or output cannot shrink (they are pinned);
 * groups that reach an op the pass cannot follow are blocked by that node.
 */
import { mustGet, nth } from '../core/checked.js';
import { errorMessage } from '../core/errors.js';
import { consumers, type WeightLayer, weightLayers } from '../onnx/graph.js';
import { type Graph, getInt, getInts, type Node } from '../onnx/ir.js';
import { concreteInputShapes, inferShapes } from '../onnx/shape/index.js';
import { numel, toNumbers } from '../onnx/tensor.js';

/** One run of a value's channel axis: a whole channel group, each channel `inner` entries wide. */
export interface Segment {
  group: number;
  inner: number;
}

/** How a value's channel axis is made of channel groups. */
export interface Layout {
  axis: number;
  segments: Segment[];
}

/**
 * How a slice's entries relate to the channel: `source` (the filter producing it), `consumer`
 * (input weights reading it), `param` (per-channel parameters: BatchNorm scale and bias,
 * depthwise filters, per-channel constants), `stat` (BatchNorm running statistics: removed with
 * the channel, but never zeroed: a zero variance or divisor is not harmless).
 */
export type SliceRole = 'source' | 'consumer' | 'param' | 'stat';

/** An initializer axis whose entries follow a layout of channel groups. */
export interface ChannelSlice {
  tensor: string;
  axis: number;
  segments: Segment[];
  role: SliceRole;
  node: Node;
}

/** A weight layer whose output channels are the channels of a group. */
export interface ChannelSource {
  layer: WeightLayer;
  /** Axis of the weight along which the filters lie. */
  axis: number;
}

/** A set of channels that must be pruned together. */
export interface ChannelGroup {
  id: number;
  /** Number of channels. */
  size: number;
  sources: ChannelSource[];
  slices: ChannelSlice[];
  /** Why these channels can never be removed (graph input/output, grouped convolution...). */
  pinned: string[];
  /** Ops the structural pass cannot follow that read these channels. */
  blockedBy: { node: string; op: string; reason: string }[];
}

/** The result of `analyzeChannels`. */
export interface ChannelAnalysis {
  /** The channel groups (after merging), in order of their first producer. */
  groups: ChannelGroup[];
  /** The group of each source layer's weight. */
  groupOfWeight: Map<string, ChannelGroup>;
  /** Depthwise convolutions, whose `group` attribute follows their channel count. */
  depthwise: { node: Node; segments: Segment[] }[];
  /** Reshapes that flatten channels, with their constant target's initializer (if any). */
  flattenReshapes: { node: Node; segments: Segment[] }[];
}

/** A set of pruned channels per group id. */
export type ChannelPlan = Map<number, Set<number>>;

interface RawGroup {
  size: number;
  sources: ChannelSource[];
  pinned: string[];
  blockedBy: { node: string; op: string; reason: string }[];
}

/**
 * How the channel pass follows an op. `conv` and `linear`: a layer whose constant weight starts
 * a new group (a depthwise Conv passes its input's group through); `norm`: per-channel
 * parameters; `unary`: channels kept element for element (pooling included); `softmax`: kept
 * unless it normalizes across them; `elementwise`: the operands' groups merged; `concat`: groups
 * joined along the axis; `flatten`: each channel spread over the flattened entries; `axes`: the
 * channel axis renumbered; `spatial`: other axes resized; `reduce`: kept unless reduced; `shape`:
 * only the shape is read.
 */
export type ChannelRule =
  | 'conv'
  | 'linear'
  | 'norm'
  | 'unary'
  | 'softmax'
  | 'elementwise'
  | 'concat'
  | 'flatten'
  | 'axes'
  | 'spatial'
  | 'reduce'
  | 'shape';

const ruleOf = (rule: ChannelRule, ops: readonly string[]) => ops.map((op) => [op, rule] as const);

/**
 * The rule of every op the structural pass follows, by op type (`domain.Op` outside the default
 * domain). An op not listed blocks the groups it reads. The README's table of supported ops is
 * generated from this map (`scripts/op-support.mjs`).
 */
export const CHANNEL_RULES: ReadonlyMap<string, ChannelRule> = new Map([
  ...ruleOf('conv', ['Conv', 'ConvTranspose']),
  ...ruleOf('linear', ['Gemm', 'MatMul']),
  ...ruleOf('norm', ['BatchNormalization', 'InstanceNormalization']),
  ...ruleOf('unary', [
    'Relu',
    'LeakyRelu',
    'Sigmoid',
    'Tanh',
    'Clip',
    'Identity',
    'Cast',
    'Elu',
    'Selu',
    'Softplus',
    'Softsign',
    'HardSigmoid',
    'HardSwish',
    'Erf',
    'Abs',
    'Neg',
    'Exp',
    'Log',
    'Sqrt',
    'Reciprocal',
    'Mish',
    'Gelu',
    'Dropout',
    'MaxPool',
    'AveragePool',
    'LpPool',
    'GlobalAveragePool',
    'GlobalMaxPool',
    'GlobalLpPool',
  ]),
  ...ruleOf('softmax', ['Softmax', 'LogSoftmax']),
  ...ruleOf('elementwise', ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'Pow']),
  ...ruleOf('concat', ['Concat']),
  ...ruleOf('flatten', ['Flatten', 'Reshape']),
  ...ruleOf('axes', ['Squeeze', 'Unsqueeze', 'Transpose']),
  ...ruleOf('spatial', ['Pad', 'Resize', 'Upsample']),
  ...ruleOf('reduce', [
    'ReduceL1',
    'ReduceL2',
    'ReduceLogSum',
    'ReduceLogSumExp',
    'ReduceMax',
    'ReduceMean',
    'ReduceMin',
    'ReduceProd',
    'ReduceSum',
    'ReduceSumSquare',
  ]),
  ...ruleOf('shape', ['Shape', 'Size']),
]);

/** Element-wise ops whose constant operand may be zeroed with its channel (x op 0 is harmless). */
const ZEROABLE_CONST = new Set(['Add', 'Sub', 'Mul', 'Max', 'Min', 'Sum', 'Mean', 'PRelu']);

/**
 * Analyzes the channel dependencies of a graph (identity constants should be materialized first,
 * so shared-looking parameters are separate). Never throws for unknown ops: they block the groups
 * they read, and callers decide whether that is an error.
 */
export function analyzeChannels(graph: Graph): ChannelAnalysis {
  let shapes: Map<string, number[]> = new Map();
  let shapeError = '';
  try {
    shapes = inferShapes(graph, { inputShapes: concreteInputShapes(graph) }).shapes;
  } catch (err) {
    shapeError = errorMessage(err);
  }
  const raw: RawGroup[] = [];
  const parent: number[] = [];
  const find = (g: number): number => {
    while (parent[g] !== g) {
      parent[g] = nth(parent, nth(parent, g));
      g = nth(parent, g);
    }
    return g;
  };
  const newGroup = (size: number, pinned?: string): number => {
    raw.push({ size, sources: [], pinned: pinned ? [pinned] : [], blockedBy: [] });
    parent.push(raw.length - 1);
    return raw.length - 1;
  };
  const layouts = new Map<string, Layout>();
  const slices: ChannelSlice[] = [];
  const depthwise: ChannelAnalysis['depthwise'] = [];
  const flattenReshapes: ChannelAnalysis['flattenReshapes'] = [];
  const layers = new Map(weightLayers(graph).map((l) => [l.node, l]));
  const init = (name: string | undefined) => (name ? graph.initializers.get(name) : undefined);
  const total = (l: Layout) => l.segments.reduce((a, s) => a + nth(raw, find(s.group)).size * s.inner, 0);

  const block = (n: Node, l: Layout | undefined, reason: string): void => {
    if (!l) return;
    for (const s of l.segments)
      nth(raw, find(s.group)).blockedBy.push({ node: n.name || n.opType, op: n.opType, reason });
  };
  const pin = (l: Layout | undefined, reason: string): void => {
    if (!l) return;
    for (const s of l.segments) nth(raw, find(s.group)).pinned.push(reason);
  };
  const union = (a: Layout, b: Layout): boolean => {
    if (a.segments.length !== b.segments.length) return false;
    for (let i = 0; i < a.segments.length; i++) {
      const x = nth(a.segments, i);
      const y = nth(b.segments, i);
      const rx = find(x.group);
      const ry = find(y.group);
      if (x.inner !== y.inner || nth(raw, rx).size !== nth(raw, ry).size) return false;
      if (rx === ry) continue;
      parent[ry] = rx;
      const gx = nth(raw, rx);
      const gy = nth(raw, ry);
      gx.sources.push(...gy.sources);
      gx.pinned.push(...gy.pinned);
      gx.blockedBy.push(...gy.blockedBy);
    }
    return true;
  };
  const newOutput = (n: Node, size: number, axis: number, pinned?: string): number => {
    const g = newGroup(size, pinned);
    const out = n.outputs[0];
    if (out) layouts.set(out, { axis, segments: [{ group: g, inner: 1 }] });
    return g;
  };
  const slice = (tensor: string, axis: number, l: Layout, role: SliceRole, n: Node): void => {
    slices.push({ tensor, axis, segments: l.segments.map((s) => ({ ...s })), role, node: n });
  };
  const rankOf = (name: string): number | undefined => shapes.get(name)?.length;
  const passthrough = (n: Node, l: Layout, axis = l.axis): void => {
    for (const o of n.outputs) if (o) layouts.set(o, { axis, segments: l.segments });
  };

  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name)) continue;
    const shape = shapes.get(v.name);
    if (!shape || shape.length < 2) continue;
    const g = newGroup(nth(shape, 1), `channels of graph input '${v.name}'`);
    layouts.set(v.name, { axis: 1, segments: [{ group: g, inner: 1 }] });
  }

  for (const n of graph.nodes) {
    const x = layouts.get(n.inputs[0] ?? '');
    const layer = layers.get(n);
    const op = n.domain === '' || n.domain === 'ai.onnx' ? n.opType : `${n.domain}.${n.opType}`;
    const rule = CHANNEL_RULES.get(op);
    if (rule === 'conv') {
      const w = init(n.inputs[1]);
      if (!w || !layer) {
        block(n, x, 'its weight is computed, not a constant');
        const s = shapes.get(n.outputs[0] ?? '');
        if (s) newOutput(n, nth(s, 1), 1, `output of '${n.name}', whose weight is computed`);
        continue;
      }
      const group = getInt(n, 'group', 1);
      const bias = n.inputs[2];
      if (bias && !init(bias)) {
        block(n, x, 'its bias is computed, not a constant');
        newOutput(
          n,
          op === 'Conv' ? nth(w.dims, 0) : nth(w.dims, 1) * group,
          1,
          `output of '${n.name}', whose bias is computed`,
        );
        continue;
      }
      if (group === 1) {
        if (x && x.axis === 1 && x.segments.every((s) => s.inner === 1))
          slice(nth(n.inputs, 1), op === 'Conv' ? 1 : 0, x, 'consumer', n);
        else block(n, x, 'its input channels are not laid out along axis 1');
        const outAxis = op === 'Conv' ? 0 : 1;
        const g = newOutput(n, nth(w.dims, outAxis), 1);
        nth(raw, g).sources.push({ layer, axis: outAxis });
        const out = mustGet(layouts, nth(n.outputs, 0));
        slice(nth(n.inputs, 1), outAxis, out, 'source', n);
        if (bias) slice(bias, 0, out, 'source', n);
        continue;
      }
      const cin = x ? total(x) : -1;
      if (op === 'Conv' && x && x.axis === 1 && group === cin && w.dims[0] === cin && w.dims[1] === 1) {
        slice(nth(n.inputs, 1), 0, x, 'param', n);
        if (bias) slice(bias, 0, x, 'param', n);
        depthwise.push({ node: n, segments: x.segments });
        passthrough(n, x);
        continue;
      }
      pin(x, `input channels of grouped convolution '${n.name}' (group=${group})`);
      newOutput(
        n,
        op === 'Conv' ? nth(w.dims, 0) : nth(w.dims, 1) * group,
        1,
        `output channels of grouped convolution '${n.name}' (group=${group})`,
      );
      continue;
    }
    if (rule === 'linear') {
      const w = init(n.inputs[1]);
      const outShape = shapes.get(n.outputs[0] ?? '');
      if (!w || !layer || w.dims.length !== 2) {
        const a = layouts.get(n.inputs[0] ?? '');
        const b = layouts.get(n.inputs[1] ?? '');
        block(n, a, 'it multiplies two computed tensors');
        block(n, b, 'it multiplies two computed tensors');
        if (outShape && outShape.length >= 2)
          newOutput(n, nth(outShape, outShape.length - 1), outShape.length - 1, `output of '${n.name}'`);
        continue;
      }
      const transA = op === 'Gemm' && getInt(n, 'transA', 0) === 1;
      const inRank = rankOf(nth(n.inputs, 0)) ?? 2;
      const inAxis = layer.outAxis === 0 ? 1 : 0;
      if (x && !transA && x.axis === inRank - 1) slice(nth(n.inputs, 1), inAxis, x, 'consumer', n);
      else block(n, x, 'its input features are not the last axis');
      const bias = op === 'Gemm' ? n.inputs[2] : undefined;
      const b = init(bias);
      const size = nth(w.dims, layer.outAxis);
      if (bias && !b) {
        newOutput(n, size, (outShape?.length ?? 2) - 1, `output of '${n.name}', whose bias is computed`);
        continue;
      }
      const g = newOutput(n, size, (outShape?.length ?? 2) - 1);
      nth(raw, g).sources.push({ layer, axis: layer.outAxis });
      const out = mustGet(layouts, nth(n.outputs, 0));
      slice(nth(n.inputs, 1), layer.outAxis, out, 'source', n);
      if (b && b.dims.length > 0 && b.dims[b.dims.length - 1] === size && numel(b.dims) === size)
        slice(bias!, b.dims.length - 1, out, 'source', n);
      else if (b && numel(b.dims) !== 1)
        nth(raw, g).pinned.push(`bias of '${n.name}' is not one value per output`);
      continue;
    }
    if (!n.inputs.some((i) => layouts.has(i))) continue;
    if (rule === 'shape') continue;
    if (rule === 'norm') {
      if (x?.axis !== 1 || !n.inputs.slice(1).every((i) => !i || init(i))) {
        block(n, x, 'its parameters are computed or its channels are not axis 1');
        continue;
      }
      n.inputs.slice(1, 5).forEach((p, k) => {
        if (p) slice(p, 0, x, k < 2 ? 'param' : 'stat', n);
      });
      if (n.outputs[0]) layouts.set(n.outputs[0], x);
      continue;
    }
    if (rule === 'unary') {
      if (!x) continue;
      passthrough(n, x);
      if (op === 'MaxPool' && n.outputs[1]) layouts.delete(n.outputs[1]);
      continue;
    }
    if (rule === 'softmax') {
      if (!x) continue;
      const rank = rankOf(nth(n.inputs, 0)) ?? 2;
      const axis = getInt(n, 'axis', -1);
      if ((axis < 0 ? axis + rank : axis) === x.axis) block(n, x, `${op} normalizes across channels`);
      else passthrough(n, x);
      continue;
    }
    if (rule === 'elementwise') {
      const outRank = rankOf(n.outputs[0] ?? '');
      if (outRank === undefined) {
        for (const i of n.inputs) block(n, layouts.get(i), `shapes are unknown (${shapeError})`);
        continue;
      }
      let acc: Layout | undefined;
      let ok = true;
      for (const i of n.inputs) {
        const l = layouts.get(i);
        if (!l) continue;
        const shifted: Layout = { axis: l.axis + outRank - (rankOf(i) ?? outRank), segments: l.segments };
        if (!acc) acc = shifted;
        else if (acc.axis !== shifted.axis || !union(acc, shifted)) ok = false;
      }
      if (!acc || !ok) {
        for (const i of n.inputs) block(n, layouts.get(i), 'its channel inputs do not line up');
        continue;
      }
      const channels = total(acc);
      for (const i of n.inputs) {
        if (layouts.has(i) || !i) continue;
        const s = shapes.get(i);
        const ax = acc.axis - (outRank - (s?.length ?? 0));
        const dim = s && ax >= 0 ? s[ax] : 1;
        if (dim === 1 || dim === undefined) continue;
        if (dim === channels && init(i)) slice(i, ax, acc, ZEROABLE_CONST.has(op) ? 'param' : 'stat', n);
        else {
          block(n, acc, `operand '${i}' varies along the channel axis but is not a constant`);
          ok = false;
        }
      }
      if (ok && n.outputs[0]) layouts.set(n.outputs[0], acc);
      continue;
    }
    if (rule === 'concat') {
      const rank = rankOf(n.outputs[0] ?? '') ?? 4;
      const raxis = getInt(n, 'axis', 0);
      const axis = raxis < 0 ? raxis + rank : raxis;
      const ls = n.inputs.map((i) => layouts.get(i));
      if (ls.some((l) => !l || l.axis !== axis)) {
        for (const l of ls) block(n, l, 'it concatenates along an axis other than the channels');
        continue;
      }
      if (n.outputs[0]) layouts.set(n.outputs[0], { axis, segments: ls.flatMap((l) => l!.segments) });
      continue;
    }
    if (rule === 'flatten') {
      const inShape = shapes.get(n.inputs[0] ?? '');
      const outShape = shapes.get(n.outputs[0] ?? '');
      if (!x || !inShape || !outShape) {
        block(n, x, `shapes are unknown (${shapeError})`);
        continue;
      }
      if (op === 'Reshape' && inShape.join() === outShape.join()) {
        passthrough(n, x);
        continue;
      }
      const flattens =
        x.axis === 1 &&
        outShape.length === 2 &&
        outShape[0] === inShape[0] &&
        (op === 'Reshape' || getInt(n, 'axis', 1) === 1);
      if (!flattens) {
        block(n, x, `${op} from [${inShape}] to [${outShape}] moves the channel axis`);
        continue;
      }
      const spatial = numel(inShape.slice(2));
      const segments = x.segments.map((s) => ({ group: s.group, inner: s.inner * spatial }));
      if (n.outputs[0]) layouts.set(n.outputs[0], { axis: 1, segments });
      if (op === 'Reshape') flattenReshapes.push({ node: n, segments });
      continue;
    }
    if (rule === 'axes') {
      const inShape = shapes.get(n.inputs[0] ?? '');
      if (!x || !inShape) {
        block(n, x, `shapes are unknown (${shapeError})`);
        continue;
      }
      let axis = x.axis;
      if (op === 'Transpose')
        axis = getInts(
          n,
          'perm',
          inShape.map((_, i) => inShape.length - 1 - i),
        ).indexOf(x.axis);
      else {
        const c = n.inputs[1] ? init(n.inputs[1]) : undefined;
        const axes = c ? toNumbers(c) : getInts(n, 'axes', []);
        const outRank = rankOf(n.outputs[0] ?? '') ?? inShape.length;
        const norm = axes.map((a) => (a < 0 ? a + (op === 'Squeeze' ? inShape.length : outRank) : a));
        if (op === 'Squeeze') {
          if (norm.includes(x.axis) || (norm.length === 0 && inShape[x.axis] === 1)) {
            block(n, x, 'it squeezes the channel axis');
            continue;
          }
          axis =
            x.axis -
            (norm.length ? norm : inShape.flatMap((d, i) => (d === 1 ? [i] : []))).filter((a) => a < x.axis)
              .length;
        } else {
          for (let i = 0, seen = 0; i < outRank; i++) {
            if (norm.includes(i)) continue;
            if (seen++ === x.axis) {
              axis = i;
              break;
            }
          }
        }
      }
      passthrough(n, x, axis);
      continue;
    }
    if (rule === 'spatial') {
      if (!x) continue;
      if (op === 'Pad') {
        const c = n.inputs[1] ? init(n.inputs[1]) : undefined;
        const pads = c ? toNumbers(c) : getInts(n, 'pads', []);
        const rank = rankOf(nth(n.inputs, 0)) ?? pads.length / 2;
        if (pads[x.axis] || pads[x.axis + rank]) {
          block(n, x, 'it pads the channel axis');
          continue;
        }
      }
      if (n.outputs[0]) layouts.set(n.outputs[0], x);
      continue;
    }
    if (rule === 'reduce') {
      const rank = rankOf(n.inputs[0] ?? '');
      const c = n.inputs[1] ? init(n.inputs[1]) : undefined;
      const axes = (c ? toNumbers(c) : getInts(n, 'axes', [])).map((a) => (a < 0 ? a + (rank ?? 0) : a));
      if (!x || rank === undefined || axes.length === 0 || axes.includes(x.axis)) {
        block(n, x, `${op} reduces across channels`);
        continue;
      }
      const keep = getInt(n, 'keepdims', 1) === 1;
      passthrough(n, x, keep ? x.axis : x.axis - axes.filter((a) => a < x.axis).length);
      continue;
    }
    for (const i of n.inputs)
      block(n, layouts.get(i), `the structural pass does not know how ${op} maps channels`);
  }

  for (const v of graph.outputs) pin(layouts.get(v.name), `reaches graph output '${v.name}'`);
  // A sliced initializer read by anything but its one slicing node (weight sharing) cannot shrink.
  const cons = consumers(graph);
  const graphOutputs = new Set(graph.outputs.map((v) => v.name));
  const byTensor = new Map<string, ChannelSlice[]>();
  for (const s of slices) {
    const list = byTensor.get(s.tensor);
    if (list) list.push(s);
    else byTensor.set(s.tensor, [s]);
  }
  for (const [t, list] of byTensor) {
    const readers = new Set((cons.get(t) ?? []).map((n) => n.name || n.opType));
    if (readers.size > 1 || graphOutputs.has(t) || new Set(list.map((s) => s.node)).size > 1) {
      for (const s of list)
        for (const seg of s.segments)
          raw[find(seg.group)]!.pinned.push(`tensor '${t}' is shared by several nodes`);
    }
  }

  const groups = new Map<number, ChannelGroup>();
  const groupOf = (id: number): ChannelGroup => {
    const r = find(id);
    let g = groups.get(r);
    if (!g) {
      const rg = nth(raw, r);
      g = {
        id: r,
        size: rg.size,
        sources: rg.sources,
        slices: [],
        pinned: rg.pinned,
        blockedBy: rg.blockedBy,
      };
      groups.set(r, g);
    }
    return g;
  };
  for (let i = 0; i < raw.length; i++) if (find(i) === i) groupOf(i);
  const canon = (segs: Segment[]) => segs.map((s) => ({ group: find(s.group), inner: s.inner }));
  for (const s of slices) {
    s.segments = canon(s.segments);
    for (const id of new Set(s.segments.map((x) => x.group))) groupOf(id).slices.push(s);
  }
  for (const d of depthwise) d.segments = canon(d.segments);
  for (const r of flattenReshapes) r.segments = canon(r.segments);
  const groupOfWeight = new Map<string, ChannelGroup>();
  for (const g of groups.values()) {
    g.pinned = [...new Set(g.pinned)];
    for (const s of g.sources) groupOfWeight.set(s.layer.weight, g);
  }
  return {
    groups: [...groups.values()],
    groupOfWeight,
    depthwise,
    flattenReshapes,
  };
}

/**
 * For each entry of a slice's tensor, the channel of `group` it belongs to, or -1 (entries of
 * other groups sharing the axis after a Concat).
 */
export function channelOfEntries(
  graph: Graph,
  slice: ChannelSlice,
  group: number,
  analysis: ChannelAnalysis,
): Int32Array {
  const t = mustGet(graph.initializers, slice.tensor);
  const sizes = new Map(analysis.groups.map((g) => [g.id, g.size]));
  const axisChannel = new Int32Array(nth(t.dims, slice.axis)).fill(-1);
  let offset = 0;
  for (const s of slice.segments) {
    const size = mustGet(sizes, s.group);
    if (s.group === group)
      for (let c = 0; c < size; c++) axisChannel.fill(c, offset + c * s.inner, offset + (c + 1) * s.inner);
    offset += size * s.inner;
  }
  const inner = numel(t.dims.slice(slice.axis + 1));
  const size = nth(t.dims, slice.axis);
  const out = new Int32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = axisChannel[Math.floor(i / inner) % size]!;
  return out;
}

/** Why a group cannot be pruned at all (pinned), or undefined when it can. */
export function pinnedReason(g: ChannelGroup): string | undefined {
  return g.pinned.length ? g.pinned.join('; ') : undefined;
}

/** The first op blocking a group's physical removal, as a sentence, or undefined. */
export function blockedReason(g: ChannelGroup): string | undefined {
  const b = g.blockedBy[0];
  return b ? `node '${b.node}' (${b.op}): ${b.reason}` : undefined;
}
