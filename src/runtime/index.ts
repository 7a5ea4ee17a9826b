/**
 * ONNX Runtime behind one small interface: sessions, batched classification, the accuracy of a
 * model, measured shapes.
 */
export {
  type Accuracy,
  type AccuracyOptions,
  type AccuracySamples,
  measureAccuracy,
} from './accuracy.js';
export {
  type Classification,
  classify,
  classifyFeeds,
  type FeedBatch,
  type FeedClassification,
  type LabelledBatch,
} from './infer.js';
export {
  createSession,
  DEVICES,
  type Device,
  runtimeVersion,
  type Session,
  type SessionOptions,
} from './session.js';
export { inferShapesMeasured } from './shapes.js';
