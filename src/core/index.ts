/** Shared primitives: errors, registries, the splittable RNG, hashing, progress, argmax. */
export * from './argmax.js';
export * from './atomic.js';
export * from './errors.js';
export * from './hash.js';
export * from './limits.js';
export * from './progress.js';
export * from './registry.js';
export * from './rng.js';
