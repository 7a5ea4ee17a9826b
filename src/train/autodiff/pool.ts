/**
 * Pooling. MaxPool routes each output gradient to the input element its window picked, using
 * the Indices output and a ScatterElements with add-reduction, so overlapping windows that
 * picked the same element accumulate. AveragePool spreads gradients with a depthwise
 * ConvTranspose of ones after dividing by each window's element count (computed at build time
 * for both count_include_pad settings and ceil mode).
 */
import { nth } from '../../core/checked.js';
import { PrunefiError } from '../../core/errors.js';
import { attrInt, attrTensor, getInt, getInts } from '../../onnx/ir.js';
import { windowGeometry } from '../../onnx/shape/index.js';
import { numel, tensor } from '../../onnx/tensor.js';
import type { GradContext } from './context.js';
import { transposedWindow } from './conv.js';
import { firstInput, registerRules } from './rule.js';

function zerosLike(ctx: GradContext, flatSize: string): string {
  const zero = ctx.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1);
  return ctx.op('ConstantOfShape', [flatSize], { value: attrTensor(tensor(ctx.dtype, [1], zero)) });
}

/** Divisor of each window along one axis (the count of taps inside the counted range). */
function axisCounts(
  input: number,
  out: number,
  k: number,
  s: number,
  padBegin: number,
  padEnd: number,
  includePad: boolean,
): number[] {
  const lo = includePad ? -padBegin : 0;
  const hi = includePad ? input + padEnd : input;
  return Array.from({ length: out }, (_, o) => {
    const start = o * s - padBegin;
    return Math.max(0, Math.min(start + k, hi) - Math.max(start, lo));
  });
}

registerRules(
  {
    name: 'MaxPool',
    description: 'max over windows (overlapping too); gradient scattered to the argmax with add-reduction',
    reference: '',
    differentiable: firstInput,
    forward: (ctx, n) => {
      if (getInt(n, 'storage_order', 0) !== 0) {
        throw new PrunefiError(
          'TRAIN_UNSUPPORTED_OP',
          `MaxPool node '${n.name}' uses storage_order=1 (column-major indices), which training does not support`,
        );
      }
      const indices = n.outputs[1] || ctx.name(`${n.outputs[0]}_argmax`);
      ctx.emit('MaxPool', [nth(n.inputs, 0)], n.attributes, [nth(n.outputs, 0), indices], n.name);
      ctx.save(n, { indices });
    },
    backward: (ctx, n, [dY]) => {
      const x = nth(n.inputs, 0);
      const flat = ctx.ints([-1]);
      const size = ctx.op('Reshape', [ctx.op('Size', [x]), ctx.ints([1])]);
      const scattered = ctx.op(
        'ScatterElements',
        [
          zerosLike(ctx, size),
          ctx.op('Reshape', [ctx.restore(n, 'indices'), flat]),
          ctx.op('Reshape', [dY!, flat]),
        ],
        { axis: attrInt(0), reduction: { type: 'string', value: 'add' } },
      );
      return [ctx.op('Reshape', [scattered, ctx.op('Shape', [x])])];
    },
  },
  {
    name: 'AveragePool',
    description: 'mean over windows; gradient spread back by a depthwise ConvTranspose of ones',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const x = ctx.shape(nth(n.inputs, 0));
      const y = ctx.shape(nth(n.outputs, 0));
      const kernel = getInts(n, 'kernel_shape', []);
      if (getInts(n, 'dilations', []).some((d) => d !== 1)) {
        throw new PrunefiError(
          'TRAIN_UNSUPPORTED_OP',
          `AveragePool node '${n.name}' uses dilations, which training does not support`,
        );
      }
      const g = windowGeometry(n, x, kernel);
      const r = kernel.length;
      const include = getInt(n, 'count_include_pad', 0) === 1;
      const perAxis = kernel.map((k, i) =>
        axisCounts(
          nth(x, 2 + i),
          nth(y, 2 + i),
          k,
          nth(g.strides, i),
          nth(g.pads, i),
          nth(g.pads, i + r),
          include,
        ),
      );
      const spatial = y.slice(2);
      const inv = new Array<number>(numel(spatial)).fill(1);
      for (let idx = 0; idx < inv.length; idx++) {
        let rem = idx;
        let count = 1;
        for (let i = r - 1; i >= 0; i--) {
          count *= perAxis[i]![rem % spatial[i]!]!;
          rem = Math.floor(rem / spatial[i]!);
        }
        inv[idx] = count > 0 ? 1 / count : 0;
      }
      const c = nth(x, 1);
      const scaled = ctx.op('Mul', [dY!, ctx.float(inv, [1, 1, ...spatial])]);
      const ones = ctx.float(new Array<number>(c * numel(kernel)).fill(1), [c, 1, ...kernel]);
      return [transposedWindow(ctx, scaled, ones, x, y, kernel, g.strides, g.pads, new Array(r).fill(1), c)];
    },
  },
  {
    name: 'GlobalAveragePool',
    description: 'mean over all spatial positions; gradient broadcast back divided by their count',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      const x = nth(n.inputs, 0);
      const area = numel(ctx.shape(x).slice(2));
      return [ctx.op('Expand', [ctx.op('Mul', [dY!, ctx.float(1 / area)]), ctx.op('Shape', [x])])];
    },
  },
);
