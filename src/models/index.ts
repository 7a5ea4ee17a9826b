/**
 * The model zoo: built-in architectures as ONNX graph builders, the `zoo:<name>` specs that name
 * them, and `defineArchitecture` for registering one's own (written with the PyTorch-like
 * `TorchEmitter`).
 */
export {
  type ArchitectureContext,
  type ArchitectureSpec,
  type BuildOptions,
  defineArchitecture,
  type ZooEntry,
} from './define.js';
export { type Conv2dSpec, TorchEmitter } from './layers.js';
export { buildZooModel, parseZooSpec, resolveModel, ZOO, ZOO_PREFIX, type ZooSpec } from './zoo.js';
