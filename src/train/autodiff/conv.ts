/**
 * Conv gradients, written for speed on ONNX Runtime's CPU kernels (measured in bench/). Convs on
 * small feature maps run lowered to large GEMMs (lowered.ts); the others keep ORT's Conv forward and:
 * - input gradient: for stride 1, a plain Conv of dY with the flipped, transposed weight (Conv
 *   runs about twice as fast as ConvTranspose there); otherwise ConvTranspose;
 * - weight gradient: explicit im2col (a depthwise Conv with a constant one-hot kernel) followed
 *   by one batched MatMul and a sum over the batch (many output positions), or by one Gemm over
 *   batch × positions (few positions, deep layers); several times faster than the classic
 *   "Conv over transposed tensors" form, which is kept as the `conv` strategy for comparison.
 */
import { nth } from '../../core/checked.js';
import { attrInt, attrInts, getInt, type Node } from '../../onnx/ir.js';
import { windowGeometry } from '../../onnx/shape/index.js';
import { numel, tensor } from '../../onnx/tensor.js';
import type { GradContext } from './context.js';
import { isLowered, type LoweredGeom, lowerable, loweredBackward, loweredForward } from './lowered.js';
import { registerRules } from './rule.js';

/** Resolved Conv geometry plus the spatial rank. */
type ConvGeom = LoweredGeom & { r: number };

