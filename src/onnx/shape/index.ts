/**
 * Shape and type inference: a registry of one rule per ONNX op (`rule.ts` states the contract;
 * `elementwise`, `nn`, `quant`, `reduce` and `shape-ops` hold the rules) and the driver that walks a graph
 * with them.
 */
export { concreteInputShapes, type InferOptions, inferShapes, type ShapeInfo } from './infer.js';
export {
  DataDependentShapeError,
  registerShapeRules,
  type ShapeContext,
  type ShapeRule,
  shapeRules,
  type ValueFacts,
} from './rule.js';
export { type WindowGeometry, windowGeometry, windowOut } from './window.js';
