/**
 * Shape arithmetic and data movement: the ops exporters emit to compute and apply shapes
 * (Shape→Gather→Unsqueeze→Concat→Reshape for x.view(x.size(0), -1), ConstantOfShape/Equal/Where
 * for expand targets, Range/Slice for position ids) and those that only rearrange elements
 * (Transpose, Split, Tile, Pad, Gather). Small values are folded element by element so every
 * Reshape and Expand target is known before the graph runs.
 */
import { nth } from '../../core/checked.js';
import { getInt, getInts, type Node } from '../ir.js';
import { dtypeFromCode } from '../proto.js';
import { type DType, numel, type Tensor, toFloat32, toNumbers } from '../tensor.js';
import { broadcastMap, foldable, foldByIndex } from './fold.js';
import {
  broadcastShapes,
  castNumber,
  DataDependentShapeError,
  FOLD_LIMIT,
  facts,
  likeInput,
  normAxis,
  registerShapeRules,
  type ShapeContext,
  type ShapeRule,
  type ValueFacts,
} from './rule.js';

const ref = 'ONNX operator';

/** The elements of a small tensor as numbers (undefined when too large to fold). */
export function tensorValue(t: Tensor): number[] | undefined {
  if (numel(t.dims) > FOLD_LIMIT) return undefined;
  if (t.dtype.startsWith('int') || t.dtype.startsWith('uint') || t.dtype === 'bool') return toNumbers(t);
  return Array.from(toFloat32(t));
}

function tensorFacts(t: Tensor): ValueFacts {
  return facts([...t.dims], t.dtype, tensorValue(t));
}

const constant: ShapeRule = {
  name: 'Constant',
  description: 'a tensor given as an attribute (value, value_int(s), value_float(s))',
  reference: ref,
  infer(ctx) {
    const a = ctx.node.attributes;
    if (a.value?.type === 'tensor') return [tensorFacts(a.value.value)];
    if (a.value_ints?.type === 'ints')
      return [facts([a.value_ints.value.length], 'int64', a.value_ints.value)];
    if (a.value_int?.type === 'int') return [facts([], 'int64', [a.value_int.value])];
    if (a.value_floats?.type === 'floats')
      return [facts([a.value_floats.value.length], 'float32', a.value_floats.value.map(Math.fround))];
    if (a.value_float?.type === 'float') return [facts([], 'float32', [Math.fround(a.value_float.value)])];
    return ctx.fail(`unsupported Constant form (attributes: ${Object.keys(a).join(', ')})`);
  },
};

const shapeOp: ShapeRule = {
  name: 'Shape',
  description: "the input's dims as int64 (optionally a start:end range of them)",
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const r = x.length;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const v = x.slice(clamp(getInt(ctx.node, 'start', 0)), clamp(getInt(ctx.node, 'end', r)));
    return [facts([v.length], 'int64', v)];
  },
};

const size: ShapeRule = {
  name: 'Size',
  description: "the input's element count as an int64 scalar",
  reference: ref,
  infer: (ctx) => [facts([], 'int64', [numel(ctx.shape(0))])],
};

const constantOfShape: ShapeRule = {
  name: 'ConstantOfShape',
  description: 'a tensor of the given shape filled with one value (float32 0 by default)',
  reference: ref,
  infer(ctx) {
    const shape = ctx.ints(0, 'its shape input');
    const a = ctx.node.attributes.value;
    const t = a?.type === 'tensor' ? a.value : undefined;
    const type: DType = t?.dtype ?? 'float32';
    const fill = t ? (tensorValue(t)?.[0] ?? 0) : 0;
    return [facts(shape, type, foldable(shape) ? new Array(numel(shape)).fill(fill) : undefined)];
  },
};

const expand: ShapeRule = {
  name: 'Expand',
  description: 'broadcast to a target shape',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const shape = broadcastShapes(ctx, [x, ctx.ints(1, 'its shape input')]);
    const v = ctx.value(0);
    return [
      facts(
        shape,
        ctx.type(0),
        v && foldable(shape) ? broadcastMap(shape, x).map((i) => nth(v, i)) : undefined,
      ),
    ];
  },
};

