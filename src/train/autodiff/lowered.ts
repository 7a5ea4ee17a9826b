/**
 * "Lowered" convolution for layers with small feature maps (ResNet's last stages, AlexNet-CIFAR
 * after its first layer): the convolution becomes one large matrix product over batch ×
 * positions. ONNX Runtime's Conv runs one small GEMM per image, which is inefficient when an
 * image has only 4–64 output positions and the weights are graph inputs (no pre-packing); a
 * single GEMM over N·P columns is not. The im2col matrix is built by multiplying the
 * per-channel batch × pixel matrices by constant 0/1 selection matrices (cheap while the map is
 * small), kept for the weight gradient, and the input gradient is the transpose product
 * followed by Sᵀ (col2im).
 *
 * Forward:  cols = reorder(Xᵀ·S) [Ci·K, N·P];  Y = W [Co, Ci·K] · cols  (→ N, Co, P)
 * Backward: dW = dY [Co, N·P] · colsᵀ;  dcols = Wᵀ · dY;  dX = reorder(dcols)·Sᵀ
 */
import { attrFloat, attrInt, attrInts, type Node } from '../../onnx/ir.js';
import { numel, tensor } from '../../onnx/tensor.js';
import type { GradContext } from './context.js';

/** Geometry the lowering needs (resolved pads, one spatial rank). */
export interface LoweredGeom {
  x: number[];
  w: number[];
  y: number[];
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

/** Largest input map (pixels) and output map (positions) lowered. */
const MAX_PIXELS = 64;

/** Whether a Conv of this geometry runs lowered. */
export function lowerable(ctx: GradContext, g: LoweredGeom): boolean {
  return (
    ctx.lowerConv &&
    g.group === 1 &&
    g.kernel.length === 2 &&
    numel(g.x.slice(2)) <= MAX_PIXELS &&
    numel(g.y.slice(2)) <= MAX_PIXELS
  );
}

/**
 * The 0/1 selection of input pixels per (kernel tap, output position), in the two layouts the
 * passes use: forward [1, K, H·W, P] (a broadcast batched MatMul writes the im2col matrix
 * directly in [Ci, K, N, P] order, no transpose) and backward Sᵀ [K·P, H·W] (col2im).
 */
function selection(ctx: GradContext, g: LoweredGeom): { forward: string; backward: string } {
  const [h, w] = [g.x[2]!, g.x[3]!];
  const [oh, ow] = [g.y[2]!, g.y[3]!];
  const [kh, kw] = [g.kernel[0]!, g.kernel[1]!];
  const p = oh * ow;
  const kk = kh * kw;
  const hw = h * w;
  const make = () =>
    ctx.dtype === 'float64' ? new Float64Array(hw * kk * p) : new Float32Array(hw * kk * p);
  const fwd = make();
  const bwd = make();
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const k = a * kw + b;
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const y = i * g.strides[0]! - g.pads[0]! + a * g.dilations[0]!;
          const x = j * g.strides[1]! - g.pads[1]! + b * g.dilations[1]!;
          if (y < 0 || y >= h || x < 0 || x >= w) continue;
          const pos = i * ow + j;
          const pix = y * w + x;
          fwd[(k * hw + pix) * p + pos] = 1;
          bwd[(k * p + pos) * hw + pix] = 1;
        }
      }
    }
  }
  return {
    forward: ctx.tensor(tensor(ctx.dtype, [1, kk, hw, p], fwd), 'conv_selection'),
    backward: ctx.tensor(tensor(ctx.dtype, [kk * p, hw], bwd), 'conv_selection_t'),
  };
}

/** Emits the lowered forward pass of `n` and saves what its backward needs. */
export function loweredForward(ctx: GradContext, n: Node, g: LoweredGeom): void {
  const [x, w, b] = [n.inputs[0]!, n.inputs[1]!, n.inputs[2]];
  const [ci, co] = [g.x[1]!, g.w[0]!];
  const hw = numel(g.x.slice(2));
  const kk = numel(g.kernel);
  const p = numel(g.y.slice(2));
  const s = selection(ctx, g);
  // X as [Ci, 1, N, H·W] times S [1, K, H·W, P] = [Ci, K, N, P] = cols [Ci·K, N·P].
  const xt = ctx.op('Reshape', [
    ctx.op('Transpose', [x], { perm: attrInts([1, 0, 2, 3]) }),
    ctx.ints([ci, 1, -1, hw]),
  ]);
  const cols = ctx.op('Reshape', [ctx.op('MatMul', [xt, s.forward]), ctx.ints([ci * kk, -1])]);
  const w2 = ctx.op('Reshape', [w, ctx.ints([co, ci * kk])]);
  const y2 = ctx.op('Reshape', [ctx.op('MatMul', [w2, cols]), ctx.ints([co, -1, p])]);
  const yt = ctx.op('Transpose', [y2], { perm: attrInts([1, 0, 2]) });
  const shape = ctx.ints([-1, co, ...g.y.slice(2)]);
  if (!b) {
    ctx.emit('Reshape', [yt, shape], {}, [n.outputs[0]!]);
  } else {
    // Bias as a one-pass per-channel affine node (broadcasting Add is a slow kernel in ORT).
    const ones = ctx.float(new Array<number>(co).fill(1), [co]);
    const zeros = ctx.float(new Array<number>(co).fill(0), [co]);
    ctx.emit(
      'BatchNormalization',
      [ctx.op('Reshape', [yt, shape]), ones, b, zeros, ones],
      { epsilon: attrFloat(0) },
      [n.outputs[0]!],
    );
  }
  ctx.save(n, { cols, w2, st: s.backward });
}

/** Emits dX and dW of a lowered Conv (dB is the caller's: a sum of dY). */
export function loweredBackward(
  ctx: GradContext,
  n: Node,
  dY: string,
  g: LoweredGeom,
  needs: boolean[],
): [string | undefined, string | undefined] {
  const [ci, co] = [g.x[1]!, g.w[0]!];
  const kk = numel(g.kernel);
  const p = numel(g.y.slice(2));
  const cols = ctx.restore(n, 'cols');
  const dy2 = ctx.op('Reshape', [
    ctx.op('Transpose', [ctx.op('Reshape', [dY, ctx.ints([0, co, p])])], { perm: attrInts([1, 0, 2]) }),
    ctx.ints([co, -1]),
  ]);
  const dW = needs[1]
    ? ctx.op('Reshape', [ctx.op('Gemm', [dy2, cols], { transB: attrInt(1) }), ctx.ints(g.w)])
    : undefined;
  let dX: string | undefined;
  if (needs[0]) {
    const dcols = ctx.op('Gemm', [ctx.restore(n, 'w2'), dy2], { transA: attrInt(1) });
    const back = ctx.op('Transpose', [ctx.op('Reshape', [dcols, ctx.ints([ci, kk, -1, p])])], {
      perm: attrInts([0, 2, 1, 3]),
    });
    const pixels = ctx.op('MatMul', [
      ctx.op('Reshape', [back, ctx.ints([-1, kk * p])]),
      ctx.restore(n, 'st'),
    ]);
    const chw = ctx.op('Reshape', [pixels, ctx.ints([ci, -1, ...g.x.slice(2)])]);
    dX = ctx.op('Transpose', [chw], { perm: attrInts([1, 0, 2, 3]) });
  }
  return [dX, dW];
}
