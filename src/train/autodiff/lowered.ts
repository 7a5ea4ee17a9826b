/**
 * "Lowered" convolution for layers with small feature maps (ResNet's last stages, AlexNet-CIFAR
 * after its first layer): the convolution becomes one large matrix product over batch ×
 * positions. ONNX Runtime's Conv runs one small GEMM per image, which is inefficient when an
 * image has only 4–64 output positions and the weights are graph inputs (no pre-packing); a
 * single GEMM over N·P rows is not.
 *
 * Rows are (image, position) and columns (kernel tap, input channel), so every tensor moves
 * between layouts at most once (no transpose of the K-times larger im2col matrix): the image in
 * channels-last order [N, H·W, Ci] is multiplied by a constant 0/1 selection S [P·K, H·W] to
 * give the im2col matrix [N·P, K·Ci], which the weight gradient reuses; the kernel is used in
 * taps-major order [Co, K·Ci] (see tapsMajorKernel).
 *
 * Forward:  cols = S·Xₙₕᵥ;  Y = cols·Wᵀ + b  (→ N, Co, P)
 * Backward: dW = dYᵀ·cols;  dX = Sᵀ·(dY·W)  (→ N, Ci, H, W)
 *
 * When the input map has fewer pixels than the kernel has taps (AlexNet-CIFAR's 2×2 and 4×4
 * maps), most im2col entries are padding: a 3×3 kernel on a 2×2 map multiplies 36 (position,
 * tap) pairs per channel pair, of which 16 touch a pixel. There the Conv runs as its dense
 * equivalent instead, one fully connected layer D [Co·P, H·W·Ci] gathered from the taps-major
 * kernel (pairs that see only padding read a zero tap):
 * Forward:  Y = Xₙₕᵥ·Dᵀ + b  (rows N, columns (Co, P): NCHW as it is)
 * Backward: dX = dY·D;  dD = dYᵀ·Xₙₕᵥ, folded back onto the taps by a constant 0/1 product
 * taken as (dD per output channel)ᵀ·F, which gives dW in the weight's own [Co, Ci, K] order:
 * ORT fuses the Transpose into the MatMul (FusedMatMul with transA), where transposing the
 * taps-major [Co, K, Ci] result instead ran one small MLAS transpose per output channel
 * (AlexNet: 6.9 of 43 ms of kernel time per step, against 2 ms for the fused products).
 */
import { nth } from '../../core/checked.js';
import { attrInt, attrInts, type Node } from '../../onnx/ir.js';
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

/** Calls `fn` for every (output position, kernel tap) pair that reads a pixel (not padding). */
function forEachConnection(g: LoweredGeom, fn: (position: number, tap: number, pixel: number) => void): void {
  const [h, w] = [nth(g.x, 2), nth(g.x, 3)];
  const [oh, ow] = [nth(g.y, 2), nth(g.y, 3)];
  const [kh, kw] = [nth(g.kernel, 0), nth(g.kernel, 1)];
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const y = i * g.strides[0]! - g.pads[0]! + a * g.dilations[0]!;
          const x = j * g.strides[1]! - g.pads[1]! + b * g.dilations[1]!;
          if (y >= 0 && y < h && x >= 0 && x < w) fn(i * ow + j, a * kw + b, y * w + x);
        }
      }
    }
  }
}

/** The 0/1 selection S [1, P·K, H·W] (row p·K + k reads the pixel tap k of position p sees) and Sᵀ. */
function selection(ctx: GradContext, g: LoweredGeom): { s: string; st: string } {
  const p = numel(g.y.slice(2));
  const kk = numel(g.kernel);
  const hw = numel(g.x.slice(2));
  const make = () =>
    ctx.dtype === 'float64' ? new Float64Array(hw * kk * p) : new Float32Array(hw * kk * p);
  const s = make();
  const st = make();
  forEachConnection(g, (position, tap, pix) => {
    const row = position * kk + tap;
    s[row * hw + pix] = 1;
    st[pix * kk * p + row] = 1;
  });
  return {
    s: ctx.tensor(tensor(ctx.dtype, [1, p * kk, hw], s), 'conv_selection'),
    st: ctx.tensor(tensor(ctx.dtype, [1, hw, p * kk], st), 'conv_selection_t'),
  };
}

/** Whether a lowered Conv runs as its dense equivalent (see the top of this file). */
function denseEquivalent(g: LoweredGeom): boolean {
  return numel(g.x.slice(2)) < numel(g.kernel);
}

/**
 * For each (output position p, input pixel q), the kernel tap that connects them, or K (the
 * zero tap) when none does; and whether any pair needs the zero tap.
 */
function pairTaps(g: LoweredGeom): { taps: number[]; zeroTap: boolean } {
  const hw = numel(g.x.slice(2));
  const kk = numel(g.kernel);
  const taps = new Array<number>(numel(g.y.slice(2)) * hw).fill(kk);
  forEachConnection(g, (position, tap, pix) => {
    taps[position * hw + pix] = tap;
  });
  return { taps, zeroTap: taps.includes(kk) };
}