const gather: ShapeRule = {
  name: 'Gather',
  description: 'take slices along an axis by index (embedding lookups, x.size(i))',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const idx = ctx.shape(1);
    const axis = normAxis(ctx, getInt(ctx.node, 'axis', 0), x.length);
    const shape = [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
    const ind = ctx.value(1);
    const d = nth(x, axis);
    const v = ind
      ? foldByIndex(shape, x, ctx.value(0), (o) => {
          const flat = o.slice(axis, axis + idx.length).reduce((a, k, j) => a * nth(idx, j) + k, 0);
          const i = nth(ind, flat);
          return [...o.slice(0, axis), i < 0 ? i + d : i, ...o.slice(axis + idx.length)];
        })
      : undefined;
    return [facts(shape, ctx.type(0), v)];
  },
};

const gatherElements: ShapeRule = {
  name: 'GatherElements',
  description: 'take elements along an axis by an index tensor of the output shape',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const shape = ctx.shape(1);
    const axis = normAxis(ctx, getInt(ctx.node, 'axis', 0), x.length);
    const ind = ctx.value(1);
    const v = ind
      ? foldByIndex(shape, x, ctx.value(0), (o) => {
          const flat = o.reduce((a, k, j) => a * nth(shape, j) + k, 0);
          const i = nth(ind, flat);
          const src = [...o];
          src[axis] = i < 0 ? i + nth(x, axis) : i;
          return src;
        })
      : undefined;
    return [facts(shape, ctx.type(0), v)];
  },
};

const gatherND: ShapeRule = {
  name: 'GatherND',
  description: 'take slices by index tuples',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const idx = ctx.shape(1);
    const b = getInt(ctx.node, 'batch_dims', 0);
    const last = idx[idx.length - 1] ?? 0;
    return [facts([...idx.slice(0, -1), ...x.slice(b + last)], ctx.type(0))];
  },
};

/** Resolved per-axis start and step of a Slice, and the output shape. */
function sliceGeometry(ctx: ShapeContext, x: number[]): { shape: number[]; start: number[]; step: number[] } {
  const n = ctx.node;
  const fromInputs = ctx.has(1);
  const starts = fromInputs ? ctx.ints(1, 'its starts input') : getInts(n, 'starts', []);
  const ends = fromInputs ? ctx.ints(2, 'its ends input') : getInts(n, 'ends', []);
  const axesIn = fromInputs
    ? ctx.has(3)
      ? ctx.ints(3, 'its axes input')
      : undefined
    : getInts(n, 'axes', []);
  const axes = axesIn?.length ? axesIn : starts.map((_, i) => i);
  const steps = fromInputs && ctx.has(4) ? ctx.ints(4, 'its steps input') : axes.map(() => 1);
  const shape = [...x];
  const start = x.map(() => 0);
  const step = x.map(() => 1);
  axes.forEach((a0, k) => {
    const a = normAxis(ctx, a0, x.length);
    const d = nth(x, a);
    const s = nth(steps, k);
    if (s === 0) ctx.fail('a Slice step is 0');
    let b = nth(starts, k);
    let e = nth(ends, k);
    if (b < 0) b += d;
    if (e < 0) e += d;
    if (s > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      b = Math.min(Math.max(b, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    shape[a] = Math.max(0, Math.ceil((e - b) / s));
    start[a] = b;
    step[a] = s;
  });
  return { shape, start, step };
}

const slice: ShapeRule = {
  name: 'Slice',
  description: 'strided slices along axes (starts/ends/axes/steps as inputs, or attributes before opset 10)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const g = sliceGeometry(ctx, x);
    const v = foldByIndex(g.shape, x, ctx.value(0), (o) =>
      o.map((k, i) => nth(g.start, i) + k * nth(g.step, i)),
    );
    return [facts(g.shape, ctx.type(0), v)];
  },
};

/** Axes of Squeeze/Unsqueeze: an input from opset 13, an attribute before. */
function axesOf(ctx: ShapeContext): number[] {
  return ctx.has(1) ? ctx.ints(1, 'its axes input') : getInts(ctx.node, 'axes', []);
}

const squeeze: ShapeRule = {
  name: 'Squeeze',
  description: 'drop axes of size 1 (axes as input from opset 13, attribute before)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const axes = axesOf(ctx);
    const drop = axes.length
      ? axes.map((a) => normAxis(ctx, a, x.length))
      : x.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const a of drop) if (x[a] !== 1) ctx.fail(`axis ${a} of [${x}] is not 1 and cannot be squeezed`);
    return [
      facts(
        x.filter((_, i) => !drop.includes(i)),
        ctx.type(0),
        ctx.value(0),
      ),
    ];
  },
};

