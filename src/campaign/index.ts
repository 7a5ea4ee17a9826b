/**
 * Fault-injection campaigns: plans (the registered plan kinds and their sample sizes), the
 * evaluator that scores one experiment's faults against the fault-free model, the resumable
 * engine, the SQLite result store and its summaries. The evaluator's internals (golden caches,
 * suffix sessions, the delta path) are not part of the API.
 */
export { type CleanCost, measureCleanCost } from './clean-cost.js';
export {
  type CampaignConfig,
  campaignConfig,
  DEFAULT_MEMORY,
  type PreparedCampaign,
  prepareCampaign,
} from './config.js';
export { type RunOptions, type RunResult, runCampaign, type StoppingSpec } from './engine.js';
export {
  type DetailedOutcome,
  Evaluator,
  type EvaluatorOptions,
  type ImageInput,
  type SampleInput,
} from './evaluator.js';
export { profileRanger, protectedGraph, type RangerProfile } from './graph-protect.js';
export {
  type HardeningCell,
  type HardeningChoice,
  type HardeningPlan,
  type HardeningTable,
  type HardeningTensor,
  planHardening,
  readHardeningTable,
} from './harden.js';
export type { Outcome } from './outcome.js';
export {
  buildPlan,
  checkPlanSpec,
  PLAN_KINDS,
  type Plan,
  type PlanCliCommon,
  type PlanKind,
  type PlanOption,
  type PlanOptionType,
  type PlanReport,
  type PlanSpec,
} from './plan.js';
export {
  profileRangerBounds,
  RANGER_ACTIVATIONS,
  type RangerBound,
  withRanger,
} from './ranger.js';
export { CampaignStore, type ExperimentRecord } from './store.js';
export { type GroupSummary, recordJson, recordsCsv, summarizeCampaign } from './summary.js';
export { type ImageCampaignTarget, imageCampaignTarget } from './target.js';
