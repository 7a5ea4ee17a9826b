/**
 * Layout ops: Flatten, Reshape, Transpose and Concat. Their gradients move values back into the
 * input's layout; shapes are read at run time (Shape) so any batch size works.
 */
import { attrInt, attrInts, getInt, getInts } from '../../onnx/ir.js';
import { firstInput, registerRules } from './rule.js';

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
);