const unsqueeze: ShapeRule = {
  name: 'Unsqueeze',
  description: 'insert axes of size 1 (axes as input from opset 13, attribute before)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const axes = axesOf(ctx);
    const rank = x.length + axes.length;
    const at = axes.map((a) => normAxis(ctx, a, rank));
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(at.includes(i) ? 1 : nth(x, j++));
    return [facts(out, ctx.type(0), ctx.value(0))];
  },
};

const range: ShapeRule = {
  name: 'Range',
  description: 'start, start + delta, ... below limit',
  reference: ref,
  infer(ctx) {
    const [start] = ctx.ints(0, 'its start input');
    const [limit] = ctx.ints(1, 'its limit input');
    const [delta] = ctx.ints(2, 'its delta input');
    const n = Math.max(Math.ceil((limit! - start!) / delta!), 0);
    const type = ctx.type(0);
    return [
      facts(
        [n],
        type,
        foldable([n])
          ? Array.from({ length: n }, (_, i) => castNumber(start! + i * delta!, type))
          : undefined,
      ),
    ];
  },
};

const concat: ShapeRule = {
  name: 'Concat',
  description: 'join along an axis',
  reference: ref,
  infer(ctx) {
    const idx = ctx.node.inputs.map((_, i) => i).filter((i) => ctx.has(i));
    const parts = idx.map((i) => ctx.shape(i));
    const first = nth(parts, 0);
    const axis = normAxis(ctx, getInt(ctx.node, 'axis', 0), first.length);
    for (const p of parts)
      if (p.length !== first.length || p.some((d, i) => i !== axis && d !== first[i]))
        ctx.fail(`shapes ${parts.map((q) => `[${q}]`).join(', ')} do not concatenate on axis ${axis}`);
    const shape = [...first];
    shape[axis] = parts.reduce((a, s) => a + nth(s, axis), 0);
    const vals = idx.map((i) => ctx.value(i));
    let v: number[] | undefined;
    if (foldable(shape) && vals.every((x) => x !== undefined)) {
      const outer = numel(first.slice(0, axis));
      v = [];
      for (let o = 0; o < outer; o++)
        parts.forEach((p, k) => {
          const chunk = numel(p.slice(axis));
          v!.push(...vals[k]!.slice(o * chunk, (o + 1) * chunk));
        });
    }
    return [facts(shape, ctx.type(nth(idx, 0)), v)];
  },
};

const reshape: ShapeRule = {
  name: 'Reshape',
  description: 'new dims for the same elements (0 copies an input dim unless allowzero, -1 is inferred)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const target = ctx.ints(1, 'its shape input');
    const allowZero = getInt(ctx.node, 'allowzero', 0) === 1;
    const out = target.map((d, i) => (d === 0 && !allowZero ? nth(x, i) : d));
    const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const total = numel(x);
    const shape = out.map((d) => (d === -1 ? total / known : d));
    if (numel(shape) !== total || !shape.every((d) => Number.isInteger(d) && d >= 0))
      ctx.fail(`cannot reshape [${x}] to [${target}]`);
    return [facts(shape, ctx.type(0), ctx.value(0))];
  },
};