function geometry(ctx: GradContext, n: Node): ConvGeom {
  const x = ctx.shape(nth(n.inputs, 0));
  const w = ctx.shape(nth(n.inputs, 1));
  const kernel = w.slice(2);
  const g = windowGeometry(n, x, kernel);
  return {
    x,
    w,
    y: ctx.shape(nth(n.outputs, 0)),
    kernel,
    strides: g.strides,
    pads: g.pads,
    dilations: g.dilations,
    group: getInt(n, 'group', 1),
    r: kernel.length,
  };
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

function inputGrad(ctx: GradContext, n: Node, dY: string, g: ConvGeom): string {
  const w = nth(n.inputs, 1);
  const { r, kernel, strides, pads, dilations, group } = g;
  const span = kernel.map((k, i) => nth(dilations, i) * (k - 1));
  const flipPads = [...span.map((s, i) => s - nth(pads, i)), ...span.map((s, i) => s - nth(pads, i + r))];
  if (strides.every((s) => s === 1) && flipPads.every((p) => p >= 0)) {
    // dX = Conv(dY, W flipped in space with in/out channels swapped per group).
    const [co, cig] = [nth(g.w, 0), nth(g.w, 1)];
    const cog = co / group;
    const dims = [cig * group, cog, ...kernel];
    let flipped: string;
    if (ctx.source.initializers.has(w)) {
      flipped = ctx.name(`${w}@flipped`);
      ctx.derivedInputs.push({ name: flipped, kind: 'flipped', source: w, group, dims });
    } else {
      const grouped = ctx.op('Reshape', [w, ctx.ints([group, cog, cig, ...kernel])]);
      const swapped = ctx.op('Transpose', [grouped], { perm: attrInts([0, 2, 1, ...range(3, 3 + r)]) });
      const wt = ctx.op('Reshape', [swapped, ctx.ints(dims)]);
      const axes = range(2, 2 + r);
      flipped = ctx.op('Slice', [
        wt,
        ctx.ints(axes.map(() => -1)),
        ctx.ints(axes.map(() => -(2 ** 53 - 1))),
        ctx.ints(axes),
        ctx.ints(axes.map(() => -1)),
      ]);
    }
    return ctx.op('Conv', [dY, flipped], {
      pads: attrInts(flipPads),
      dilations: attrInts(dilations),
      group: attrInt(group),
    });
  }
  return transposedWindow(ctx, dY, w, g.x, g.y, kernel, strides, pads, dilations, group);
}

/**
 * A ConvTranspose that scatters output-sized values back onto the input grid of a sliding
 * window op. Its output is cropped (pads) or extended (output_padding) so it has exactly the
 * input's spatial size, whatever rounding (floor or ceil mode) the forward op used.
 */
export function transposedWindow(
  ctx: GradContext,
  dY: string,
  w: string,
  x: readonly number[],
  y: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  pads: readonly number[],
  dilations: readonly number[],
  group: number,
): string {
  const r = kernel.length;
  const endPads: number[] = [];
  const outPad: number[] = [];
  kernel.forEach((k, i) => {
    const full = (nth(y, 2 + i) - 1) * nth(strides, i) + nth(dilations, i) * (k - 1) + 1;
    const cropEnd = full - nth(pads, i) - nth(x, 2 + i);
    endPads.push(Math.max(0, cropEnd));
    outPad.push(Math.max(0, -cropEnd));
  });
  return ctx.op('ConvTranspose', [dY, w], {
    strides: attrInts([...strides]),
    pads: attrInts([...pads.slice(0, r), ...endPads]),
    dilations: attrInts([...dilations]),
    group: attrInt(group),
    output_padding: attrInts(outPad),
  });
}

/** The im2col matrix of x as [N, Ci·K, P] (K = kernel elements, P = output positions). */
function im2col(ctx: GradContext, x: string, g: ConvGeom): string {
  const ci = nth(g.x, 1);
  const kk = numel(g.kernel);
  const p = numel(g.y.slice(2));
  const trivial = kk === 1 && g.strides.every((s) => s === 1) && g.pads.every((q) => q === 0);
  if (trivial) return ctx.op('Reshape', [x, ctx.ints([0, ci, p])]);
  // A depthwise Conv whose kernel j of each channel is the one-hot at kernel position j copies
  // every window into channels: Conv does the padding, striding and dilation bookkeeping.
  const data = ctx.dtype === 'float64' ? new Float64Array(ci * kk * kk) : new Float32Array(ci * kk * kk);
  for (let c = 0; c < ci; c++) for (let j = 0; j < kk; j++) data[(c * kk + j) * kk + j] = 1;
  const onehot = ctx.tensor(tensor(ctx.dtype, [ci * kk, 1, ...g.kernel], data), 'im2col_kernel');
  const cols = ctx.op('Conv', [x, onehot], {
    strides: attrInts(g.strides),
    pads: attrInts(g.pads),
    dilations: attrInts(g.dilations),
    group: attrInt(ci),
  });
  return ctx.op('Reshape', [cols, ctx.ints([0, ci * kk, p])]);
}

function weightGradIm2col(ctx: GradContext, n: Node, dY: string, g: ConvGeom): string {
  const cols = im2col(ctx, nth(n.inputs, 0), g);
  const [co, cig] = [nth(g.w, 0), nth(g.w, 1)];
  const group = g.group;
  const kk = numel(g.kernel);
  const p = numel(g.y.slice(2));
  if (group === 1 && cig * kk * co > p * (cig * kk + co)) {
    // Few output positions: one Gemm contracting over batch × positions beats N small
    // products whose [Ci·K, Co] outputs would have to be written and summed (cost model:
    // output elements per image vs the elements the two transposes move).
    const flat = (v: string, c: number): string =>
      ctx.op('Reshape', [ctx.op('Transpose', [v], { perm: attrInts([1, 0, 2]) }), ctx.ints([c, -1])]);
    const dy2 = flat(ctx.op('Reshape', [dY, ctx.ints([0, co, p])]), co);
    const dw = ctx.op('Gemm', [dy2, flat(cols, cig * kk)], { transB: attrInt(1) });
    return ctx.op('Reshape', [dw, ctx.ints(g.w)]);
  }
  if (group === 1) {
    // A 4-D transpose then a reshape: ORT would fuse a last-two-axes Transpose into the MatMul
    // (FusedMatMul), which measured several times slower than the two separate nodes.
    const dyT = ctx.op('Reshape', [
      ctx.op('Transpose', [dY], { perm: attrInts([0, ...range(2, 2 + g.r), 1]) }),
      ctx.ints([0, p, co]),
    ]);
    const perImage = ctx.op('MatMul', [cols, dyT]);
    const sum = ctx.op('ReduceSum', [perImage, ctx.ints([0])], { keepdims: attrInt(0) });
    const t = ctx.op('Transpose', [sum], { perm: attrInts([1, 0]) });
    return ctx.op('Reshape', [t, ctx.ints(g.w)]);
  }
  const cog = co / group;
  const cols4 = ctx.op('Reshape', [cols, ctx.ints([0, group, cig * kk, p])]);
  const dy4 = ctx.op('Reshape', [dY, ctx.ints([0, group, cog, p])]);
  const dyT = ctx.op('Transpose', [dy4], { perm: attrInts([0, 1, 3, 2]) });
  const perImage = ctx.op('MatMul', [cols4, dyT]);
  const sum = ctx.op('ReduceSum', [perImage, ctx.ints([0])], { keepdims: attrInt(0) });
  const t = ctx.op('Transpose', [sum], { perm: attrInts([0, 2, 1]) });
  return ctx.op('Reshape', [t, ctx.ints(g.w)]);
}

/**
 * dW as a Conv over batch-transposed tensors (stride and dilation swap roles). Group 1 only. The
 * end padding is cut to what the last kernel tap reads: with the forward's, the output runs past
 * the kernel (AlexNet-CIFAR's first layer: 14×14 computed for 11×11 taps, 62% more work), and
 * the surplus is only sliced off when the input itself reaches further than the taps.
 */
function weightGradConv(ctx: GradContext, n: Node, dY: string, g: ConvGeom): string {
  const perm = attrInts([1, 0, ...range(2, 2 + g.r)]);
  const xt = ctx.op('Transpose', [nth(n.inputs, 0)], { perm });
  const dyt = ctx.op('Transpose', [dY], { perm });
  const reach = g.kernel.map(
    (k, i) => (k - 1) * nth(g.dilations, i) + (nth(g.y, 2 + i) - 1) * nth(g.strides, i) + 1,
  );
  const endPads = reach.map((r, i) => Math.max(0, r - nth(g.x, 2 + i) - nth(g.pads, i)));
  const out = ctx.op('Conv', [xt, dyt], {
    strides: attrInts(g.dilations),
    dilations: attrInts(g.strides),
    pads: attrInts([...g.pads.slice(0, g.r), ...endPads]),
  });
  const axes = range(2, 2 + g.r);
  const past = reach.some((r, i) => nth(g.x, 2 + i) + nth(g.pads, i) + nth(endPads, i) > r);
  const cut = past
    ? ctx.op('Slice', [out, ctx.ints(axes.map(() => 0)), ctx.ints(g.kernel), ctx.ints(axes)])
    : out;
  return ctx.op('Transpose', [cut], { perm });
}

registerRules({
  name: 'Conv',
  description:
    'convolution (strides, pads, dilations, groups); small maps lowered to GEMMs, else dW by im2col+MatMul and dX by Conv or ConvTranspose',
  reference: '',
  differentiable: (n) => (n.inputs[2] ? [0, 1, 2] : [0, 1]),
  forward: (ctx, n) => {
    const g = geometry(ctx, n);
    if (lowerable(ctx, g) && ctx.source.initializers.has(nth(n.inputs, 1))) loweredForward(ctx, n, g);
    else ctx.nodes.push({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] });
  },
  backward: (ctx, n, [dY], needs) => {
    const g = geometry(ctx, n);
    const d = dY!;
    let dX: string | undefined;
    let dW: string | undefined;
    if (isLowered(ctx, n)) {
      [dX, dW] = loweredBackward(ctx, n, d, g, needs);
    } else {
      dX = needs[0] ? inputGrad(ctx, n, d, g) : undefined;
      if (needs[1]) {
        const strategy =
          ctx.convWeightGrad === 'auto' ? (numel(g.kernel) >= 25 ? 'conv' : 'im2col') : ctx.convWeightGrad;
        dW =
          strategy === 'conv' && g.group === 1
            ? weightGradConv(ctx, n, d, g)
            : weightGradIm2col(ctx, n, d, g);
      }
    }
    const dB =
      n.inputs[2] && needs[2]
        ? ctx.op('ReduceSum', [d, ctx.ints([0, ...range(2, 2 + g.r)])], { keepdims: attrInt(0) })
        : undefined;
    return [dX, dW, dB];
  },
});
