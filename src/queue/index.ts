export * from './artifacts.js';
export * from './coordinator.js';
export * from './payload.js';
export * from './samples-codec.js';
export * from './sizing.js';
export * from './url.js';
export * from './worker.js';
