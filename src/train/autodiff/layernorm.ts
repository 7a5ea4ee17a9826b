/**
 * LayerNormalization (opset 17, the fused op BERT-style exports write): normalizes over the axes
 * from `axis` to the last. The forward pass keeps the fused node and asks it for its optional
 * Mean and InvStdDev outputs, so backward needs no second pass over the statistics:
 *   x̂ = (x − μ)·σ⁻¹,  g = dY·γ,  dX = σ⁻¹·(g − mean(g) − x̂·mean(g·x̂)),
 *   dγ = Σ dY·x̂ and dβ = Σ dY over the leading (not normalized) axes.
 * The decomposed form older opsets write (ReduceMean, Sub, Pow, Sqrt, Div) is differentiated
 * op by op by the elementwise and reduction rules.
 */
import { nth } from '../../core/checked.js';
import { attrInt, attrInts, getInt, type Node } from '../../onnx/ir.js';
import type { GradContext } from './context.js';
import { registerRules } from './rule.js';

function normalizedAxes(ctx: GradContext, n: Node): number[] {
  const rank = ctx.shape(nth(n.inputs, 0)).length;
  let axis = getInt(n, 'axis', -1);
  if (axis < 0) axis += rank;
  return Array.from({ length: rank - axis }, (_, i) => axis + i);
}

registerRules({
  name: 'LayerNormalization',
  description: 'normalization over the trailing axes with scale and bias (fused, opset 17)',
  reference: 'Ba, Kiros, Hinton 2016, Layer Normalization',
  differentiable: (n) => (n.inputs[2] ? [0, 1, 2] : [0, 1]),
  forward: (ctx, n) => {
    const base = n.name || nth(n.outputs, 0);
    const mean = n.outputs[1] || ctx.name(`ln_mean/${base}`);
    const invStd = n.outputs[2] || ctx.name(`ln_inv_std/${base}`);
    ctx.emit(n.opType, [...n.inputs], { ...n.attributes }, [nth(n.outputs, 0), mean, invStd], base);
    // The statistics come out in the stash type (float32 by default) whatever X's type is.
    const toX = (v: string) => (ctx.dtype === 'float64' ? ctx.op('Cast', [v], { to: attrInt(11) }) : v);
    ctx.save(n, { mean: toX(mean), invStd: toX(invStd) });
  },
  backward: (ctx, n, [dY], needs) => {
    const [x, scale, bias] = [nth(n.inputs, 0), nth(n.inputs, 1), n.inputs[2]];
    const xs = ctx.shape(x);
    const axes = normalizedAxes(ctx, n);
    const keep = { axes: attrInts(axes), keepdims: attrInt(1) };
    const invStd = ctx.restore(n, 'invStd');
    const xhat = ctx.op('Mul', [ctx.op('Sub', [x, ctx.restore(n, 'mean')]), invStd]);
    const d = dY!;
    let dX: string | undefined;
    if (needs[0]) {
      const g = ctx.op('Mul', [d, scale]);
      const m1 = ctx.op('ReduceMean', [g], keep);
      const m2 = ctx.op('ReduceMean', [ctx.op('Mul', [g, xhat])], keep);
      dX = ctx.op('Mul', [ctx.op('Sub', [ctx.op('Sub', [g, m1]), ctx.op('Mul', [xhat, m2])]), invStd]);
    }
    const dScale = needs[1] ? ctx.reduceTo(ctx.op('Mul', [d, xhat]), xs, ctx.shape(scale), scale) : undefined;
    const dBias = bias && needs[2] ? ctx.reduceTo(d, xs, ctx.shape(bias), bias) : undefined;
    return [dX, dScale, dBias];
  },
});