/**
 * The identity [K, K] as a constant, with one more all-zero row when `zeroRow`. Multiplying by it
 * is how kernels move between the weight's [Co, Ci, K] and taps-major [Co, K, Ci] orders: ORT
 * fuses a last-two-axes Transpose into the MatMul that reads it (FusedMatMul), and the GEMM's
 * operand packing then transposes in one batched, threaded call. ORT's own Transpose of these
 * shapes runs one small MLAS transpose per output channel (~3.6 ns per float). Exact for finite
 * values: each output is one value times 1 plus zeros. (An infinite one would spread NaN over its
 * row, but a non-finite weight or gradient makes the loss non-finite by the next step, which stops
 * training.)
 */
function identity(ctx: GradContext, k: number, zeroRow = false): string {
  const rows = k + (zeroRow ? 1 : 0);
  const eye = new Array<number>(rows * k).fill(0);
  for (let i = 0; i < k; i++) eye[i * k + i] = 1;
  return ctx.float(eye, [rows, k]);
}

/** `v` [B, M, N] as [B, N, M], for ORT to fuse into the MatMul that reads it. */
function swapLastTwo(ctx: GradContext, v: string): string {
  return ctx.op('Transpose', [v], { perm: attrInts([0, 2, 1]) });
}

/**
 * The taps-major kernel of `w` ([Co, K·Ci]; with `zeroTap`, one more all-zero tap), computed in
 * the graph (see identity). Rearranging it in TypeScript before every run took 5.5 ms per AlexNet
 * step, against 1.1 ms for these products.
 */
function tapsMajorKernel(ctx: GradContext, w: string, g: LoweredGeom, zeroTap = false): string {
  const [co, ci] = [nth(g.w, 0), nth(g.x, 1)];
  const kk = numel(g.kernel);
  const wt = swapLastTwo(ctx, ctx.op('Reshape', [w, ctx.ints([co, ci, kk])]));
  const wk = ctx.op('MatMul', [identity(ctx, kk, zeroTap), wt]);
  return ctx.op('Reshape', [wk, ctx.ints([co, (kk + (zeroTap ? 1 : 0)) * ci])]);
}

/**
 * An NCHW tensor in channels-last order, reshaped to `dims`. A 4-D Transpose then a Reshape: a
 * last-two-axes Transpose right before the selection MatMul would be fused by ORT into a
 * FusedMatMul, which is several times slower for that product (unlike the dense fold's, below).
 */
function channelsLast(ctx: GradContext, v: string, dims: number[]): string {
  return ctx.op('Reshape', [ctx.op('Transpose', [v], { perm: attrInts([0, 2, 3, 1]) }), ctx.ints(dims)]);
}

/**
 * Channels-last rows (image, pixel) with `c` columns back to NCHW, as a 4-D Transpose last: ONNX
 * Runtime's transpose optimizer can then cancel it against the next lowered Conv's input
 * Transpose across element-wise ops such as Relu (measured on AlexNet before its small maps went
 * dense: 40 → 22 Transposes, ~5% of the step).
 */
function fromChannelsLast(ctx: GradContext, v: string, spatial: number[], c: number, out?: string): string {
  const rows = ctx.op('Reshape', [v, ctx.ints([-1, ...spatial, c])]);
  const perm = { perm: attrInts([0, 3, 1, 2]) };
  return out ? nth(ctx.emit('Transpose', [rows], perm, [out]), 0) : ctx.op('Transpose', [rows], perm);
}

/** A taps-major weight gradient [Co, K, Ci] in the weight's own layout (see identity). */
function weightGradFromTapsMajor(ctx: GradContext, dwk: string, g: LoweredGeom): string {
  const [ci, co] = [nth(g.x, 1), nth(g.w, 0)];
  const kk = numel(g.kernel);
  const dw = swapLastTwo(ctx, ctx.op('Reshape', [dwk, ctx.ints([co, kk, ci])]));
  return ctx.op('Reshape', [ctx.op('MatMul', [dw, identity(ctx, kk)]), ctx.ints(g.w)]);
}

/** Whether the forward rule ran `n` lowered (dense or not), so its backward is loweredBackward's. */
export function isLowered(ctx: GradContext, n: Node): boolean {
  return ctx.hasSaved(n, 'cols') || ctx.hasSaved(n, 'dense');
}

