/**
 * ONNX models as plain data: the graph IR with typed-array tensors, protobuf read/write, a graph
 * builder, graph queries, shape inference (with a rule per op that users may extend) and model
 * summaries. Attribute getters, number conversions and other helpers the stages share are
 * internal.
 */
export { GraphBuilder, type ModelOptions, type NodeOptions } from './builder.js';
export { modelClassNames, setModelClassNames } from './classes.js';
export type { AssumedDim } from './dynamic-dims.js';
export { loadModel, type SaveOptions, saveModel } from './file.js';
export {
  cloneModel,
  consumers,
  getInitializer,
  materializeIdentityConstants,
  producers,
  topoSort,
  WEIGHT_OPS,
  type WeightLayer,
  weightLayers,
} from './graph.js';
export { imageInput, logitsOutput } from './io.js';
export type { Attribute, Dim, Graph, Model, Node, OpsetImport, ValueInfo } from './ir.js';
export { node } from './ir.js';
export { decodeModel, encodeModel } from './proto.js';
export {
  DataDependentShapeError,
  type InferOptions,
  inferShapes,
  registerShapeRules,
  type ShapeContext,
  type ShapeInfo,
  type ShapeRule,
  shapeRules,
  type ValueFacts,
} from './shape/index.js';
export { type LayerSummary, type ModelSummary, type SummaryOptions, summarizeModel } from './summary.js';
export {
  cloneTensor,
  type DataTypeMap,
  type DType,
  f32,
  i64,
  numel,
  type Tensor,
  tensor,
  toFloat32,
  zeros,
} from './tensor.js';
