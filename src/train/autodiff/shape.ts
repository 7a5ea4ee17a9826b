/**
 * Layout ops: Flatten, Reshape, Transpose, Concat, Squeeze, Unsqueeze, Expand, Slice and float Casts.
 * Their gradients move values back into the input's layout; shapes are read at run time (Shape)
 * so any batch size works.
 */
import { nth } from '../../core/checked.js';
import { PrunefiError } from '../../core/errors.js';
import { attrInt, attrInts, getInt, getInts, type Node } from '../../onnx/ir.js';
import { toNumbers } from '../../onnx/tensor.js';
import type { GradContext } from './context.js';
import { firstInput, registerRules } from './rule.js';

const reshapeBack = (ctx: GradContext, n: Node, dY: string | undefined): (string | undefined)[] => [
  ctx.op('Reshape', [dY!, ctx.op('Shape', [nth(n.inputs, 0)])]),
];

/** ONNX element types a gradient can flow through (float16, float, double, bfloat16). */
const FLOAT_CODES = new Set([1, 10, 11, 16]);

registerRules(
  {
    name: 'Flatten',
    description: 'to 2-D; gradient reshaped back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [ctx.op('Reshape', [dY!, ctx.op('Shape', [nth(n.inputs, 0)])])],
  },
  {
    name: 'Reshape',
    description: 'new shape, same data; gradient reshaped back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [ctx.op('Reshape', [dY!, ctx.op('Shape', [nth(n.inputs, 0)])])],
  },
  {
    name: 'Transpose',
    description: 'axis permutation; gradient permuted by the inverse',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const rank = ctx.shape(nth(n.inputs, 0)).length;
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
      const rank = ctx.shape(nth(n.inputs, 0)).length;
      let axis = getInt(n, 'axis', 0);
      if (axis < 0) axis += rank;
      const at = ctx.ints([axis]);
      const sizes = n.inputs.map((x) => ctx.op('Gather', [ctx.op('Shape', [x]), at], { axis: attrInt(0) }));
      const split = sizes.length === 1 ? nth(sizes, 0) : ctx.op('Concat', sizes, { axis: attrInt(0) });
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
      ctx.reduceTo(dY!, ctx.shape(nth(n.outputs, 0)), ctx.shape(nth(n.inputs, 0)), nth(n.inputs, 0)),
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
  {
    name: 'Slice',
    description: 'a window of unit step (qkv chunks of packed attention); gradient zero-padded back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [ctx.op('Pad', [dY!, slicePads(ctx, n)])],
  },
);

/**
 * Pad's `pads` undoing a unit-step Slice, computed at run time so starts and ends may come from
 * shape arithmetic and any batch size runs: per sliced axis, the clamped start before the window
 * and dim − clamped end after it (ONNX Slice semantics: negative indices count from the end).
 */
function slicePads(ctx: GradContext, n: Node): string {
  const [x, starts, ends, axesIn, steps] = n.inputs as [string, string, string, string?, string?];
  if (steps) {
    const producer = ctx.source.nodes.find((m) => m.opType === 'Constant' && m.outputs[0] === steps);
    const attr = producer?.attributes.value;
    const t = ctx.source.initializers.get(steps) ?? (attr?.type === 'tensor' ? attr.value : undefined);
    if (!t || toNumbers(t).some((v) => v !== 1)) {
      throw new PrunefiError(
        'TRAIN_UNSUPPORTED_OP',
        `node '${n.name || n.outputs[0]}' is a Slice with steps other than constant 1, which training cannot differentiate; re-export it without strided slicing`,
      );
    }
  }
  const rank = ctx.shape(x).length;
  const count = nth(ctx.shape(starts), 0);
  const zero = ctx.ints([0]);
  const r = ctx.ints([rank]);
  const rawAxes = axesIn ?? ctx.ints(Array.from({ length: count }, (_, i) => i));
  const axes = ctx.op('Where', [ctx.op('Less', [rawAxes, zero]), ctx.op('Add', [rawAxes, r]), rawAxes]);
  const dims = ctx.op('Gather', [ctx.op('Shape', [x]), axes], { axis: attrInt(0) });
  const clamp = (v: string) => {
    const fromEnd = ctx.op('Where', [ctx.op('Less', [v, zero]), ctx.op('Add', [v, dims]), v]);
    return ctx.op('Max', [ctx.op('Min', [fromEnd, dims]), zero]);
  };
  const begin = clamp(starts);
  const end = ctx.op('Max', [clamp(ends), begin]);
  const at = ctx.op('Concat', [axes, ctx.op('Add', [axes, r])], { axis: attrInt(0) });
  const amounts = ctx.op('Concat', [begin, ctx.op('Sub', [dims, end])], { axis: attrInt(0) });
  return ctx.op('ScatterElements', [ctx.ints(new Array<number>(2 * rank).fill(0)), at, amounts], {
    axis: attrInt(0),
  });
}
