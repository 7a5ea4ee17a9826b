/**
 * Applying a channel plan: as masks (the pruned channels' filters, per-channel parameters and
 * consumer input weights become zero, the tensors keep their shapes) or physically (those
 * entries are cut out and the model gets smaller). The two give the same function: a masked
 * channel is never read, because every weight that reads it is zero too.
 */
import { mustGet, nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import { cloneModel, nameGenerator } from '../onnx/graph.js';
import { attrInt, type Model, type Node } from '../onnx/ir.js';
import { concreteInputShapes, inferShapes } from '../onnx/shape/index.js';
import { i64, numel, type Tensor, toNumbers } from '../onnx/tensor.js';
import { blockedReason, type ChannelAnalysis, type ChannelPlan, type Segment } from './channels.js';
import type { Masks } from './types.js';

/** Positions kept along an axis laid out as `segments`, given the pruned channels per group. */
export function keptIndices(
  segments: readonly Segment[],
  analysis: ChannelAnalysis,
  plan: ChannelPlan,
): Int32Array {
  const sizes = new Map(analysis.groups.map((g) => [g.id, g.size]));
  const out: number[] = [];
  let offset = 0;
  for (const s of segments) {
    const size = mustGet(sizes, s.group);
    const pruned = plan.get(s.group);
    for (let c = 0; c < size; c++) {
      if (!pruned?.has(c)) for (let q = 0; q < s.inner; q++) out.push(offset + c * s.inner + q);
    }
    offset += size * s.inner;
  }
  return Int32Array.from(out);
}

function touches(segments: readonly Segment[], plan: ChannelPlan): boolean {
  return segments.some((s) => (plan.get(s.group)?.size ?? 0) > 0);
}

function strides(dims: readonly number[], axis: number): { outer: number; size: number; inner: number } {
  return { outer: numel(dims.slice(0, axis)), size: nth(dims, axis), inner: numel(dims.slice(axis + 1)) };
}

/**
 * Keep-masks that zero the pruned channels: their filters and biases, their per-channel
 * parameters (BatchNorm scale and bias, depthwise filters) and the input weights of every layer
 * reading them. BatchNorm running statistics are left alone (a zero variance is not harmless).
 */
export function planMasks(model: Model, analysis: ChannelAnalysis, plan: ChannelPlan): Masks {
  const masks: Masks = new Map();
  for (const g of analysis.groups) {
    if (!plan.get(g.id)?.size) continue;
    for (const s of g.slices) {
      if (s.role === 'stat') continue;
      const t = model.graph.initializers.get(s.tensor)!;
      let m = masks.get(s.tensor);
      if (!m) {
        m = new Uint8Array(t.data.length).fill(1);
        masks.set(s.tensor, m);
      }
      const keep = new Uint8Array(t.dims[s.axis]!);
      for (const k of keptIndices(s.segments, analysis, plan)) keep[k] = 1;
      const { outer, size, inner } = strides(t.dims, s.axis);
      for (let o = 0; o < outer; o++)
        for (let c = 0; c < size; c++)
          if (!keep[c]) m.fill(0, (o * size + c) * inner, (o * size + c + 1) * inner);
    }
  }
  return masks;
}

/** A tensor with only the `keep` positions along `axis`. */
export function gatherAxis(t: Tensor, axis: number, keep: Int32Array): Tensor {
  const { outer, size, inner } = strides(t.dims, axis);
  const dims = [...t.dims];
  dims[axis] = keep.length;
  const src = t.data as Float32Array;
  const Ctor = src.constructor as new (n: number) => Float32Array;
  const out = new Ctor(outer * keep.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < keep.length; j++) {
      const from = (o * size + keep[j]!) * inner;
      out.set(src.subarray(from, from + inner), (o * keep.length + j) * inner);
    }
  }
  return { dtype: t.dtype, dims, data: out } as Tensor;
}

/**
 * Throws PRUNE_UNSUPPORTED when a planned group reads through an op the structural pass cannot
 * follow, naming the node and what to do.
 */
export function checkRemovable(analysis: ChannelAnalysis, plan: ChannelPlan): void {
  for (const g of analysis.groups) {
    if (!plan.get(g.id)?.size) continue;
    const why = blockedReason(g);
    if (why) {
      const layers = g.sources.map((s) => s.layer.weight).join(', ');
      throw new PrunefiError(
        'PRUNE_UNSUPPORTED',
        `cannot physically remove channels of ${layers}: ${why}. Pass --mask-fallback to zero these channels instead of removing them, or --no-remove to mask every channel`,
      );
    }
  }
}

/**
 * A physically smaller copy of the model without the planned channels: filters, biases,
 * BatchNorm entries, depthwise filters, consumer input channels and flattened Gemm columns are
 * cut; depthwise `group` attributes and constant Reshape targets follow. Groups blocked by an op
 * the pass cannot follow must not be in the plan (see `checkRemovable`). The result is checked by
 * shape inference, so an inconsistent cut fails here rather than in the runtime.
 */
export function removeChannels(model: Model, analysis: ChannelAnalysis, plan: ChannelPlan): Model {
  checkRemovable(analysis, plan);
  const out = cloneModel(model);
  const g = out.graph;
  const done = new Set<string>();
  const fresh = nameGenerator(g);
  for (const group of analysis.groups) {
    if (!plan.get(group.id)?.size) continue;
    for (const s of group.slices) {
      const key = `${s.tensor}\u0000${s.axis}`;
      if (done.has(key) || !touches(s.segments, plan)) continue;
      done.add(key);
      g.initializers.set(
        s.tensor,
        gatherAxis(g.initializers.get(s.tensor)!, s.axis, keptIndices(s.segments, analysis, plan)),
      );
    }
  }
  // Output names are unique in a graph, so they find the copy of an analyzed node.
  const byOutput = new Map(g.nodes.map((n) => [n.outputs[0], n]));
  const copyOf = (n: Node): Node => {
    const c = byOutput.get(n.outputs[0]);
    if (!c) throw new Error(`node '${n.name}' of the channel analysis is not in the model being pruned`);
    return c;
  };
  for (const d of analysis.depthwise) {
    if (!touches(d.segments, plan)) continue;
    const n = copyOf(d.node);
    n.attributes.group = attrInt(keptIndices(d.segments, analysis, plan).length);
  }
  for (const r of analysis.flattenReshapes) {
    if (!touches(r.segments, plan)) continue;
    const n = copyOf(r.node);
    const target = g.initializers.get(n.inputs[1] ?? '');
    if (!target) continue;
    const v = toNumbers(target);
    if (v[1] !== undefined && v[1] > 0) {
      v[1] = keptIndices(r.segments, analysis, plan).length;
      // A fresh name: the old target may be shared with reshapes that keep their size.
      const name = fresh(`${n.inputs[1]}_pruned`);
      g.initializers.set(name, i64(target.dims, v));
      n.inputs[1] = name;
    }
  }
  for (const v of g.inputs) {
    const t = g.initializers.get(v.name);
    if (t && v.shape) v.shape = [...t.dims];
  }
  g.valueInfo = [];
  try {
    inferShapes(g, { inputShapes: concreteInputShapes(g) });
  } catch (err) {
    throw new PrunefiError(
      'PRUNE',
      `structured removal produced an inconsistent graph (${(err as Error).message}); this is a bug, please report it with the model`,
      { cause: err },
    );
  }
  return out;
}
