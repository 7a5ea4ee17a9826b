/**
 * The model's data interface: which graph input takes images and which output gives logits,
 * and a check that a model fits a dataset before anything runs (a mismatch found inside the
 * runtime gives a much worse message).
 */
import { PrunefiError } from '../core/errors.js';
import type { Model, ValueInfo } from './ir.js';

/** The graph input fed with images: the first input that is not an initializer. */
export function imageInput(model: Model): ValueInfo {
  const v = model.graph.inputs.find((i) => !model.graph.initializers.has(i.name));
  if (!v) throw new PrunefiError('ONNX_INVALID', 'the model has no graph input to feed images to');
  return v;
}

/** The graph output read as class logits: the first output. */
export function logitsOutput(model: Model): ValueInfo {
  const v = model.graph.outputs[0];
  if (!v) throw new PrunefiError('ONNX_INVALID', 'the model has no graph output');
  return v;
}

/**
 * Checks that a model takes images of `shape` ([C, H, W]); whether its outputs fit the data's
 * classes is `labelNames`' check (./classes.ts). `modelName` and `dataName` appear in the
 * message, which says what to use instead.
 */
export function checkModelFitsData(
  model: Model,
  shape: readonly number[],
  modelName: string,
  dataName: string,
): void {
  const input = imageInput(model);
  const dims = input.shape;
  if (input.elemType !== 'float32') {
    throw new PrunefiError(
      'SHAPE_MISMATCH',
      `model ${modelName} takes ${input.elemType} input '${input.name}', but prunefi feeds normalized float32 images`,
    );
  }
  if (dims) {
    const fixed = dims.slice(1);
    const fits =
      dims.length === shape.length + 1 && fixed.every((d, i) => typeof d !== 'number' || d === shape[i]);
    if (!fits) {
      const want = dims.map((d) => (typeof d === 'number' ? String(d) : (d ?? '?'))).join('×');
      throw new PrunefiError(
        'SHAPE_MISMATCH',
        `model ${modelName} expects input '${input.name}' of shape ${want}, but ${dataName} has images of shape ${shape.join('×')}; use a model built for this dataset (for example zoo:lenet5 for 1×28×28 digits, zoo:resnet18-cifar for 3×32×32 images)`,
      );
    }
  }
}
