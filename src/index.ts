/**
 * prunefi's library entry point: the most used functions of every stage. Each stage is also a
 * subpath export with its curated public API (`prunefi/onnx`, `prunefi/prune`, `prunefi/campaign`,
 * ...).
 */
export { runCampaign } from './campaign/engine.js';
export { Evaluator } from './campaign/evaluator.js';
export { CampaignStore } from './campaign/store.js';
export { PrunefiError } from './core/errors.js';
export { Rng } from './core/rng.js';
export { loadDataset } from './data/load.js';
export { StoredModel } from './fault/memory.js';
export { NUMBER_FORMATS } from './fault/number-formats.js';
export { STORAGE_FORMATS } from './fault/storage-formats.js';
export { resolveModel, ZOO } from './models/zoo.js';
export { loadModel, saveModel } from './onnx/file.js';
export { summarizeModel } from './onnx/summary.js';
export { pruneModel } from './prune/prune.js';
export { PRUNE_METHODS } from './prune/registry.js';
export { renderReport } from './report/render.js';
export { createSession } from './runtime/session.js';
export { parseStudyConfig } from './study/config.js';
export { PRESETS } from './study/presets.js';
export { runStudy } from './study/runner.js';
export { train } from './train/loop.js';
