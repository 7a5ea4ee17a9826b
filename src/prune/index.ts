/**
 * Pruning: `pruneModel` with any registered method (`PRUNE_METHODS`), the contract a custom
 * method implements (`PruneMethod`, its context and result) with the mask helpers built-in
 * methods use, channel analysis and physical removal, and per-layer sensitivity. The methods'
 * scoring internals are not part of the API; every method is reached through the registry.
 */
export {
  analyzeChannels,
  CHANNEL_RULES,
  type ChannelAnalysis,
  type ChannelGroup,
  type ChannelPlan,
  type ChannelRule,
} from './channels.js';
export { applyMasks, maskLowest, maskSparsity, nonzeroMask, type Scores } from './masks.js';
export { type LayerReport, type PruneRequest, type PruneResult, pruneModel } from './prune.js';
export { PRUNE_METHODS } from './registry.js';
export { removeChannels } from './remove.js';
export { type Evaluate, type SensitivityOptions, type SensitivityRow, sensitivity } from './sensitivity.js';
export type { PruneTarget, SkippedLayer } from './targets.js';
export type { TrainingSetup } from './training.js';
export type {
  Granularity,
  Masks,
  MethodContext,
  MethodOption,
  MethodOptionValues,
  MethodResult,
  PruneMethod,
  PruneOptions,
  ResolvedOptions,
  Scope,
} from './types.js';
export { magnitudeScores, nmMask, unstructuredMasks } from './unstructured.js';
