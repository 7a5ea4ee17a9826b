export * from './cut.js';
export * from './fault-list.js';
export * from './fault-models.js';
export * from './fault-types.js';
export * from './fold-bn.js';
export * from './memory.js';
export * from './number-formats.js';
export * from './storage-formats.js';
