/**
 * Shared primitives: errors, registries, the splittable RNG, content hashes and the progress
 * contract. Helpers the stages share among themselves (argmax, atomic writes, message helpers)
 * are not part of the API.
 */

export { CLASS_LISTS, type ClassList } from './class-names.js';
export { type ErrorCode, PrunefiError } from './errors.js';
export { hashBytes, hashJson } from './hash.js';
export { checkAllocation, formatBytes, memoryLimit, memoryRefusal, parseByteSize } from './limits.js';
export { InterruptedError, type Progress, type ProgressCallback } from './progress.js';
export { Registry, type RegistryEntry } from './registry.js';
export { Rng, type RngState } from './rng.js';
