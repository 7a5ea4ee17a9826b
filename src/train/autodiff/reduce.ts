/**
 * Reductions: ReduceMean and ReduceSum, with constant axes given as an attribute (ReduceMean
 * before opset 18) or as an input (ReduceSum from 13, ReduceMean from 18). The gradient is the
 * output gradient broadcast back over the reduced axes (divided by the count for the mean),
 * with sizes read at run time so any batch or sequence length works.
 */
import { nth } from '../../core/checked.js';
import { PrunefiError } from '../../core/errors.js';
import { attrInts, getInt, getInts, type Node } from '../../onnx/ir.js';
import type { GradContext } from './context.js';
import { firstInput, registerRules } from './rule.js';

/** The reduced axes, normalized and sorted, or undefined when the node reduces nothing. */
function reducedAxes(ctx: GradContext, n: Node, rank: number): number[] | undefined {
  const input = n.inputs[1];
  let axes: number[];
  if (input) {
    const c = ctx.constantNumbers(input);
    if (!c) {
      throw new PrunefiError(
        'TRAIN_UNSUPPORTED_OP',
        `${n.opType} node '${n.name}' reduces over computed axes '${input}'; training needs constant axes (an initializer or Constant); fold the axes into a constant when exporting`,
      );
    }
    axes = c;
  } else axes = getInts(n, 'axes', []);
  if (axes.length === 0) {
    if (getInt(n, 'noop_with_empty_axes', 0) === 1) return undefined;
    return Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

function reduceBackward(ctx: GradContext, n: Node, dY: string, mean: boolean): string {
  const x = nth(n.inputs, 0);
  const rank = ctx.shape(x).length;
  const axes = reducedAxes(ctx, n, rank);
  if (!axes) return dY;
  let g = dY;
  // Scale the small tensor before broadcasting it: count = |X| / |Y| at run time.
  if (mean) g = ctx.op('Mul', [g, ctx.op('Div', [ctx.sizeOf(nth(n.outputs, 0)), ctx.sizeOf(x)])]);
  if (getInt(n, 'keepdims', 1) === 0) g = ctx.op('Unsqueeze', [g, ctx.ints(axes)]);
  return ctx.op('Expand', [g, ctx.op('Shape', [x])]);
}

registerRules(
  {
    name: 'ReduceMean',
    description: 'mean over axes (attribute or opset-18 input); gradient spread evenly back',
    reference: '',
    differentiable: firstInput,
    // The training graph is opset 17, where ReduceMean takes its axes as an attribute.
    forward: (ctx, n) => {
      if (!n.inputs[1]) {
        ctx.nodes.push({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] });
        return;
      }
      const axes = reducedAxes(ctx, n, ctx.shape(nth(n.inputs, 0)).length);
      const { noop_with_empty_axes: _, ...attributes } = n.attributes;
      if (!axes) ctx.emit('Identity', [nth(n.inputs, 0)], {}, [nth(n.outputs, 0)]);
      else
        ctx.emit('ReduceMean', [nth(n.inputs, 0)], { ...attributes, axes: attrInts(axes) }, [
          nth(n.outputs, 0),
        ]);
    },
    backward: (ctx, n, [dY]) => [reduceBackward(ctx, n, dY!, true)],
  },
  {
    name: 'ReduceSum',
    description: 'sum over axes (input from opset 13); gradient broadcast back',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => [reduceBackward(ctx, n, dY!, false)],
  },
);
