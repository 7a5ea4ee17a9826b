/**
 * What each kind of study step does: obtain (and optionally train) a base model, prune it,
 * measure clean accuracy, and run BER and single-bit campaigns. Each executor reads its inputs
 * from the artifacts of the steps it depends on and returns a JSON result that the artifact
 * store keeps; files it writes live in the step's own folder.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ensureCleanCost } from '../campaign/clean-cost.js';
import { type CampaignConfig, prepareCampaign } from '../campaign/config.js';
import { runCampaign } from '../campaign/engine.js';
import { profileRanger, type RangerProfile, rangerSpec } from '../campaign/graph-protect.js';
import { PLAN_KINDS, type PlanSpec } from '../campaign/plan.js';
import { allRows } from '../campaign/samples.js';
import { CampaignStore, type ExperimentRecord } from '../campaign/store.js';
import { PrunefiError } from '../core/errors.js';
import { hashBytes, hashJson } from '../core/hash.js';
import { InterruptedError, type ProgressCallback } from '../core/progress.js';
import { balancedIndices, batches, firstPerClass, imagesToTensor, labelsOf } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import { resolveModel } from '../models/index.js';
import { labelNames } from '../onnx/classes.js';
import { loadModel, saveModel } from '../onnx/file.js';
import { checkModelFitsData } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import { PRUNE_METHODS, pruneModel } from '../prune/index.js';
import type { TrainingSetup } from '../prune/training.js';
import type { BitSweep, SdcCounts, TrialOutcome, VariantGranularity } from '../report/model.js';
import { measureAccuracy } from '../runtime/index.js';
import { train, trainProgressView } from '../train/loop.js';
import { type FaultModelConfig, pruneRequestOptions, type StudyConfig, toTrainRecipe } from './config.js';
import type { StudyData } from './data.js';
import type { Step, StepParams } from './plan.js';
import { variantFigures } from './report-data.js';
import type { ArtifactStore } from './store.js';
import { berPoints, bitCounts, type LayerStats, layerStats } from './sweeps.js';

/** What executors share. */
export interface StepEnv {
  config: StudyConfig;
  /** The study folder; result files are recorded relative to it so the folder can move. */
  dir: string;
  store: ArtifactStore;
  data: StudyData;
  /** Finished results by step id (every dependency of a running step is here). */
  results: Map<string, StepResult>;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** A model artifact: base or pruned. */
export interface ModelResult {
  kind: 'model';
  /** The .onnx file, relative to the study folder. */
  file: string;
  method: string;
  target: number;
  granularity: VariantGranularity;
  sparsity: number;
  params: number;
  nonzeroParams: number;
  macs: number;
  /** Stored bits per storage format (float32 words unless the study's first fault model says otherwise). */
  memoryBits: Record<string, number>;
  accuracyBeforeFinetune?: number;
  finetuneEpochs?: number;
  trainedEpochs?: number;
  notes: string[];
}

/** Clean accuracy on the test split. */
export interface EvalResult {
  kind: 'eval';
  correct: number;
  total: number;
}

/** A BER sweep's trials, by rate. */
export interface BerResult {
  kind: 'ber';
  images: number;
  cleanCorrect: number;
  points: { ber: number; trials: TrialOutcome[] }[];
  experiments: number;
}

/** A single-bit sweep's counts. */
export interface BitsResult {
  kind: 'bits';
  images: number;
  byBit: BitSweep['byBit'];
  byLayer: BitSweep['byLayer'];
  total: SdcCounts;
  experiments: number;
}

/** What a step's executor returns. */
export type StepOutput = ModelResult | EvalResult | BerResult | BitsResult;

/** A finished step's stored result: its output and the time it took (the runner measures it). */
export type StepResult = StepOutput & {
  /** Wall-clock seconds spent on the step over all the runs that worked on it (see StepClock). */
  seconds: number;
};

/** The model a step reads: the artifact of its first dependency. */
function inputModel(step: Step, env: StepEnv): { model: Model; file: string; result: ModelResult } {
  const dep = env.results.get(step.deps[0]!);
  if (dep?.kind !== 'model') throw new Error(`internal: step ${step.id} has no model input`);
  const file = resolve(env.dir, dep.file);
  return { model: loadModel(file), file, result: dep };
}

function describeModel(
  model: Model,
  env: StepEnv,
): Pick<ModelResult, 'sparsity' | 'params' | 'nonzeroParams' | 'macs' | 'memoryBits'> {
  const fm = env.config.faultModels[0]!;
  return variantFigures(model, fm.numberFormat, fm.foldBn);
}

/** Top-1 correct count of a model on (a balanced subset of) a set. */
async function accuracy(
  model: Model,
  set: ImageSet,
  limit: number,
  env: StepEnv,
): Promise<{ correct: number; total: number }> {
  const indices = limit > 0 && limit < set.count ? balancedIndices(set, limit) : undefined;
  const total = indices?.length ?? set.count;
  const r = await measureAccuracy(
    model,
    { images: batches(set, { batchSize: 256, ...(indices ? { indices } : {}) }), count: total },
    {
      session: { threads: env.config.threads },
      onBatch: (done) => env.onProgress?.({ unit: 'images', done, total, phase: 'evaluate' }),
      ...(env.signal ? { signal: env.signal } : {}),
    },
  );
  return { correct: r.correct, total: r.count };
}

/**
 * Seconds between training checkpoints within an epoch: a killed study (no chance to save) loses
 * at most this much of a fine-tune, where a ResNet18 epoch takes ~18 min on 2 cores. Writing
 * ResNet18's 90 MB checkpoint takes well under a second.
 */
const CHECKPOINT_EVERY = 300;

/** Training checkpoints are scratch once the step's model is saved (ResNet18's take 90 MB). */
function removeCheckpoints(dir: string): void {
  for (const f of readdirSync(dir)) if (f.endsWith('.ckpt')) rmSync(join(dir, f));
}

async function runBase(
  step: Step,
  p: Extract<StepParams, { kind: 'base' }>,
  env: StepEnv,
): Promise<ModelResult> {
  const dir = env.store.dir(step);
  let model = resolveModel(p.source, { seed: p.seed });
  const test = await env.data.test();
  checkModelFitsData(model, test.shape, p.source, test.name);
  // Every step of a study scores the same labelled data, so a base model must mean its outputs as
  // the data's classes in order (names recorded in another order, or a subset, cannot be shared).
  const names = labelNames(model, test.classes, p.source, test.name);
  if (names?.some((n, i) => n !== test.classes[i]))
    throw new PrunefiError(
      'STUDY_CONFIG',
      `model ${p.source} records its classes as ${names.join(', ')}, but ${test.name} labels them ${test.classes.join(', ')}; a study scores every model on the same labels: use a dataset with the model's classes in its order (or score this model alone with prunefi eval, which maps classes by name)`,
    );
  let trainedEpochs: number | undefined;
  if (p.train) {
    const set = await env.data.train();
    const recipe = toTrainRecipe(p.train, set);
    const checkpoint = join(dir, 'train.ckpt');
    const r = await train(model, {
      train: set,
      epochs: p.train.epochs,
      ...recipe,
      seed: p.seed,
      checkpoint,
      checkpointEvery: CHECKPOINT_EVERY,
      resumeIfCompatible: true,
      threads: env.config.threads,
      ...(env.signal ? { signal: env.signal } : {}),
      onProgress: (tp) => env.onProgress?.(trainProgressView(tp, 'train')),
    });
    if (r.interrupted)
      throw new InterruptedError(
        `training of ${p.model} interrupted; rerun the study to resume from its checkpoint`,
      );
    model = r.model;
    trainedEpochs = p.train.epochs;
  }
  const file = join(dir, 'model.onnx');
  saveModel(model, file);
  removeCheckpoints(dir);
  return {
    kind: 'model',
    file: relative(env.dir, file),
    method: 'none',
    target: 0,
    granularity: 'none',
    ...describeModel(model, env),
    ...(trainedEpochs !== undefined ? { trainedEpochs } : {}),
    notes: [],
  };
}

async function runPrune(
  step: Step,
  p: Extract<StepParams, { kind: 'prune' }>,
  env: StepEnv,
): Promise<ModelResult> {
  const { model: base, file: baseFile } = inputModel(step, env);
  const method = PRUNE_METHODS.get(p.method);
  const test = await env.data.test();
  const needsTraining = method.needsData || method.needsTraining || p.finetune.epochs > 0;
  let setup: TrainingSetup | undefined;
  if (needsTraining) {
    const set = await env.data.train();
    setup = {
      train: set,
      recipe: toTrainRecipe(p.finetune, set),
      threads: env.config.threads,
      ...(env.signal ? { signal: env.signal } : {}),
      onTrainProgress: (stage, tp) => env.onProgress?.(trainProgressView(tp, stage)),
      checkpointDir: env.store.dir(step),
      checkpointEvery: CHECKPOINT_EVERY,
    };
  }
  let accuracyBeforeFinetune: number | undefined;
  const r = await pruneModel(base, method, {
    sparsity: p.sparsity,
    seed: p.seed,
    ...pruneRequestOptions(p.options),
    ...(setup ? { setup } : {}),
    finetuneEpochs: p.finetune.epochs,
    parentFileSha256: hashBytes(readFileSync(baseFile)),
    onPruned: async (m) => {
      if (p.finetune.epochs > 0) {
        const a = await accuracy(m, test, env.config.evalLimit, env);
        accuracyBeforeFinetune = a.correct / a.total;
      }
    },
    ...(env.signal ? { signal: env.signal } : {}),
    ...(env.onProgress ? { onProgress: env.onProgress } : {}),
  });
  if (env.signal?.aborted)
    throw new InterruptedError(
      `pruning ${step.variant} interrupted; rerun the study to resume it (fine-tuning continues where it stopped)`,
    );
  const file = join(env.store.dir(step), 'model.onnx');
  saveModel(r.model, file);
  removeCheckpoints(env.store.dir(step));
  return {
    kind: 'model',
    file: relative(env.dir, file),
    method: p.method,
    target: p.sparsity,
    granularity: method.granularity,
    ...describeModel(r.model, env),
    ...(accuracyBeforeFinetune !== undefined ? { accuracyBeforeFinetune } : {}),
    finetuneEpochs: p.finetune.epochs,
    notes: r.notes,
  };
}

async function runEval(
  step: Step,
  p: Extract<StepParams, { kind: 'eval' }>,
  env: StepEnv,
): Promise<EvalResult> {
  const { model } = inputModel(step, env);
  const a = await accuracy(model, await env.data.split(p.split), p.limit, env);
  return { kind: 'eval', ...a };
}

/**
 * With a fault model protected by ranger: its bounds, profiled on the study's training split
 * (the protection's `images`, class-balanced) on the model the campaign runs.
 */
async function rangerProfile(
  model: Model,
  fm: FaultModelConfig,
  env: StepEnv,
): Promise<RangerProfile | undefined> {
  const spec = rangerSpec(fm.protect);
  if (!spec) return undefined;
  const set = await env.data.split(env.data.trainSplit, Number(spec.images));
  return profileRanger(model, fm.foldBn, imagesToTensor(set, allRows(set.count)), {
    split: set.split,
    hash: set.hash,
  });
}

/**
 * Runs (or resumes) a campaign in the step's SQLite store and returns its records. The store
 * keeps every finished experiment, so an interrupted study loses at most the experiment in flight.
 */
async function campaign(
  step: Step,
  env: StepEnv,
  fm: FaultModelConfig,
  plan: PlanSpec,
  images: number,
  seed: number,
): Promise<{
  records: ExperimentRecord[];
  images: number;
  cleanCorrect: number;
  layers: LayerStats[];
}> {
  const { model, file } = inputModel(step, env);
  const test = await env.data.test();
  const perClass = Math.ceil(images / test.classes.length);
  const idx = firstPerClass(test, perClass);
  const ranger = await rangerProfile(model, fm, env);
  const config: CampaignConfig = {
    model: { spec: relative(env.dir, file), hash: hashBytes(readFileSync(file)) },
    data: { spec: env.config.data, split: test.split, perClass, hash: hashJson([test.hash, perClass]) },
    memory: {
      numberFormat: fm.numberFormat,
      storage: fm.storageFormat,
      faultScales: false,
      foldBn: fm.foldBn,
      ...(fm.protect ? { protect: fm.protect } : {}),
    },
    ...(ranger ? { ranger } : {}),
    plan,
    seed,
  };
  const store = CampaignStore.openOrCreate(join(env.store.dir(step), 'campaign.sqlite'), config);
  try {
    const input = { x: imagesToTensor(test, idx), labels: labelsOf(test, idx) };
    // Stored in the step's database, where 'prunefi campaign status' shows it.
    await ensureCleanCost(store, model, input, { threads: env.config.threads });
    const { evaluator, plan: built } = await prepareCampaign(config, model, input, {
      threads: env.config.threads,
      ...(env.onProgress ? { onProgress: env.onProgress } : {}),
    });
    try {
      const r = await runCampaign({
        store,
        evaluator,
        plan: built,
        ...(env.signal ? { signal: env.signal } : {}),
        ...(env.onProgress ? { onProgress: env.onProgress } : {}),
      });
      if (r.interrupted)
        throw new InterruptedError(
          `campaign ${step.id} interrupted after ${r.done}/${r.planned} experiments; rerun the study to resume it`,
        );
      const cleanCorrect = evaluator.goldenScore.correct;
      const layers = layerStats(evaluator.memory);
      return { records: store.records(), images: evaluator.images, cleanCorrect, layers };
    } finally {
      await evaluator.release();
    }
  } finally {
    store.close();
  }
}

async function runBer(step: Step, p: Extract<StepParams, { kind: 'ber' }>, env: StepEnv): Promise<BerResult> {
  const plan: PlanSpec = { kind: 'ber', rates: p.rates, trials: p.trials, type: p.faultModel.faultType };
  const c = await campaign(step, env, p.faultModel, plan, p.images, p.seed);
  // Every variant's campaign has the study's seed, so the experiment index alone is the trial's
  // seed and the report pairs trials across variants (common random numbers).
  return {
    kind: 'ber',
    images: c.images,
    cleanCorrect: c.cleanCorrect,
    points: berPoints(c.records, p.rates),
    experiments: c.records.length,
  };
}

async function runBits(
  step: Step,
  p: Extract<StepParams, { kind: 'bits' }>,
  env: StepEnv,
): Promise<BitsResult> {
  const plan: PlanSpec = { kind: 'single-bit', perBit: p.perBit, type: p.faultModel.faultType };
  const c = await campaign(step, env, p.faultModel, plan, p.images, p.seed);
  return {
    kind: 'bits',
    images: c.images,
    ...bitCounts(c.records, c.layers),
    experiments: c.records.length,
  };
}

/** A `campaigns.plans` campaign, returned as the sweep its plan kind is shown as. */
async function runPlan(
  step: Step,
  p: Extract<StepParams, { kind: 'plan' }>,
  env: StepEnv,
): Promise<BerResult | BitsResult> {
  const kind = PLAN_KINDS.get(p.plan.kind);
  const plan: PlanSpec = 'type' in kind.options ? { ...p.plan, type: p.faultModel.faultType } : p.plan;
  const shown = kind.report(plan);
  if (!shown) throw new PrunefiError('STUDY_CONFIG', `the ${kind.name} plan cannot be shown in a report`);
  const c = await campaign(step, env, p.faultModel, plan, p.images, p.seed);
  const head = { images: c.images, experiments: c.records.length };
  return shown.as === 'ber'
    ? { kind: 'ber', ...head, cleanCorrect: c.cleanCorrect, points: berPoints(c.records, shown.rates) }
    : { kind: 'bits', ...head, ...bitCounts(c.records, c.layers) };
}

/** Runs one step and returns its output. */
export function runStep(step: Step, env: StepEnv): Promise<StepOutput> {
  const p = step.params;
  switch (p.kind) {
    case 'base':
      return runBase(step, p, env);
    case 'prune':
      return runPrune(step, p, env);
    case 'eval':
      return runEval(step, p, env);
    case 'ber':
      return runBer(step, p, env);
    case 'bits':
      return runBits(step, p, env);
    case 'plan':
      return runPlan(step, p, env);
  }
}
