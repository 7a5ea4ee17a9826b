/**
 * Static shape inference with concrete dims, for the ops the model zoo and common PyTorch
 * exports use. Small integer tensors (shape arithmetic such as Shape→Gather→Concat→Reshape)
 * are constant-folded so Reshape targets are known. An op outside this set is a clear error
 * naming the node, not a silent guess.
 */
import { PrunefiError } from '../core/errors.js';
import { type Graph, getInt, getInts, type Node } from './ir.js';
import { numel, type Tensor, toNumbers } from './tensor.js';

/** Concrete shapes of every value, plus the values of small constant integer tensors. */
export interface ShapeInfo {
  shapes: Map<string, number[]>;
  /** Folded integer values (shape operands), when known. */
  consts: Map<string, number[]>;
}

/**
 * Infers the shape of every value. `inputShapes` gives concrete dims for graph inputs; symbolic
 * or unknown dims of declared inputs default to `batch` for axis 0, and are an error elsewhere.
 */
export function inferShapes(graph: Graph, inputShapes: Record<string, number[]> = {}, batch = 1): ShapeInfo {
  const shapes = new Map<string, number[]>();
  const consts = new Map<string, number[]>();
  for (const [name, t] of graph.initializers) {
    shapes.set(name, [...t.dims]);
    if ((t.dtype === 'int64' || t.dtype === 'int32') && numel(t.dims) <= 64) consts.set(name, toNumbers(t));
  }
  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name)) continue;
    const given = inputShapes[v.name];
    if (given) {
      shapes.set(v.name, [...given]);
      continue;
    }
    if (!v.shape)
      throw new PrunefiError(
        'SHAPE_MISMATCH',
        `graph input '${v.name}' has no declared shape; give its dims explicitly`,
      );
    shapes.set(
      v.name,
      v.shape.map((d, i) => {
        if (typeof d === 'number' && d > 0) return d;
        if (i === 0) return batch;
        throw new PrunefiError(
          'SHAPE_MISMATCH',
          `graph input '${v.name}' has a symbolic dim at axis ${i}; give its dims explicitly`,
        );
      }),
    );
  }
  for (const n of graph.nodes) inferNode(n, shapes, consts);
  return { shapes, consts };
}

function fail(n: Node, why: string): never {
  throw new PrunefiError(
    'ONNX_UNSUPPORTED',
    `cannot infer shapes at node '${n.name || n.opType}' (${n.opType}): ${why}`,
  );
}

