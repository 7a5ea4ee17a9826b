/**
 * Softmax and LogSoftmax along one axis (opset ≥ 13 semantics), with gradients written in
 * terms of the forward output.
 */
import { nth } from '../../core/checked.js';
import { attrInt, getInt, type Node } from '../../onnx/ir.js';
import type { GradContext } from './context.js';
import { firstInput, registerRules } from './rule.js';

function axisOf(ctx: GradContext, n: Node): string {
  return ctx.ints([getInt(n, 'axis', -1)]);
}

registerRules(
  {
    name: 'Softmax',
    description: 'normalized exponentials; dX = y·(dY − Σ dY·y)',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const y = nth(n.outputs, 0);
      const dot = ctx.op('ReduceSum', [ctx.op('Mul', [dY!, y]), axisOf(ctx, n)], { keepdims: attrInt(1) });
      return [ctx.op('Mul', [y, ctx.op('Sub', [dY!, dot])])];
    },
  },
  {
    name: 'LogSoftmax',
    description: 'log of softmax; dX = dY − exp(y)·Σ dY',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const y = nth(n.outputs, 0);
      const total = ctx.op('ReduceSum', [dY!, axisOf(ctx, n)], { keepdims: attrInt(1) });
      return [ctx.op('Sub', [dY!, ctx.op('Mul', [ctx.op('Exp', [y]), total])])];
    },
  },
);
