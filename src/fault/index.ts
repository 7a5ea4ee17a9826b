/**
 * Fault models and the memory they hit: number formats, storage formats, fault types, fault
 * models (how many faults and where), the stored model whose words faults change, fault lists,
 * and BatchNorm folding. Graph cutting and bit-level helpers are internal.
 */
export {
  checkFaultList,
  type FaultList,
  type FaultListExperiment,
  faultListJson,
  parseFaultList,
  type ReferenceOutcome,
  readFaultList,
  writeFaultList,
} from './fault-list.js';
export {
  FAULT_MODELS,
  type FaultModel,
  FaultSpace,
  type FaultSpec,
  sampleFaults,
  type Targeting,
} from './fault-models.js';
export { FAULT_TYPES, type FaultType } from './fault-types.js';
export { type FoldResult, foldBatchNorm } from './fold-bn.js';
export { type FaultLayer, faultLayers, NOT_INJECTED } from './layers.js';
export {
  type Fault,
  type MemoryOptions,
  type StoredLayer,
  StoredModel,
  StoredTensor,
} from './memory.js';
export { NUMBER_FORMATS, type NumberFormat } from './number-formats.js';
export { type Decoded, type DecodeStatus, type SecDedCode, secDedCode } from './protect/hamming.js';
export { checkProtections, formatProtection, PROTECTIONS, parseProtections } from './protect/registry.js';
export { formatProtectRegions, type ProtectRegion, parseProtectRegions } from './protect/scope.js';
export type {
  Hardening,
  MemoryCode,
  Protection,
  ProtectOption,
  ProtectSpec,
  ValueGuard,
} from './protect/types.js';
export {
  REGION_NAMES,
  type Region,
  type RegionName,
  STORAGE_FORMATS,
  type StorageFormat,
  type StoredLayout,
} from './storage-formats.js';