function broadcast(n: Node, a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) fail(n, `shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Output size of a sliding window (conv or pool) along one axis. */
export function windowOut(
  input: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  ceil = false,
): number {
  const span = dilation * (kernel - 1) + 1;
  const v = (input + padBegin + padEnd - span) / stride;
  if (!ceil) return Math.floor(v) + 1;
  // In ceil mode a last window that would start inside the end padding is dropped (ONNX Runtime
  // and PyTorch agree on this).
  const out = Math.ceil(v) + 1;
  return (out - 1) * stride >= input + padBegin ? out - 1 : out;
}

function spatialPads(
  n: Node,
  x: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): number[] {
  const r = kernel.length;
  const autoPad = n.attributes.auto_pad?.type === 'string' ? n.attributes.auto_pad.value : 'NOTSET';
  if (autoPad === 'NOTSET' || autoPad === 'VALID')
    return autoPad === 'VALID' ? new Array(2 * r).fill(0) : getInts(n, 'pads', new Array(2 * r).fill(0));
  const pads = new Array(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const inp = x[2 + i]!;
    const out = Math.ceil(inp / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + dilations[i]! * (kernel[i]! - 1) + 1 - inp);
    const small = Math.floor(total / 2);
    pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
    pads[i + r] = total - pads[i];
  }
  return pads;
}

/** Resolved convolution/pool geometry of a node on an input shape. */
export interface WindowGeometry {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  outSpatial: number[];
}

/** The window geometry of a Conv/MaxPool/AveragePool node on input shape `x` (NC + spatial). */
export function windowGeometry(n: Node, x: number[], kernel: number[]): WindowGeometry {
  const r = kernel.length;
  const strides = getInts(n, 'strides', new Array(r).fill(1));
  const dilations = getInts(n, 'dilations', new Array(r).fill(1));
  const pads = spatialPads(n, x, kernel, strides, dilations);
  const ceil = getInt(n, 'ceil_mode', 0) === 1;
  const outSpatial = kernel.map((k, i) =>
    windowOut(x[2 + i]!, k, strides[i]!, pads[i]!, pads[i + r]!, dilations[i]!, ceil),
  );
  return { kernel, strides, pads, dilations, outSpatial };
}

function normAxis(n: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail(n, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

function inferNode(n: Node, shapes: Map<string, number[]>, consts: Map<string, number[]>): void {
  const inp = (i: number): number[] => {
    const name = n.inputs[i];
    const s = name ? shapes.get(name) : undefined;
    if (!s) fail(n, `input ${i} ('${name ?? ''}') has no known shape`);
    return s;
  };
  const constOf = (i: number): number[] => {
    const name = n.inputs[i];
    const v = name ? consts.get(name) : undefined;
    if (!v) fail(n, `input ${i} ('${name ?? ''}') must be a constant`);
    return v;
  };
  const set = (i: number, s: number[]): void => {
    const o = n.outputs[i];
    if (o) shapes.set(o, s);
  };
  const setConst = (v: number[]): void => {
    const o = n.outputs[0];
    if (o) consts.set(o, v);
  };
  if (n.domain !== '' && n.domain !== 'ai.onnx') fail(n, `custom domain '${n.domain}'`);
  switch (n.opType) {
    case 'Conv':
    case 'ConvTranspose': {
      const x = inp(0);
      const w = inp(1);
      const kernel = getInts(n, 'kernel_shape', w.slice(2));
      if (n.opType === 'Conv') {
        const g = windowGeometry(n, x, kernel);
        set(0, [x[0]!, w[0]!, ...g.outSpatial]);
      } else {
        const r = kernel.length;
        const strides = getInts(n, 'strides', new Array(r).fill(1));
        const dil = getInts(n, 'dilations', new Array(r).fill(1));
        const pads = getInts(n, 'pads', new Array(2 * r).fill(0));
        const outPad = getInts(n, 'output_padding', new Array(r).fill(0));
        const group = getInt(n, 'group', 1);
        const explicit = getInts(n, 'output_shape', []);
        const sp = kernel.map((k, i) =>
          explicit.length
            ? explicit[explicit.length - r + i]!
            : strides[i]! * (x[2 + i]! - 1) + outPad[i]! + (k - 1) * dil[i]! + 1 - pads[i]! - pads[i + r]!,
        );
        set(0, [x[0]!, w[1]! * group, ...sp]);
      }
      return;
    }
    case 'MaxPool':
    case 'AveragePool': {
      const x = inp(0);
      const g = windowGeometry(n, x, getInts(n, 'kernel_shape', []));
      set(0, [x[0]!, x[1]!, ...g.outSpatial]);
      set(1, [x[0]!, x[1]!, ...g.outSpatial]);
      return;
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const x = inp(0);
      set(0, [x[0]!, x[1]!, ...x.slice(2).map(() => 1)]);
      return;
    }
    case 'BatchNormalization':
    case 'InstanceNormalization':
    case 'LayerNormalization':
    case 'Relu':
    case 'LeakyRelu':
    case 'Sigmoid':
    case 'Tanh':
    case 'Clip':
    case 'Identity':
    case 'Softmax':
    case 'LogSoftmax':
    case 'Erf':
    case 'Sqrt':
    case 'Exp':
    case 'Log':
    case 'Neg':
    case 'Abs':
    case 'Reciprocal':
    case 'HardSigmoid':
    case 'HardSwish':
    case 'Elu':
    case 'Selu':
    case 'Softplus':
    case 'Cast':
    case 'LRN':
      set(0, inp(0));
      if (n.opType === 'Identity' || n.opType === 'Cast') {
        const c = consts.get(n.inputs[0] ?? '');
        if (c) setConst(c);
      }
      if (n.opType === 'BatchNormalization') {
        // Training-mode outputs: running mean and variance.
        set(1, inp(3));
        set(2, inp(4));
      }
      return;
    case 'Dropout': {
      set(0, inp(0));
      set(1, inp(0));
      return;
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'PRelu':
    case 'Max':
    case 'Min':
    case 'Sum':
    case 'Mean':
    case 'Equal':
    case 'Greater':
    case 'Less':
    case 'Where': {
      let s = inp(0);
      for (let i = 1; i < n.inputs.length; i++) s = broadcast(n, s, inp(i));
      set(0, s);
      const a = consts.get(n.inputs[0] ?? '');
      const b = consts.get(n.inputs[1] ?? '');
      if (a && b && n.inputs.length === 2 && ['Add', 'Sub', 'Mul', 'Div'].includes(n.opType)) {
        const len = Math.max(a.length, b.length);
        const f = {
          Add: (x: number, y: number) => x + y,
          Sub: (x: number, y: number) => x - y,
          Mul: (x: number, y: number) => x * y,
          Div: (x: number, y: number) => Math.trunc(x / y),
        }[n.opType as 'Add'];
        setConst(
          Array.from({ length: len }, (_, i) => f(a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!)),
        );
      }
      return;
    }
    case 'Flatten': {
      const x = inp(0);
      const axis = normAxis(n, getInt(n, 'axis', 1), x.length + 1);
      set(0, [numel(x.slice(0, axis)), numel(x.slice(axis))]);
      return;
    }
    case 'Reshape': {
      const x = inp(0);
      const target = constOf(1);
      const allowZero = getInt(n, 'allowzero', 0) === 1;
      const out = target.map((d, i) => (d === 0 && !allowZero ? x[i]! : d));
      const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const total = numel(x);
      const resolved = out.map((d) => (d === -1 ? total / known : d));
      if (numel(resolved) !== total || !resolved.every(Number.isInteger))
        fail(n, `cannot reshape [${x}] to [${target}]`);
      set(0, resolved);
      const c = consts.get(n.inputs[0] ?? '');
      if (c) setConst(c);
      return;
    }
    case 'Transpose': {
      const x = inp(0);
      const perm = getInts(
        n,
        'perm',
        x.map((_, i) => x.length - 1 - i),
      );
      set(
        0,
        perm.map((p) => x[p]!),
      );
      return;
    }
    case 'Concat': {
      const parts = n.inputs.map((_, i) => inp(i));
      const first = parts[0]!;
      const axis = normAxis(n, getInt(n, 'axis', 0), first.length);
      const out = [...first];
      out[axis] = parts.reduce((a, s) => a + s[axis]!, 0);
      set(0, out);
      const vals = n.inputs.map((x) => consts.get(x));
      if (vals.every((v) => v !== undefined)) setConst(vals.flat() as number[]);
      return;
    }
    case 'Gemm': {
      const a = inp(0);
      const b = inp(1);
      const m = getInt(n, 'transA', 0) ? a[1]! : a[0]!;
      const nn = getInt(n, 'transB', 0) ? b[0]! : b[1]!;
      set(0, [m, nn]);
      return;
    }
    case 'MatMul': {
      const a = inp(0);
      const b = inp(1);
      const a2 = a.length === 1 ? [1, a[0]!] : a;
      const b2 = b.length === 1 ? [b[0]!, 1] : b;
      const batchDims = broadcast(n, a2.slice(0, -2), b2.slice(0, -2));
      const out = [...batchDims, a2[a2.length - 2]!, b2[b2.length - 1]!];
      if (a.length === 1) out.splice(out.length - 2, 1);
      if (b.length === 1) out.pop();
      set(0, out);
      return;
    }
    case 'Constant': {
      const a = n.attributes.value;
      if (a?.type === 'tensor') {
        const t: Tensor = a.value;
        set(0, [...t.dims]);
        if ((t.dtype === 'int64' || t.dtype === 'int32') && numel(t.dims) <= 64) setConst(toNumbers(t));
        return;
      }
      if (n.attributes.value_ints?.type === 'ints') {
        const v = n.attributes.value_ints.value;
        set(0, [v.length]);
        setConst(v);
        return;
      }
      if (n.attributes.value_int?.type === 'int') {
        set(0, []);
        setConst([n.attributes.value_int.value]);
        return;
      }
      if (n.attributes.value_float) {
        set(0, []);
        return;
      }
      fail(n, 'unsupported Constant form');
      break;
    }
    case 'Shape': {
      const x = inp(0);
      const start = getInt(n, 'start', 0);
      const end = getInt(n, 'end', x.length);
      const v = x.slice(start < 0 ? start + x.length : start, end < 0 ? end + x.length : end);
      set(0, [v.length]);
      setConst(v);
      return;
    }
    case 'Gather': {
      const x = inp(0);
      const idx = inp(1);
      const axis = normAxis(n, getInt(n, 'axis', 0), x.length);
      set(0, [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]);
      const data = consts.get(n.inputs[0] ?? '');
      const ind = consts.get(n.inputs[1] ?? '');
      if (data && ind && x.length === 1) setConst(ind.map((i) => data[i < 0 ? i + data.length : i]!));
      return;
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const x = inp(0);
      const axes = n.inputs[1] ? constOf(1) : getInts(n, 'axes', []);
      let out: number[];
      if (n.opType === 'Unsqueeze') {
        const rank = x.length + axes.length;
        const norm = axes.map((a) => normAxis(n, a, rank));
        out = [];
        let j = 0;
        for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : x[j++]!);
      } else {
        const norm = axes.length
          ? axes.map((a) => normAxis(n, a, x.length))
          : x.flatMap((d, i) => (d === 1 ? [i] : []));
        out = x.filter((_, i) => !norm.includes(i));
      }
      set(0, out);
      const c = consts.get(n.inputs[0] ?? '');
      if (c) setConst(c);
      return;
    }
    case 'ReduceMean':
    case 'ReduceSum':
    case 'ReduceMax': {
      const x = inp(0);
      const keep = getInt(n, 'keepdims', 1) === 1;
      const axesIn = n.inputs[1] ? constOf(1) : getInts(n, 'axes', []);
      const axes = (axesIn.length ? axesIn : x.map((_, i) => i)).map((a) => normAxis(n, a, x.length));
      set(0, keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i)));
      return;
    }
    case 'Pad': {
      const x = inp(0);
      const pads = n.inputs[1] ? constOf(1) : getInts(n, 'pads', []);
      set(
        0,
        x.map((d, i) => d + pads[i]! + pads[i + x.length]!),
      );
      return;
    }
    default:
      fail(n, 'this operator is not supported by prunefi shape inference');
  }
}
