/**
 * Elementwise math that transformer exports write out (decomposed LayerNorm, erf GELU,
 * attention scaling): Div, Pow, Sqrt, Erf, Exp, Neg, Reciprocal. Gradients read the forward
 * output where the derivative is a function of it (Sqrt, Exp, Reciprocal, Div's divisor).
 */
import { nth } from '../../core/checked.js';
import type { Node } from '../../onnx/ir.js';
import type { GradContext } from './context.js';
import { firstInput, type InputGrads, registerRules } from './rule.js';

function out(n: Node): string {
  return nth(n.outputs, 0);
}

/** Sums each operand's gradient back over the axes it was broadcast along. */
function reduced(ctx: GradContext, n: Node, grads: (string | undefined)[]): InputGrads {
  const y = ctx.shape(out(n));
  return grads.map((g, i) =>
    g ? ctx.reduceTo(g, y, ctx.shape(nth(n.inputs, i)), nth(n.inputs, i)) : undefined,
  );
}

/** dY·p·A^(p−1) for a known scalar exponent p, with the common p = 2, 1, 0.5 kept cheap. */
function powerGrad(ctx: GradContext, dY: string, a: string, y: string, p: number): string {
  if (p === 1) return dY;
  if (p === 2) return ctx.op('Mul', [dY, ctx.op('Mul', [a, ctx.float(2)])]);
  // A^(p−1) = Y/A would divide by zero at A = 0; Pow is exact there.
  if (p === 0.5) return ctx.op('Div', [ctx.op('Mul', [dY, ctx.float(0.5)]), y]);
  return ctx.op('Mul', [dY, ctx.op('Mul', [ctx.op('Pow', [a, ctx.float(p - 1)]), ctx.float(p)])]);
}

registerRules(
  {
    name: 'Div',
    description: 'quotient A/B; dA = dY/B, dB = −dY·Y/B, summed over broadcast axes',
    reference: '',
    differentiable: () => [0, 1],
    backward: (ctx, n, [dY], needs) => {
      const q = ctx.op('Div', [dY!, nth(n.inputs, 1)]);
      return reduced(ctx, n, [
        needs[0] ? q : undefined,
        needs[1] ? ctx.op('Neg', [ctx.op('Mul', [q, out(n)])]) : undefined,
      ]);
    },
  },
  {
    name: 'Pow',
    description: 'power A^B; gradient B·A^(B−1) into the base (the exponent is treated as a constant)',
    reference: '',
    // Exporters write a constant exponent (x.pow(2) of a decomposed LayerNorm); a learned
    // exponent would need ln(A), undefined for the negative bases these graphs square.
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const [a, b] = [nth(n.inputs, 0), nth(n.inputs, 1)];
      const p = ctx.constantNumbers(b);
      let g: string;
      if (p && p.length === 1) g = powerGrad(ctx, dY!, a, out(n), nth(p, 0));
      else {
        const e = ctx.op('Cast', [b], { to: { type: 'int', value: ctx.dtype === 'float64' ? 11 : 1 } });
        const d = ctx.op('Mul', [ctx.op('Pow', [a, ctx.op('Sub', [e, ctx.float(1)])]), e]);
        g = ctx.op('Mul', [dY!, d]);
      }
      return reduced(ctx, n, [g]);
    },
  },
  {
    name: 'Sqrt',
    description: 'square root; gradient 1/(2y)',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [ctx.op('Div', [ctx.op('Mul', [dY!, ctx.float(0.5)]), out(n)])],
  },
  {
    name: 'Erf',
    description: 'error function (exact GELU); gradient (2/√π)·exp(−x²)',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const x = nth(n.inputs, 0);
      const bell = ctx.op('Exp', [ctx.op('Neg', [ctx.op('Mul', [x, x])])]);
      return [ctx.op('Mul', [dY!, ctx.op('Mul', [bell, ctx.float(2 / Math.sqrt(Math.PI))])])];
    },
  },
  {
    name: 'Exp',
    description: 'exponential; gradient y',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [ctx.op('Mul', [dY!, out(n)])],
  },
  {
    name: 'Neg',
    description: 'negation; gradient −dY',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, _n, [dY]) => [ctx.op('Neg', [dY!])],
  },
  {
    name: 'Reciprocal',
    description: '1/x; gradient −y²',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const y = out(n);
      return [ctx.op('Neg', [ctx.op('Mul', [dY!, ctx.op('Mul', [y, y])])])];
    },
  },
);