/** Emits the dense-equivalent forward pass of `n` and saves what its backward needs. */
function denseForward(ctx: GradContext, n: Node, g: LoweredGeom): void {
  const [x, w, b] = [nth(n.inputs, 0), nth(n.inputs, 1), n.inputs[2]];
  const [ci, co] = [nth(g.x, 1), nth(g.w, 0)];
  const hw = numel(g.x.slice(2));
  const kk = numel(g.kernel);
  const p = numel(g.y.slice(2));
  const { taps, zeroTap } = pairTaps(g);
  const wk = tapsMajorKernel(ctx, w, g, zeroTap);
  const k = zeroTap ? kk + 1 : kk;
  // D[(co, p), (q, ci)] = Wk[co, tap(p, q), ci]: ORT's Gather copies whole Ci-float rows.
  const gathered = ctx.op('Gather', [ctx.op('Reshape', [wk, ctx.ints([co, k, ci])]), ctx.ints(taps)], {
    axis: attrInt(1),
  });
  const d = ctx.op('Reshape', [gathered, ctx.ints([co * p, hw * ci])]);
  const xf = channelsLast(ctx, x, [-1, hw * ci]);
  const yf = ctx.op('Reshape', [
    ctx.op('Gemm', [xf, d], { transB: attrInt(1) }),
    ctx.ints([-1, co, ...g.y.slice(2)]),
  ]);
  if (b) ctx.emit('Add', [yf, ctx.op('Reshape', [b, ctx.ints([co, 1, 1])])], {}, [nth(n.outputs, 0)]);
  else ctx.emit('Identity', [yf], {}, [nth(n.outputs, 0)]);
  // The fold F[(p, q), k] = 1 where tap(p, q) = k sums each tap's gradient over its pairs.
  const fold = new Float64Array(kk * taps.length);
  taps.forEach((t, pq) => {
    if (t < kk) fold[pq * kk + t] = 1;
  });
  const f = ctx.tensor(
    tensor(ctx.dtype, [taps.length, kk], ctx.dtype === 'float64' ? fold : Float32Array.from(fold)),
    'conv_fold',
  );
  ctx.save(n, { xf, dense: d, fold: f });
}

/** Emits dX and dW of a dense-equivalent Conv. */
function denseBackward(
  ctx: GradContext,
  n: Node,
  dY: string,
  g: LoweredGeom,
  needs: boolean[],
): [string | undefined, string | undefined] {
  const [ci, co] = [nth(g.x, 1), nth(g.w, 0)];
  const hw = numel(g.x.slice(2));
  const p = numel(g.y.slice(2));
  const dyf = ctx.op('Reshape', [dY, ctx.ints([-1, co * p])]);
  let dW: string | undefined;
  if (needs[1]) {
    const dd = ctx.op('Gemm', [dyf, ctx.restore(n, 'xf')], { transA: attrInt(1) });
    // [Co, Ci, (p, q)]·F, with the swap fused into the MatMul.
    const ddT = swapLastTwo(ctx, ctx.op('Reshape', [dd, ctx.ints([co, p * hw, ci])]));
    dW = ctx.op('Reshape', [ctx.op('MatMul', [ddT, ctx.restore(n, 'fold')]), ctx.ints(g.w)]);
  }
  const dX = needs[0]
    ? fromChannelsLast(ctx, ctx.op('Gemm', [dyf, ctx.restore(n, 'dense')]), g.x.slice(2), ci)
    : undefined;
  return [dX, dW];
}

/** Emits the lowered forward pass of `n` and saves what its backward needs. */
export function loweredForward(ctx: GradContext, n: Node, g: LoweredGeom): void {
  if (denseEquivalent(g)) {
    denseForward(ctx, n, g);
    return;
  }
  const [x, w, b] = [nth(n.inputs, 0), nth(n.inputs, 1), n.inputs[2]];
  const [ci, co] = [nth(g.x, 1), nth(g.w, 0)];
  const hw = numel(g.x.slice(2));
  const kk = numel(g.kernel);
  const { s, st } = selection(ctx, g);
  const wk = tapsMajorKernel(ctx, w, g);
  const xh = channelsLast(ctx, x, [0, hw, ci]);
  const cols = ctx.op('Reshape', [ctx.op('MatMul', [s, xh]), ctx.ints([-1, kk * ci])]);
  const yh = ctx.op('Gemm', b ? [cols, wk, b] : [cols, wk], { transB: attrInt(1) });
  fromChannelsLast(ctx, yh, g.y.slice(2), co, nth(n.outputs, 0));
  ctx.save(n, { cols, wk, st });
}

/** Emits dX and dW of a lowered Conv (dB is the caller's: a sum of dY). */
export function loweredBackward(
  ctx: GradContext,
  n: Node,
  dY: string,
  g: LoweredGeom,
  needs: boolean[],
): [string | undefined, string | undefined] {
  if (ctx.hasSaved(n, 'dense')) return denseBackward(ctx, n, dY, g, needs);
  const [ci, co] = [nth(g.x, 1), nth(g.w, 0)];
  const kk = numel(g.kernel);
  const p = numel(g.y.slice(2));
  const dyh = channelsLast(ctx, dY, [-1, co]);
  const dW = needs[1]
    ? weightGradFromTapsMajor(ctx, ctx.op('Gemm', [dyh, ctx.restore(n, 'cols')], { transA: attrInt(1) }), g)
    : undefined;
  let dX: string | undefined;
  if (needs[0]) {
    const dcols = ctx.op('Reshape', [
      ctx.op('Gemm', [dyh, ctx.restore(n, 'wk')]),
      ctx.ints([-1, p * kk, ci]),
    ]);
    dX = fromChannelsLast(ctx, ctx.op('MatMul', [ctx.restore(n, 'st'), dcols]), g.x.slice(2), ci);
  }
  return [dX, dW];
}
