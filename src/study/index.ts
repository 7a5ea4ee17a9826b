/**
 * Studies: configs and presets, the runner (content-keyed steps, resumable) with its dry-run
 * preview, and report data built from standalone campaign databases. The step plan, the
 * artifact store and the sweep conversions are internal.
 */
export { reportDataFromCampaigns } from './campaign-report.js';
export {
  type FaultModelConfig,
  type ModelConfig,
  type PruneConfig,
  parseStudyConfig,
  type RecipeConfig,
  type StudyCampaigns,
  type StudyConfig,
  toTrainRecipe,
} from './config.js';
export { PRESETS, type Preset, type PresetArgs } from './presets.js';
export {
  type PlannedStep,
  previewStudy,
  runStudy,
  type StudyOptions,
  type StudyProgress,
  type StudyResult,
} from './runner.js';