const flatten: ShapeRule = {
  name: 'Flatten',
  description: 'collapse to 2-D at an axis',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const a0 = getInt(ctx.node, 'axis', 1);
    const axis = a0 < 0 ? a0 + x.length : a0;
    if (axis < 0 || axis > x.length) ctx.fail(`axis ${a0} out of range for rank ${x.length}`);
    return [facts([numel(x.slice(0, axis)), numel(x.slice(axis))], ctx.type(0), ctx.value(0))];
  },
};

const transpose: ShapeRule = {
  name: 'Transpose',
  description: 'permute axes (reversed by default)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const perm = getInts(
      ctx.node,
      'perm',
      x.map((_, i) => x.length - 1 - i),
    );
    if (perm.length !== x.length) ctx.fail(`perm [${perm}] does not match rank ${x.length}`);
    const shape = perm.map((p) => nth(x, p));
    const v = foldByIndex(shape, x, ctx.value(0), (o) => {
      const src = new Array<number>(x.length);
      perm.forEach((p, i) => {
        src[p] = nth(o, i);
      });
      return src;
    });
    return [facts(shape, ctx.type(0), v)];
  },
};

/** Split sizes: the split input (opset 13+), the split attribute (older), num_outputs (18) or equal. */
function splitSizes(ctx: ShapeContext, d: number): number[] {
  const n: Node = ctx.node;
  if (ctx.has(1)) return ctx.ints(1, 'its split input');
  const attr = getInts(n, 'split', []);
  if (attr.length) return attr;
  const count = getInt(n, 'num_outputs', n.outputs.length);
  // Opset 18: with num_outputs, chunks are ceil(d / n) and the last one takes the remainder.
  const chunk = Math.ceil(d / count);
  if (!n.attributes.num_outputs && d % count !== 0)
    ctx.fail(`axis of size ${d} does not split evenly into ${count} outputs`);
  return Array.from({ length: count }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
}

const split: ShapeRule = {
  name: 'Split',
  description: 'cut along an axis (sizes as input from opset 13, attribute before, num_outputs in 18)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const axis = normAxis(ctx, getInt(ctx.node, 'axis', 0), x.length);
    const sizes = splitSizes(ctx, nth(x, axis));
    if (sizes.reduce((a, b) => a + b, 0) !== x[axis])
      ctx.fail(`split sizes [${sizes}] do not add up to dim ${x[axis]} of axis ${axis}`);
    let offset = 0;
    return sizes.map((s) => {
      const shape = [...x];
      shape[axis] = s;
      const from = offset;
      offset += s;
      const v = foldByIndex(shape, x, ctx.value(0), (o) => o.map((k, i) => (i === axis ? k + from : k)));
      return facts(shape, ctx.type(0), v);
    });
  },
};

const tile: ShapeRule = {
  name: 'Tile',
  description: 'repeat along every axis',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const reps = ctx.ints(1, 'its repeats input');
    if (reps.length !== x.length) ctx.fail(`repeats [${reps}] do not match rank ${x.length}`);
    const shape = x.map((d, i) => d * nth(reps, i));
    const v = foldByIndex(shape, x, ctx.value(0), (o) => o.map((k, i) => k % nth(x, i)));
    return [facts(shape, ctx.type(0), v)];
  },
};

const pad: ShapeRule = {
  name: 'Pad',
  description: 'pad (or crop, with negative pads) every axis (pads as input from opset 11, axes in 18)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const pads = ctx.has(1) ? ctx.ints(1, 'its pads input') : getInts(ctx.node, 'pads', []);
    const axes = ctx.has(3)
      ? ctx.ints(3, 'its axes input').map((a) => normAxis(ctx, a, x.length))
      : x.map((_, i) => i);
    if (pads.length !== 2 * axes.length) ctx.fail(`pads [${pads}] do not match ${axes.length} axes`);
    const shape = [...x];
    axes.forEach((a, k) => {
      shape[a] = nth(x, a) + nth(pads, k) + nth(pads, k + axes.length);
    });
    return [facts(shape, ctx.type(0))];
  },
};

