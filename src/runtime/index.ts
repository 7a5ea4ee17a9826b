export * from './infer.js';
export * from './session.js';
