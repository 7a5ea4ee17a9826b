/**
 * Element-wise ops: unary ops keep their input's shape and type; binary and variadic ops
 * broadcast (numpy rules); comparisons and logic give bool; Cast and CastLike change the type.
 * Integer and bool values are folded so shape arithmetic (x.size(1) // heads, masks of -1 in
 * expand targets) stays known.
 */
import { getFloat, getInt } from '../ir.js';
import { dtypeFromCode } from '../proto.js';
import type { DType } from '../tensor.js';
import { foldBroadcast } from './fold.js';
import {
  broadcastShapes,
  castNumber,
  facts,
  isIntType,
  registerShapeRules,
  type ShapeContext,
  type ShapeRule,
} from './rule.js';

type Unary = (x: number, ctx: ShapeContext) => number;

/** A rule for an op whose output has its first input's shape and type (folded by `f` if given). */
function unary(name: string, description: string, f?: Unary): ShapeRule {
  return {
    name,
    description,
    reference: 'ONNX operator',
    infer(ctx) {
      const shape = ctx.shape(0);
      const type = ctx.type(0);
      const v = ctx.value(0);
      return [facts(shape, type, f && v ? v.map((x) => castNumber(f(x, ctx), type)) : undefined)];
    },
  };
}

/** A rule for a unary predicate (IsNaN, IsInf): same shape, bool. */
function predicate(name: string, description: string): ShapeRule {
  return { name, description, reference: 'ONNX operator', infer: (ctx) => [facts(ctx.shape(0), 'bool')] };
}

const UNARY: [string, string, Unary?][] = [
  ['Identity', 'the input unchanged', (x) => x],
  ['Relu', 'max(x, 0)', (x) => Math.max(x, 0)],
  ['LeakyRelu', 'x or alpha·x below zero'],
  ['PRelu', 'x or slope·x below zero (slope broadcast to x)'],
  ['Sigmoid', 'logistic function'],
  ['HardSigmoid', 'clip(alpha·x + beta, 0, 1)'],
  ['HardSwish', 'x · hardsigmoid(x) with alpha 1/6'],
  ['Tanh', 'hyperbolic tangent'],
  ['Erf', 'error function'],
  ['Gelu', 'Gaussian error linear unit (opset 20)'],
  ['Sqrt', 'square root', (x) => Math.sqrt(x)],
  ['Exp', 'exponential', (x) => Math.exp(x)],
  ['Log', 'natural logarithm', (x) => Math.log(x)],
  ['Neg', 'negation', (x) => -x],
  ['Abs', 'absolute value', (x) => Math.abs(x)],
  ['Sign', 'sign', (x) => Math.sign(x)],
  ['Floor', 'round down', (x) => Math.floor(x)],
  ['Ceil', 'round up', (x) => Math.ceil(x)],
  ['Round', 'round half to even', (x) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x))],
  ['Reciprocal', '1 / x', (x) => 1 / x],
  ['Elu', 'exponential linear unit'],
  ['Selu', 'scaled exponential linear unit'],
  ['Celu', 'continuously differentiable exponential linear unit'],
  ['Softplus', 'log(1 + exp(x))'],
  ['Softsign', 'x / (1 + |x|)'],
  ['Mish', 'x · tanh(softplus(x))'],
  ['ThresholdedRelu', 'x above alpha, else 0'],
  ['Shrink', 'soft/hard shrinkage'],
  ['Sin', 'sine'],
  ['Cos', 'cosine'],
  ['Tan', 'tangent'],
  ['Asin', 'arcsine'],
  ['Acos', 'arccosine'],
  ['Atan', 'arctangent'],
  ['Sinh', 'hyperbolic sine'],
  ['Cosh', 'hyperbolic cosine'],
  ['Asinh', 'inverse hyperbolic sine'],
  ['Acosh', 'inverse hyperbolic cosine'],
  ['Atanh', 'inverse hyperbolic tangent'],
  ['Not', 'logical not', (x) => (x ? 0 : 1)],
  ['BitwiseNot', 'bitwise not', (x) => ~x],
];

/** Clip: min and max from inputs (opset 11+) or attributes (older). */
const clip: ShapeRule = {
  name: 'Clip',
  description: 'clamp to [min, max]',
  reference: 'ONNX operator',
  infer(ctx) {
    const v = ctx.value(0);
    const lo = ctx.has(1) ? ctx.value(1)?.[0] : getFloat(ctx.node, 'min', Number.NEGATIVE_INFINITY);
    const hi = ctx.has(2) ? ctx.value(2)?.[0] : getFloat(ctx.node, 'max', Number.POSITIVE_INFINITY);
    const known = v && lo !== undefined && hi !== undefined;
    return [
      facts(ctx.shape(0), ctx.type(0), known ? v.map((x) => Math.min(Math.max(x, lo), hi)) : undefined),
    ];
  },
};

function convert(v: number[] | undefined, from: DType, to: DType): number[] | undefined {
  if (!v) return undefined;
  // Float → integer casts truncate toward zero, as ONNX Runtime's static_cast does.
  return v.map((x) => castNumber(isIntType(to) && !isIntType(from) ? Math.trunc(x) : x, to));
}

