/**
 * Elementwise ops: broadcasting arithmetic (Add, Sub, Mul), activations (Relu, LeakyRelu, Clip,
 * Sigmoid, Tanh), Where, Identity and Dropout. Activation gradients read the forward output where the
 * derivative is a function of it (Relu, Sigmoid, Tanh), so the input need not stay alive.
 */
import { nth } from '../../core/checked.js';
import { getFloat, type Node } from '../../onnx/ir.js';
import type { GradContext } from './context.js';
import { firstInput, type InputGrads, registerRules } from './rule.js';

const both = (): number[] => [0, 1];

function out(n: Node): string {
  return nth(n.outputs, 0);
}

function broadcastGrads(
  ctx: GradContext,
  n: Node,
  dA: string | undefined,
  dB: string | undefined,
  needs: boolean[],
): InputGrads {
  const y = ctx.shape(out(n));
  const [a, b] = [nth(n.inputs, 0), nth(n.inputs, 1)];
  return [
    needs[0] && dA ? ctx.reduceTo(dA, y, ctx.shape(a), a) : undefined,
    needs[1] && dB ? ctx.reduceTo(dB, y, ctx.shape(b), b) : undefined,
  ];
}

/** Gradient through a 0/1 condition: dY where `cond` holds, 0 elsewhere. */
function gate(ctx: GradContext, cond: string, dY: string): string {
  return ctx.op('Where', [cond, dY, ctx.float(0)]);
}

registerRules(
  {
    name: 'Add',
    description: 'sum; gradients summed over broadcast axes',
    reference: '',
    differentiable: both,
    backward: (ctx, n, [dY], needs) => broadcastGrads(ctx, n, dY, dY, needs),
  },
  {
    name: 'Sub',
    description: 'difference; gradients summed over broadcast axes',
    reference: '',
    differentiable: both,
    backward: (ctx, n, [dY], needs) =>
      broadcastGrads(ctx, n, dY, needs[1] ? ctx.op('Neg', [dY!]) : undefined, needs),
  },
  {
    name: 'Mul',
    description: 'product; gradients summed over broadcast axes',
    reference: '',
    differentiable: both,
    backward: (ctx, n, [dY], needs) =>
      broadcastGrads(
        ctx,
        n,
        needs[0] ? ctx.op('Mul', [dY!, nth(n.inputs, 1)]) : undefined,
        needs[1] ? ctx.op('Mul', [dY!, nth(n.inputs, 0)]) : undefined,
        needs,
      ),
  },
  {
    name: 'Relu',
    description: 'max(x, 0); gradient passes where the output is positive',
    reference: '',
    differentiable: firstInput,
    // Where the output is 0 the gradient is 0, and the output itself is that 0: selecting
    // from it avoids a broadcast scalar (a slower kernel path).
    backward: (ctx, n, [dY]) => [ctx.op('Where', [ctx.op('Greater', [out(n), ctx.float(0)]), dY!, out(n)])],
  },
  {
    name: 'LeakyRelu',
    description: 'x or alpha*x; gradient 1 or alpha by the sign of the input',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const alpha = getFloat(n, 'alpha', 0.01);
      const pos = ctx.op('Greater', [nth(n.inputs, 0), ctx.float(0)]);
      return [ctx.op('Where', [pos, dY!, ctx.op('Mul', [dY!, ctx.float(alpha)])])];
    },
  },
  {
    name: 'Clip',
    description: 'clamp to [min, max]; gradient passes strictly inside the range (as PyTorch hardtanh)',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const x = nth(n.inputs, 0);
      const bound = (slot: number, attr: string): string | undefined => {
        const v = n.inputs[slot];
        if (v) return v;
        return n.attributes[attr] ? ctx.float(getFloat(n, attr, 0)) : undefined;
      };
      const lo = bound(1, 'min');
      const hi = bound(2, 'max');
      const conds = [lo && ctx.op('Greater', [x, lo]), hi && ctx.op('Less', [x, hi])].filter(
        (c): c is string => !!c,
      );
      if (conds.length === 0) return [dY];
      const cond = conds.length === 2 ? ctx.op('And', conds) : nth(conds, 0);
      return [gate(ctx, cond, dY!)];
    },
  },
  {
    name: 'Sigmoid',
    description: 'logistic; gradient y(1-y)',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const y = out(n);
      const dYy = ctx.op('Mul', [dY!, y]);
      return [ctx.op('Sub', [dYy, ctx.op('Mul', [dYy, y])])];
    },
  },
  {
    name: 'Tanh',
    description: 'hyperbolic tangent; gradient 1-y²',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const y = out(n);
      return [ctx.op('Mul', [dY!, ctx.op('Sub', [ctx.float(1), ctx.op('Mul', [y, y])])])];
    },
  },
  {
    name: 'Where',
    description: 'select by a condition (masks); each branch gets the gradient where it was chosen',
    reference: '',
    differentiable: () => [1, 2],
    backward: (ctx, n, [dY], needs) => {
      const [c, a, b] = [nth(n.inputs, 0), nth(n.inputs, 1), nth(n.inputs, 2)];
      const y = ctx.shape(out(n));
      const zero = ctx.float(0);
      return [
        undefined,
        needs[1] ? ctx.reduceTo(ctx.op('Where', [c, dY!, zero]), y, ctx.shape(a), a) : undefined,
        needs[2] ? ctx.reduceTo(ctx.op('Where', [c, zero, dY!]), y, ctx.shape(b), b) : undefined,
      ];
    },
  },
  {
    name: 'Identity',
    description: 'copy; gradient passes unchanged',
    reference: '',
    differentiable: firstInput,
    backward: (_ctx, _n, [dY]) => [dY],
  },
  {
    name: 'Dropout',
    description:
      'in training, multiplies by a fed keep-mask scaled by 1/(1-ratio) (replayable); identity in eval',
    reference: 'Srivastava et al. 2014, Dropout',
    differentiable: firstInput,
    forward: (ctx, n) => {
      const x = nth(n.inputs, 0);
      const ratio = dropoutRatio(ctx, n);
      if (!ctx.dropout || ratio === 0) {
        ctx.emit('Identity', [x], {}, [out(n)]);
        return;
      }
      const mask = ctx.name(`dropout_mask/${n.name || out(n)}`);
      ctx.extraInputs.push({ name: mask, elemType: ctx.dtype, shape: ['N', ...ctx.shape(x).slice(1)] });
      ctx.dropoutMasks.push({ node: n.name || out(n), input: mask, ratio, shape: ctx.shape(x) });
      ctx.emit('Mul', [x, mask], {}, [out(n)]);
      ctx.save(n, { mask });
    },
    backward: (ctx, n, [dY]) => [ctx.hasSaved(n, 'mask') ? ctx.op('Mul', [dY!, ctx.restore(n, 'mask')]) : dY],
  },
);

/** Dropout's ratio: the `ratio` attribute (opset < 12) or a constant second input. */
function dropoutRatio(ctx: GradContext, n: Node): number {
  const r = n.inputs[1];
  if (r) {
    const t = ctx.source.initializers.get(r);
    if (t) return Number(t.data[0]);
    return 0.5;
  }
  return getFloat(n, 'ratio', 0.5);
}
