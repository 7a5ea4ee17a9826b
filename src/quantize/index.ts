/** Post-training quantization: int8 per-channel weights and calibrated activations as QDQ ONNX. */
export { type ActivationType, CALIBRATION_METHODS, type CalibrationMethod } from './calibrate.js';
export {
  type AccuracyCost,
  accuracyCost,
  type QuantizeOptions,
  type QuantizeResult,
  quantizeModel,
} from './quantize.js';
export { channelScales, type QuantizedLayer, quantizeWeightsInt8 } from './weights.js';
