export * from './engine.js';
export * from './evaluator.js';
export * from './outcome.js';
export * from './plan.js';
export * from './store.js';
export * from './summary.js';
