/**
 * Quantized ops: QDQ (QuantizeLinear, DequantizeLinear: int8, uint8, int16, uint16, int32 and the
 * opset-21 int4/uint4; per-tensor, per-axis and blocked scales) and the QOperator form
 * (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger, DynamicQuantizeLinear).
 */
import { getInt, getInts } from '../ir.js';
import { dtypeFromCode } from '../proto.js';
import type { DType } from '../tensor.js';
import { matmulShape } from './nn.js';
import { facts, isIntType, normAxis, registerShapeRules, type ShapeContext, type ShapeRule } from './rule.js';
import { windowGeometry } from './window.js';

const ref = 'ONNX operator';

/** The scale of input `s` fits data of `x`'s shape: one element, one per `axis` index, or blocked. */
function checkScale(ctx: ShapeContext, x: number[], s: number): void {
  const scale = ctx.shape(s);
  if (scale.length === 0 || (scale.length === 1 && scale[0] === 1)) return;
  const axis = normAxis(ctx, getInt(ctx.node, 'axis', 1), x.length);
  const block = getInt(ctx.node, 'block_size', 0);
  if (block > 0) {
    const want = x.map((d, i) => (i === axis ? Math.ceil(d / block) : d));
    if (scale.length !== x.length || scale.some((d, i) => d !== want[i]))
      ctx.fail(`blocked scales must be [${want}] (block_size ${block} along axis ${axis}), got [${scale}]`);
  } else if (scale.length !== 1 || scale[0] !== x[axis])
    ctx.fail(`per-axis scales must be [${x[axis]}] (axis ${axis} of [${x}]), got [${scale}]`);
}

const quantize: ShapeRule = {
  name: 'QuantizeLinear',
  description:
    'float to integer with scale and zero point (type of the zero point, or output_dtype, else uint8)',
  reference: ref,
  infer(ctx) {
    checkScale(ctx, ctx.shape(0), 1);
    const code = getInt(ctx.node, 'output_dtype', 0);
    const type: DType = code
      ? dtypeFromCode(code, `node '${ctx.node.name}'`)
      : ctx.has(2)
        ? ctx.type(2)
        : 'uint8';
    return [facts(ctx.shape(0), type)];
  },
};

const dequantize: ShapeRule = {
  name: 'DequantizeLinear',
  description: 'integer to float, (x - zero point) * scale (type of the scale)',
  reference: ref,
  infer(ctx) {
    if (!isIntType(ctx.type(0))) ctx.fail(`input is ${ctx.type(0)}, expected an integer type`);
    checkScale(ctx, ctx.shape(0), 1);
    return [facts(ctx.shape(0), ctx.type(1))];
  },
};

/** A convolution's output shape over input `x` and weight `w` (as Conv's). */
function convShape(ctx: ShapeContext, x: number, w: number): number[] {
  const xs = ctx.shape(x);
  const ws = ctx.shape(w);
  const g = windowGeometry(ctx.node, xs, getInts(ctx.node, 'kernel_shape', ws.slice(2)));
  const [n = 1] = xs;
  const [co = 1] = ws;
  return [n, co, ...g.outSpatial];
}

const qlinearConv: ShapeRule = {
  name: 'QLinearConv',
  description: 'quantized convolution: x, w and y each with scale and zero point (type of y_zero_point)',
  reference: ref,
  infer: (ctx) => [facts(convShape(ctx, 0, 3), ctx.type(7))],
};

const qlinearMatMul: ShapeRule = {
  name: 'QLinearMatMul',
  description: 'quantized matrix product: a, b and y each with scale and zero point (type of y_zero_point)',
  reference: ref,
  infer: (ctx) => [facts(matmulShape(ctx, ctx.shape(0), ctx.shape(3)), ctx.type(7))],
};

const convInteger: ShapeRule = {
  name: 'ConvInteger',
  description: 'integer convolution with zero points (int32 result)',
  reference: ref,
  infer: (ctx) => [facts(convShape(ctx, 0, 1), 'int32')],
};

const matmulInteger: ShapeRule = {
  name: 'MatMulInteger',
  description: 'integer matrix product with zero points (int32 result)',
  reference: ref,
  infer: (ctx) => [facts(matmulShape(ctx, ctx.shape(0), ctx.shape(1)), 'int32')],
};

const dynamicQuantize: ShapeRule = {
  name: 'DynamicQuantizeLinear',
  description: 'float to uint8 with a scale and zero point computed from the data (scalar outputs)',
  reference: ref,
  infer: (ctx) => [facts(ctx.shape(0), 'uint8'), facts([], 'float32'), facts([], 'uint8')],
};

registerShapeRules(
  quantize,
  dequantize,
  qlinearConv,
  qlinearMatMul,
  convInteger,
  matmulInteger,
  dynamicQuantize,
);
