export * from './builder.js';
export * from './file.js';
export * from './graph.js';
export * from './io.js';
export * from './ir.js';
export { decodeModel, dtypeCode, dtypeFromCode, encodeModel } from './proto.js';
export * from './shape/index.js';
export * from './summary.js';
export * from './tensor.js';
