/**
 * The training engine: reverse-mode autodiff over ONNX graphs executed by ONNX Runtime,
 * optimizers, schedules and the training loop.
 *
 * What pruning and other stages use:
 * - gradients of the loss for a batch: `GradientSession.create(model, { wrt, batchNorm: 'eval' })`
 *   then `run({ x, labels })` → `grads` (SNIP's |g⊙θ|, Taylor's per-filter Σ g·θ accumulated by
 *   the caller over batches);
 * - gradients of another scalar: `objective: { kind: 'sum' }` (SynFlow's R = Σ output; feed |θ|
 *   through `run({ overrides })` and an all-ones input, with `batchNorm: 'identity'` or 'eval')
 *   or `{ kind: 'seed' }` (any vector-Jacobian product);
 * - Hessian-vector products (GraSP): `hessianVectorProduct(session, batch, v)`, central
 *   differences of gradients with a documented step (hvp.ts);
 * - regularization during training: `train({ modifyGradients })`, called with (weights, grads,
 *   step, epoch) before every update (network slimming's L1 on BN scales, GReg's growing L2);
 * - fixed sparsity masks: `train({ masks })` (pruned weights and their optimizer state stay 0);
 * - rewinding: `WeightStore.snapshot()/restore()`, from `onStepEnd`/`onEpochEnd` hooks.
 */
export type {
  BatchNormMode,
  BatchNormStats,
  ConvWeightGradStrategy,
  DerivedInput,
  DropoutMask,
  FloatType,
} from './autodiff/context.js';
export {
  buildTrainingGraph,
  type TrainingGraph,
  type TrainingGraphOptions,
  trainableParameters,
} from './autodiff/graph.js';
export type { Objective } from './autodiff/objective.js';
export { gradRules } from './autodiff/rule.js';
export { type Checkpoint, type EpochRecord, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
export { type HessianVectorProduct, hessianVectorProduct } from './hvp.js';
export { deriveInput, flipConvWeight } from './layouts.js';
export {
  applyUpdate,
  configHash,
  type Evaluation,
  evaluate,
  type GradientHookArgs,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
  train,
} from './loop.js';
export {
  AdamW,
  type AdamWOptions,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerState,
  optimizers,
  Sgd,
  type SgdOptions,
  type StepHyper,
} from './optim.js';
export {
  defaultAugment,
  defaultRecipe,
  FINETUNE_RECIPE,
  type TrainRecipe,
  tensorRecipe,
} from './recipe.js';
export { oneCycle, type Schedule, type ScheduleConfig, schedules } from './schedule.js';
export {
  type BatchStats,
  GradientSession,
  type GradientSessionOptions,
  prepareForTraining,
  type StepInputs,
  type StepOutputs,
} from './session.js';
export { type FloatArray, type WeightSnapshot, WeightStore } from './weights.js';
