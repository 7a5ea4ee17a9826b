/**
 * Gather: embedding lookups (a table initializer indexed by token ids) and index picks on
 * activations (a ViT's class token, `x[:, 0]`). Indices are integers and carry no gradient.
 *
 * The table's gradient is a scatter-add of the output gradient rows into zeros (ScatterND with
 * reduction 'add', opset 16+), so repeated ids sum and the cost is one pass over the table plus
 * one over the gathered rows; a one-hot product would cost ids × vocabulary × width.
 * For axis > 0 the gradient is transposed so the gathered axis leads, scattered, and moved back.
 */
import { nth } from '../../core/checked.js';
import { attrInt, attrInts, attrString, getInt, type Node } from '../../onnx/ir.js';
import { i64, tensor, toNumbers } from '../../onnx/tensor.js';
import type { GradContext } from './context.js';
import { firstInput, registerRules } from './rule.js';

/**
 * The indices as int64 with negative ones wrapped (Gather allows them, ScatterND does not):
 * folded when the indices are constant, else idx + (idx < 0)·size at run time.
 */
function nonNegative(ctx: GradContext, idx: string, x: string, axis: number): string {
  const known = ctx.constant(idx);
  if (known) {
    const size = nth(ctx.shape(x), axis);
    const v = toNumbers(known).map((i) => (i < 0 ? i + size : i));
    return ctx.tensor(i64([...known.dims], v), 'gather_ids');
  }
  const ids = ctx.op('Cast', [idx], { to: attrInt(7) });
  const scalar = (v: number) => ctx.tensor(i64([], [v]), 'scalar');
  const size = ctx.op('Gather', [ctx.op('Shape', [x]), scalar(axis)], { axis: attrInt(0) });
  const negative = ctx.op('Cast', [ctx.op('Less', [ids, scalar(0)])], { to: attrInt(7) });
  return ctx.op('Add', [ids, ctx.op('Mul', [negative, size])]);
}

function gatherBackward(ctx: GradContext, n: Node, dY: string): string {
  const [x, idx] = [nth(n.inputs, 0), nth(n.inputs, 1)];
  const rank = ctx.shape(x).length;
  const q = ctx.shape(idx).length;
  let axis = getInt(n, 'axis', 0);
  if (axis < 0) axis += rank;
  const zero = ctx.dtype === 'float64' ? Float64Array.of(0) : Float32Array.of(0);
  const zerosOf = (shape: string) =>
    ctx.op('ConstantOfShape', [shape], { value: { type: 'tensor', value: tensor(ctx.dtype, [1], zero) } });
  const ids = ctx.op('Unsqueeze', [nonNegative(ctx, idx, x, axis), ctx.ints([-1])]);
  const add = { reduction: attrString('add') };
  if (axis === 0) return ctx.op('ScatterND', [zerosOf(ctx.op('Shape', [x])), ids, dY], add);
  // Axis first: X as [d_axis, d_0 .. d_axis−1, d_axis+1 ..]; dY with the index dims first.
  const xPerm = [axis, ...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis)];
  const yRank = rank - 1 + q;
  const yPerm = [
    ...Array.from({ length: q }, (_, i) => axis + i),
    ...Array.from({ length: yRank }, (_, i) => i).filter((i) => i < axis || i >= axis + q),
  ];
  const xtShape = ctx.op('Gather', [ctx.op('Shape', [x]), ctx.ints(xPerm)], { axis: attrInt(0) });
  const dYt = ctx.op('Transpose', [dY], { perm: attrInts(yPerm) });
  const scattered = ctx.op('ScatterND', [zerosOf(xtShape), ids, dYt], add);
  const inverse = new Array<number>(rank);
  xPerm.forEach((p, i) => {
    inverse[p] = i;
  });
  return ctx.op('Transpose', [scattered], { perm: attrInts(inverse) });
}

registerRules({
  name: 'Gather',
  description: 'index along an axis (embeddings); gradient scatter-added back (ScatterND add)',
  reference: '',
  differentiable: firstInput,
  backward: (ctx, n, [dY]) => [gatherBackward(ctx, n, dY!)],
});