const nonZero: ShapeRule = {
  name: 'NonZero',
  description: 'indices of the non-zero elements (shape depends on data)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const v = ctx.value(0);
    if (!v) throw new DataDependentShapeError(ctx.node, `input '${ctx.node.inputs[0]}'`);
    const hits = v.flatMap((e, i) => (e !== 0 ? [i] : []));
    const st = x.map((_, i) => numel(x.slice(i + 1)));
    const value = x.flatMap((d, a) => hits.map((h) => Math.floor(h / st[a]!) % d));
    return [facts([x.length, hits.length], 'int64', value)];
  },
};

/** Ops whose outputs depend on data and are never folded: shapes come from ONNX Runtime. */
function dataDependent(name: string, description: string): ShapeRule {
  return {
    name,
    description,
    reference: ref,
    infer(ctx) {
      throw new DataDependentShapeError(ctx.node, `input '${ctx.node.inputs[0]}'`);
    },
  };
}

const topK: ShapeRule = {
  name: 'TopK',
  description: 'the k largest (or smallest) elements along an axis, with their int64 indices',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const k = ctx.has(1) ? nth(ctx.ints(1, 'its k input'), 0) : getInt(ctx.node, 'k', 1);
    const axis = normAxis(ctx, getInt(ctx.node, 'axis', -1), x.length);
    const shape = [...x];
    shape[axis] = k;
    return [facts(shape, ctx.type(0)), facts(shape, 'int64')];
  },
};

const oneHot: ShapeRule = {
  name: 'OneHot',
  description: 'one-hot encoding with depth as a new axis',
  reference: ref,
  infer(ctx) {
    const idx = ctx.shape(0);
    const depth = nth(ctx.ints(1, 'its depth input'), 0);
    const axis = normAxis(ctx, getInt(ctx.node, 'axis', -1), idx.length + 1);
    const shape = [...idx];
    shape.splice(axis, 0, depth);
    return [facts(shape, ctx.type(2))];
  },
};

const eyeLike: ShapeRule = {
  name: 'EyeLike',
  description: 'an identity matrix of the input shape',
  reference: ref,
  infer(ctx) {
    const code = getInt(ctx.node, 'dtype', -1);
    return [
      facts(ctx.shape(0), code < 0 ? ctx.type(0) : dtypeFromCode(code, `EyeLike node '${ctx.node.name}'`)),
    ];
  },
};

/** DepthToSpace / SpaceToDepth on NCHW. */
function blocks(name: string, toSpace: boolean): ShapeRule {
  return {
    name,
    description: toSpace ? 'move channel blocks into spatial blocks' : 'move spatial blocks into channels',
    reference: ref,
    infer(ctx) {
      const [n, c, h, w] = ctx.shape(0) as [number, number, number, number];
      const b = getInt(ctx.node, 'blocksize', 1);
      const shape = toSpace ? [n, c / (b * b), h * b, w * b] : [n, c * b * b, h / b, w / b];
      return [facts(shape, ctx.type(0))];
    },
  };
}

registerShapeRules(
  constant,
  shapeOp,
  size,
  constantOfShape,
  expand,
  gather,
  gatherElements,
  gatherND,
  likeInput('ScatterND', 'write slices at index tuples'),
  likeInput('ScatterElements', 'write elements at indices along an axis'),
  likeInput('Scatter', 'write elements at indices along an axis (deprecated form)'),
  likeInput('CumSum', 'cumulative sum along an axis'),
  likeInput('Trilu', 'upper or lower triangle'),
  likeInput('ReverseSequence', 'reverse sequences by length'),
  slice,
  squeeze,
  unsqueeze,
  range,
  concat,
  reshape,
  flatten,
  transpose,
  split,
  tile,
  pad,
  nonZero,
  dataDependent('Unique', 'distinct elements (shape depends on data)'),
  dataDependent('Compress', 'elements where a condition holds (shape depends on data)'),
  topK,
  oneHot,
  eyeLike,
  blocks('DepthToSpace', true),
  blocks('SpaceToDepth', false),
);
