/**
 * Piecewise activations of mobile CNNs: HardSigmoid (squeeze-excitation gates) and HardSwish
 * (MobileNetV3). SiLU needs no rule of its own: exporters write it as Sigmoid times x, and the
 * Sigmoid and Mul rules differentiate that. The kinks get PyTorch's one-sided choices, so a
 * fine-tuning step matches PyTorch's.
 */
import { nth } from '../../core/checked.js';
import { getFloat, type Node } from '../../onnx/ir.js';
import { firstInput, registerRules } from './rule.js';

function out(n: Node): string {
  return nth(n.outputs, 0);
}

registerRules(
  {
    name: 'HardSigmoid',
    description: 'max(0, min(1, αx+β)); gradient α strictly inside the linear piece',
    reference: '',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      // Inside the linear piece the output is strictly between 0 and 1 (PyTorch: −3 < x < 3).
      const y = out(n);
      const inside = ctx.op('And', [ctx.op('Greater', [y, ctx.float(0)]), ctx.op('Less', [y, ctx.float(1)])]);
      const alpha = getFloat(n, 'alpha', 0.2);
      return [ctx.op('Where', [inside, ctx.op('Mul', [dY!, ctx.float(alpha)]), ctx.float(0)])];
    },
  },
  {
    name: 'HardSwish',
    description: 'x·max(0, min(1, x/6+1/2)); gradient 0 below −3, x/3+1/2 up to 3, 1 above',
    reference: 'Howard et al. 2019, Searching for MobileNetV3',
    differentiable: firstInput,
    backward: (ctx, n, [dY]) => {
      // PyTorch's hardswish_backward: 0 for x < −3, x/3 + 1/2 for x ≤ 3, 1 above.
      const x = nth(n.inputs, 0);
      const slope = ctx.op('Add', [ctx.op('Mul', [x, ctx.float(1 / 3)]), ctx.float(0.5)]);
      const upper = ctx.op('Where', [ctx.op('Greater', [x, ctx.float(3)]), ctx.float(1), slope]);
      const d = ctx.op('Where', [ctx.op('Less', [x, ctx.float(-3)]), ctx.float(0), upper]);
      return [ctx.op('Mul', [dY!, d])];
    },
  },
);
