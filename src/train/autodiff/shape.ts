/**
 * Layout ops: Flatten, Reshape, Transpose, Concat, Squeeze, Unsqueeze, Expand and float Casts.
 * Their gradients move values back into the input's layout; shapes are read at run time (Shape)
 * so any batch size works.
 */
import { attrInt, attrInts, getInt, getInts, type Node } from '../../onnx/ir.js';
import type { GradContext } from './context.js';
import { firstInput, registerRules } from './rule.js';

const reshapeBack = (ctx: GradContext, n: Node, dY: string | undefined): (string | undefined)[] => [
  ctx.op('Reshape', [dY!, ctx.op('Shape', [n.inputs[0]!])]),
];

/** ONNX element types a gradient can flow through (float16, float, double, bfloat16). */
const FLOAT_CODES = new Set([1, 10, 11, 16]);

registerRules(
  {
    name: 'Flatten',
    description: 'to 2-D; gradient reshaped back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [ctx.op('Reshape', [dY!, ctx.op('Shape', [n.inputs[0]!])])],
  },
  {
    name: 'Reshape',
    description: 'new shape, same data; gradient reshaped back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [ctx.op('Reshape', [dY!, ctx.op('Shape', [n.inputs[0]!])])],
  },
  {
    name: 'Transpose',
    description: 'axis permutation; gradient permuted by the inverse',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const rank = ctx.shape(n.inputs[0]!).length;
      const perm = getInts(
        n,
        'perm',
        Array.from({ length: rank }, (_, i) => rank - 1 - i),
      );
      const inv = new Array<number>(rank);
      perm.forEach((p, i) => {
        inv[p] = i;
      });
      return [ctx.op('Transpose', [dY!], { perm: attrInts(inv) })];
    },
  },
  {
    name: 'Concat',
    description: 'join along an axis; gradient split back into the pieces',
    reference: '',
    differentiable: (n) => n.inputs.map((_, i) => i),
    backward: (ctx, n, [dY], needs) => {
      const rank = ctx.shape(n.inputs[0]!).length;
      let axis = getInt(n, 'axis', 0);
      if (axis < 0) axis += rank;
      const at = ctx.ints([axis]);
      const sizes = n.inputs.map((x) => ctx.op('Gather', [ctx.op('Shape', [x]), at], { axis: attrInt(0) }));
      const split = sizes.length === 1 ? sizes[0]! : ctx.op('Concat', sizes, { axis: attrInt(0) });
      const parts = ctx.emit('Split', [dY!, split], { axis: attrInt(axis) }, n.inputs.length, 'concat_grad');
      return parts.map((p, i) => (needs[i] ? p : undefined));
    },
  },
  {
    name: 'Squeeze',
    description: 'drop size-1 axes; gradient reshaped back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => reshapeBack(ctx, n, dY),
  },
  {
    name: 'Unsqueeze',
    description: 'insert size-1 axes; gradient reshaped back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => reshapeBack(ctx, n, dY),
  },
  {
    name: 'Expand',
    description: 'broadcast to a shape (a class token over the batch); gradient summed back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [
      ctx.reduceTo(dY!, ctx.shape(n.outputs[0]!), ctx.shape(n.inputs[0]!), n.inputs[0]!),
    ],
  },
  {
    name: 'Cast',
    description: 'element type change; a gradient flows between float types only',
    reference: '',
    // A cast to an integer or boolean type is piecewise constant: no gradient.
    differentiable: (n) => (FLOAT_CODES.has(getInt(n, 'to', 1)) ? [0] : []),
    backward: (ctx, _n, [dY]) => [ctx.op('Cast', [dY!], { to: attrInt(ctx.dtype === 'float64' ? 11 : 1) })],
  },
);
