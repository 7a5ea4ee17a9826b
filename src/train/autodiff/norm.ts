/**
 * BatchNormalization in three modes. `train`: normalizes with the batch mean and biased
 * variance (as PyTorch's train mode), exposes both as graph outputs for the running-stat update,
 * and back-propagates through the statistics. `eval`: the stored running statistics are
 * constants of the step. `identity`: the layer is skipped (SynFlow's convention).
 *
 * The per-channel affine steps run as BatchNormalization inference nodes (one pass over the
 * tensor instead of a Mul and an Add); the backward pass is
 *   dX = k1·dY + k2·(X − mean) + k3,  k1 = γ·σ⁻¹,  k2 = −k1·σ⁻²·Σ(dY·(X − mean))/M,  k3 = −k1·ΣdY/M.
 * Per-channel broadcasting Mul/Sub/Add are avoided on activation-sized tensors: ONNX Runtime's
 * broadcasting elementwise kernels are several times slower than its BatchNormalization kernel.
 */
import { nth } from '../../core/checked.js';
import { attrFloat, attrInt, attrInts, getFloat, type Node } from '../../onnx/ir.js';
import { numel } from '../../onnx/tensor.js';
import type { GradContext } from './context.js';
import { registerRules } from './rule.js';

function reduceAxes(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
}

/** `y = scale·x + bias` per channel in one pass (a BatchNormalization with mean 0, var 1, eps 0). */
function affine(ctx: GradContext, x: string, scale: string, bias: string, c: number): string {
  const zeros = ctx.float(new Array<number>(c).fill(0), [c]);
  const ones = ctx.float(new Array<number>(c).fill(1), [c]);
  return ctx.op('BatchNormalization', [x, scale, bias, zeros, ones], { epsilon: attrFloat(0) });
}

function trainForward(ctx: GradContext, n: Node): void {
  const [x, gamma, beta, rm, rv] = n.inputs as [string, string, string, string, string];
  const xs = ctx.shape(x);
  const c = nth(xs, 1);
  const axes = reduceAxes(xs.length);
  const eps = getFloat(n, 'epsilon', 1e-5);
  const keep = { axes: attrInts(axes), keepdims: attrInt(1) };
  const mean = ctx.op('ReduceMean', [x], keep, 'bn_mean');
  const flatC = ctx.ints([c]);
  const meanOut = ctx.name(`bn_batch_mean/${n.name || n.outputs[0]}`);
  ctx.emit('Reshape', [mean, flatC], {}, [meanOut]);
  // x − mean as a one-pass affine node (a broadcasting Sub is several times slower in ORT).
  const xc = affine(ctx, x, ctx.float(new Array<number>(c).fill(1), [c]), ctx.op('Neg', [meanOut]), c);
  // 1/M with M = elements per channel, from the runtime size so any batch size works.
  const invM = ctx.op('Div', [ctx.float(c), ctx.sizeOf(x)]);
  const variance = ctx.op('Mul', [ctx.op('ReduceSumSquare', [xc], keep), invM], {}, 'bn_var');
  const invStd = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.float(eps)])])]);
  const varOut = ctx.name(`bn_batch_var/${n.name || n.outputs[0]}`);
  ctx.emit('Reshape', [variance, flatC], {}, [varOut]);
  ctx.emit('BatchNormalization', [x, gamma, beta, meanOut, varOut], { epsilon: attrFloat(eps) }, [
    nth(n.outputs, 0),
  ]);
  ctx.bnStats.push({
    node: n.name || nth(n.outputs, 0),
    runningMean: rm,
    runningVar: rv,
    momentum: getFloat(n, 'momentum', 0.9),
    perImage: numel(xs.slice(2)),
    meanOutput: meanOut,
    varOutput: varOut,
  });
  ctx.save(n, { xc, invStd, invM });
}

function evalForward(ctx: GradContext, n: Node): void {
  const [x, , , rm, rv] = n.inputs as [string, string, string, string, string];
  ctx.emit('BatchNormalization', n.inputs.slice(0, 5), { epsilon: attrFloat(getFloat(n, 'epsilon', 1e-5)) }, [
    nth(n.outputs, 0),
  ]);
  const c = nth(ctx.shape(x), 1);
  const bshape = ctx.ints([1, c, ...new Array(ctx.shape(x).length - 2).fill(1)]);
  const eps = getFloat(n, 'epsilon', 1e-5);
  const invStd = ctx.op('Reshape', [
    ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [rv, ctx.float(eps)])])]),
    bshape,
  ]);
  const xc = ctx.op('Sub', [x, ctx.op('Reshape', [rm, bshape])]);
  ctx.save(n, { xc, invStd });
}

registerRules({
  name: 'BatchNormalization',
  description:
    'batch statistics in training (running-stat update exposed), running statistics in eval, or skipped',
  reference: 'Ioffe & Szegedy 2015, Batch Normalization',
  differentiable: (n) => (n.inputs.length >= 3 ? [0, 1, 2] : [0]),
  forward: (ctx, n) => {
    if (ctx.bnMode === 'identity') ctx.emit('Identity', [nth(n.inputs, 0)], {}, [nth(n.outputs, 0)]);
    else if (ctx.bnMode === 'eval') evalForward(ctx, n);
    else trainForward(ctx, n);
  },
  backward: (ctx, n, [dY], needs) => {
    if (ctx.bnMode === 'identity') return [dY];
    const d = dY!;
    const [x, gamma] = n.inputs as [string, string];
    const xs = ctx.shape(x);
    const c = nth(xs, 1);
    const keep = { keepdims: attrInt(1) };
    const axes = ctx.ints(reduceAxes(xs.length));
    const xc = ctx.restore(n, 'xc');
    const invStd = ctx.restore(n, 'invStd');
    const flatC = ctx.ints([c]);
    const bshape = ctx.ints([1, c, ...new Array(xs.length - 2).fill(1)]);
    const dBeta4 = ctx.op('ReduceSum', [d, axes], keep);
    const dotXc = ctx.op('ReduceSum', [ctx.op('Mul', [d, xc]), axes], keep);
    const k1 = ctx.op('Mul', [ctx.op('Reshape', [gamma, bshape]), invStd]);
    let dX: string | undefined;
    if (needs[0]) {
      if (ctx.bnMode === 'eval') {
        dX = affine(ctx, d, ctx.op('Reshape', [k1, flatC]), ctx.float(new Array<number>(c).fill(0), [c]), c);
      } else {
        const invM = ctx.restore(n, 'invM');
        const k2 = ctx.op('Neg', [
          ctx.op('Mul', [ctx.op('Mul', [k1, ctx.op('Mul', [invStd, invStd])]), ctx.op('Mul', [dotXc, invM])]),
        ]);
        const k3 = ctx.op('Neg', [ctx.op('Mul', [k1, ctx.op('Mul', [dBeta4, invM])])]);
        const scaled = affine(ctx, d, ctx.op('Reshape', [k1, flatC]), ctx.op('Reshape', [k3, flatC]), c);
        const zeros = ctx.float(new Array<number>(c).fill(0), [c]);
        dX = ctx.op('Add', [scaled, affine(ctx, xc, ctx.op('Reshape', [k2, flatC]), zeros, c)]);
      }
    }
    const dGamma = needs[1] ? ctx.op('Reshape', [ctx.op('Mul', [dotXc, invStd]), flatC]) : undefined;
    const dBeta = needs[2] ? ctx.op('Reshape', [dBeta4, flatC]) : undefined;
    return [dX, dGamma, dBeta];
  },
});
