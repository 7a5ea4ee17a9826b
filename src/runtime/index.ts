export * from './infer.js';
export * from './session.js';
export * from './shapes.js';
