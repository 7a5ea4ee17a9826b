/**
 * Scalar objectives at the end of the training graph: cross-entropy on logits (with optional
 * label smoothing, as PyTorch's `F.cross_entropy(..., label_smoothing=ε)`), the plain sum of the
 * output (SynFlow's R), or a caller-fed output gradient (a vector-Jacobian product: the
 * objective is Σ seed ⊙ output).
 */
import { nth } from '../../core/checked.js';
import { PrunefiError } from '../../core/errors.js';
import { attrInt } from '../../onnx/ir.js';
import { tensor } from '../../onnx/tensor.js';
import type { GradContext } from './context.js';

/** What the training graph minimizes. */
export type Objective =
  | { kind: 'cross-entropy'; labelSmoothing?: number }
  | { kind: 'sum' }
  | { kind: 'seed' };

/** The objective's emitted values. */
export interface EmittedObjective {
  /** Scalar loss value. */
  loss: string;
  /** Gradient of the loss w.r.t. the prediction. */
  dPred: string;
  /** Graph inputs the objective adds (labels or seed), with their element types and shapes. */
  inputs: { name: string; elemType: 'int64' | 'float32' | 'float64'; shape: (number | string)[] }[];
}

/** Emits the objective on `pred` and returns the loss and the seed gradient. */
export function emitObjective(ctx: GradContext, pred: string, objective: Objective): EmittedObjective {
  const shape = ctx.shape(pred);
  if (objective.kind === 'sum') {
    const one = ctx.dtype === 'float64' ? Float64Array.of(1) : Float32Array.of(1);
    const ones = ctx.op('ConstantOfShape', [ctx.op('Shape', [pred])], {
      value: { type: 'tensor', value: tensor(ctx.dtype, [1], one) },
    });
    return { loss: ctx.op('ReduceSum', [pred], { keepdims: attrInt(0) }, 'loss'), dPred: ones, inputs: [] };
  }
  if (objective.kind === 'seed') {
    const seed = ctx.name('seed');
    const loss = ctx.op('ReduceSum', [ctx.op('Mul', [pred, seed])], { keepdims: attrInt(0) }, 'loss');
    return {
      loss,
      dPred: seed,
      inputs: [{ name: seed, elemType: ctx.dtype, shape: ['N', ...shape.slice(1)] }],
    };
  }
  if (shape.length !== 2) {
    throw new PrunefiError(
      'TRAIN',
      `cross-entropy needs logits of shape [N, classes], but output '${pred}' has shape [${shape.join(', ')}]; training a per-token output (a tagger, a language model) is not supported yet`,
    );
  }
  const eps = objective.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new RangeError(`labelSmoothing must be in [0, 1), got ${eps}`);
  const k = nth(shape, 1);
  const labels = ctx.name('labels');
  // The smoothed target q = (1-ε)·onehot + ε/K straight from OneHot's (off, on) values.
  let q: string;
  if (ctx.dtype === 'float32') {
    q = ctx.op('OneHot', [labels, ctx.ints([k]), ctx.float([eps / k, 1 - eps + eps / k])], {
      axis: attrInt(-1),
    });
  } else {
    // ORT has no float64 OneHot: a float32 0/1 one-hot, cast, then scaled in float64.
    const values = ctx.tensor(tensor('float32', [2], Float32Array.of(0, 1)), 'onehot_values');
    const onehot = ctx.op(
      'Cast',
      [ctx.op('OneHot', [labels, ctx.ints([k]), values], { axis: attrInt(-1) })],
      {
        to: attrInt(11),
      },
    );
    q = ctx.op('Add', [ctx.op('Mul', [onehot, ctx.float(1 - eps)]), ctx.float(eps / k)]);
  }
  const logp = ctx.op('LogSoftmax', [pred], { axis: attrInt(1) });
  const perImage = ctx.op('Neg', [
    ctx.op('ReduceSum', [ctx.op('Mul', [q, logp]), ctx.ints([1])], { keepdims: attrInt(0) }),
  ]);
  const loss = ctx.op('ReduceMean', [perImage], { keepdims: attrInt(0) }, 'loss');
  const batch = ctx.op('Gather', [ctx.op('Shape', [pred]), ctx.ints([0])], { axis: attrInt(0) });
  const invN = ctx.op('Reciprocal', [
    ctx.op('Cast', [batch], { to: attrInt(ctx.dtype === 'float64' ? 11 : 1) }),
  ]);
  const dPred = ctx.op('Mul', [ctx.op('Sub', [ctx.op('Exp', [logp]), q]), invN]);
  return { loss, dPred, inputs: [{ name: labels, elemType: 'int64', shape: ['N'] }] };
}