const cast: ShapeRule = {
  name: 'Cast',
  description: "element type conversion to the 'to' attribute",
  reference: 'ONNX operator',
  infer(ctx) {
    const to = dtypeFromCode(getInt(ctx.node, 'to', 1), `Cast node '${ctx.node.name}'`);
    return [facts(ctx.shape(0), to, convert(ctx.value(0), ctx.type(0), to))];
  },
};

const castLike: ShapeRule = {
  name: 'CastLike',
  description: 'element type conversion to the type of the second input',
  reference: 'ONNX operator',
  infer(ctx) {
    const to = ctx.type(1);
    return [facts(ctx.shape(0), to, convert(ctx.value(0), ctx.type(0), to))];
  },
};

type Combine = (xs: number[], ctx: ShapeContext) => number;

/** A broadcasting op over all its inputs; `bool` outputs for comparisons. */
function broadcasting(name: string, description: string, f?: Combine, out?: 'bool' | 'input1'): ShapeRule {
  return {
    name,
    description,
    reference: 'ONNX operator',
    infer(ctx) {
      const present = ctx.node.inputs.map((_, i) => i).filter((i) => ctx.has(i));
      const inputs = present.map((i) => ({ shape: ctx.shape(i), value: ctx.value(i) }));
      const shape = broadcastShapes(
        ctx,
        inputs.map((x) => x.shape),
      );
      const type: DType = out === 'bool' ? 'bool' : out === 'input1' ? ctx.type(1) : ctx.type(0);
      const v = f ? foldBroadcast(shape, inputs, (xs) => castNumber(f(xs, ctx), type)) : undefined;
      return [facts(shape, type, v)];
    },
  };
}

const intDiv = (x: number, y: number): number => Math.trunc(x / y);

const BINARY: [string, string, Combine?, ('bool' | 'input1')?][] = [
  ['Add', 'sum', ([x, y]) => x! + y!],
  ['Sub', 'difference', ([x, y]) => x! - y!],
  ['Mul', 'product', ([x, y]) => x! * y!],
  [
    'Div',
    'quotient (truncated for integers)',
    ([x, y], ctx) => (isIntType(ctx.type(0)) ? intDiv(x!, y!) : x! / y!),
  ],
  ['Pow', 'power', ([x, y]) => x! ** y!],
  [
    'Mod',
    'remainder (sign of the divisor unless fmod=1)',
    ([x, y], ctx) => (getInt(ctx.node, 'fmod', 0) ? x! % y! : ((x! % y!) + y!) % y!),
  ],
  ['Max', 'element-wise maximum (variadic)', (xs) => Math.max(...xs)],
  ['Min', 'element-wise minimum (variadic)', (xs) => Math.min(...xs)],
  ['Sum', 'element-wise sum (variadic)', (xs) => xs.reduce((a, b) => a + b, 0)],
  ['Mean', 'element-wise mean (variadic)', (xs) => xs.reduce((a, b) => a + b, 0) / xs.length],
  ['BitShift', 'bit shift'],
  ['BitwiseAnd', 'bitwise and', ([x, y]) => x! & y!],
  ['BitwiseOr', 'bitwise or', ([x, y]) => x! | y!],
  ['BitwiseXor', 'bitwise xor', ([x, y]) => x! ^ y!],
  ['Equal', 'x == y (bool)', ([x, y]) => (x === y ? 1 : 0), 'bool'],
  ['Less', 'x < y (bool)', ([x, y]) => (x! < y! ? 1 : 0), 'bool'],
  ['LessOrEqual', 'x <= y (bool)', ([x, y]) => (x! <= y! ? 1 : 0), 'bool'],
  ['Greater', 'x > y (bool)', ([x, y]) => (x! > y! ? 1 : 0), 'bool'],
  ['GreaterOrEqual', 'x >= y (bool)', ([x, y]) => (x! >= y! ? 1 : 0), 'bool'],
  ['And', 'logical and', ([x, y]) => (x && y ? 1 : 0), 'bool'],
  ['Or', 'logical or', ([x, y]) => (x || y ? 1 : 0), 'bool'],
  ['Xor', 'logical xor', ([x, y]) => (!x !== !y ? 1 : 0), 'bool'],
  ['Where', 'x where the condition holds, else y', ([c, x, y]) => (c ? x! : y!), 'input1'],
];

/** Dropout: output like the input, plus an optional bool mask. */
const dropout: ShapeRule = {
  name: 'Dropout',
  description: 'identity at inference (plus a bool mask output)',
  reference: 'ONNX operator',
  infer(ctx) {
    const shape = ctx.shape(0);
    return [facts(shape, ctx.type(0), ctx.value(0)), facts(shape, 'bool')];
  },
};

const PREDICATES: [string, string][] = [
  ['IsNaN', 'whether an element is NaN (bool)'],
  ['IsInf', 'whether an element is infinite (bool)'],
];

registerShapeRules(
  ...UNARY.map(([n, d, f]) => unary(n, d, f)),
  ...PREDICATES.map(([n, d]) => predicate(n, d)),
  ...BINARY.map(([n, d, f, o]) => broadcasting(n, d, f, o)),
  clip,
  cast,
  castLike,
  dropout,
);
