/**
 * The training loop: seeded shuffling and augmentation (src/data), forward+backward in one ONNX
 * Runtime session, gradient hooks and fixed masks, the optimizer and schedule, running-stat
 * updates, evaluation every epoch, a checkpoint every epoch (and on interruption), and resume.
 * Every random choice is a pure function of (seed, epoch, step), so a run resumed from a
 * checkpoint produces bit-identical weights to one that never stopped.
 */

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { argmaxRows } from '../core/argmax.js';
import { mustGet } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import type { Normalization } from '../data/types.js';
import { setModelClassNames } from '../onnx/classes.js';
import type { Model } from '../onnx/ir.js';
import { encodeModel } from '../onnx/proto.js';
import { toFloat32 } from '../onnx/tensor.js';
import { createSession } from '../runtime/session.js';
import { type Checkpoint, type EpochRecord, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { type Optimizer, optimizers, type StepHyper } from './optim.js';
import type { TrainRecipe } from './recipe.js';
import { sampleBatchCount, sampleBatches, sampleShapes, type TrainSet } from './samples.js';
import { schedules } from './schedule.js';
import { GradientSession, prepareForTraining, type StepOutputs } from './session.js';
import { type FloatArray, WeightStore } from './weights.js';

/** Progress of the run, reported after every step and evaluation. */
export interface TrainProgress {
  phase: 'train' | 'eval';
  epoch: number;
  epochs: number;
  /** Training: step within the epoch (1-based, after it ran) and the epoch's step count.
   *  Evaluation: images evaluated and the test set's size (reported once, when done). */
  step: number;
  steps: number;
  /** Running mean loss and accuracy of the epoch so far. */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  /** Estimated seconds to the end of the run. */
  etaSeconds: number;
}

/**
 * How a run's progress shows on a progress display (CLI bars, study progress): training steps, or
 * the epoch's evaluation as test images; `label` ('train', 'fine-tune', ...) precedes the epoch.
 */
export function trainProgressView(p: TrainProgress, label = ''): Progress {
  const evaluating = p.phase === 'eval';
  return {
    unit: evaluating ? 'images' : 'steps',
    done: p.step,
    total: p.steps,
    phase: `${label ? `${label} ` : ''}epoch ${p.epoch}/${p.epochs}${evaluating ? ' eval' : ''}`,
    figures: { loss: p.loss, acc: p.accuracy },
  };
}

/** Arguments of the per-step gradient hook (regularizers such as network slimming or GReg). */
export interface GradientHookArgs {
  weights: WeightStore;
  grads: Map<string, FloatArray>;
  /** Global step (0-based) and epoch. */
  step: number;
  epoch: number;
}

/** Options of `train`: the recipe, the data, and what the run does besides training. */
export interface TrainOptions extends TrainRecipe {
  /** Images, or a tensor set (token ids and masks) with one class per sample. */
  train: TrainSet;
  /** Evaluated after every epoch when given. */
  test?: TrainSet;
  /** Default: the training set's normalization. */
  normalization?: Normalization;
  /** Parameters to train (default: all trainable parameters). */
  trainable?: readonly string[];
  /** Fixed sparsity masks (0 = pruned): those weights and their optimizer state stay exactly zero. */
  masks?: ReadonlyMap<string, Uint8Array>;
  /** Called with the gradients of each step before the update; may modify them in place. */
  modifyGradients?: (args: GradientHookArgs) => void;
  /** Called after each update (e.g. to snapshot weights at iteration k for rewinding). */
  onStepEnd?: (args: { weights: WeightStore; step: number; epoch: number }) => void;
  onEpochEnd?: (args: { weights: WeightStore; record: EpochRecord }) => void;
  onProgress?: (p: TrainProgress) => void;
  /** Checkpoint file written after every epoch and on interruption. */
  checkpoint?: string;
  /**
   * Also write the checkpoint within an epoch once this many seconds have passed since the last
   * one, so a killed process (no chance to save) loses at most that much work. Resuming from such
   * a checkpoint is bit-identical; the epoch's reported training loss then covers its resumed part.
   */
  checkpointEvery?: number;
  /** Continue from this checkpoint (file or loaded); refused when written for another run. */
  resume?: string | Checkpoint;
  /**
   * With `checkpoint`: continue from that file when it exists and was written for this exact run
   * (same model, data, masks and recipe), else start afresh and overwrite it. For callers that
   * own the checkpoint's folder (a study step), where a stale file is scratch, not a user error.
   */
  resumeIfCompatible?: boolean;
  /** Stops at the next step boundary, saving a checkpoint (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /** Stop (with a checkpoint) once this many epochs are done, as if interrupted. */
  stopAfterEpoch?: number;
  threads?: number;
  /** Images per evaluation batch (default 256). */
  evalBatchSize?: number;
}

/** What a run returns. */
export interface TrainResult {
  /** Inference model: updated weights and running statistics, metadata describing the run. */
  model: Model;
  weights: WeightStore;
  history: EpochRecord[];
  /** True when stopped early (signal or stopAfterEpoch); a checkpoint was saved if configured. */
  interrupted: boolean;
  globalStep: number;
}

/** Accuracy and mean loss of a model state on a dataset. */
export interface Evaluation {
  accuracy: number;
  loss: number;
  count: number;
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The hash that ties a checkpoint to its model (by SHA-256), data, masks and recipe. */
export function configHash(modelSha256: string, options: TrainOptions): string {
  const recipe = recipeOf(options);
  const h = createHash('sha256');
  h.update(modelSha256);
  h.update(options.train.hash);
  h.update(JSON.stringify(recipe));
  h.update(JSON.stringify(options.trainable ?? null));
  for (const [k, m] of [...(options.masks ?? new Map<string, Uint8Array>())].sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    h.update(k);
    h.update(m);
  }
  return h.digest('hex');
}

/**
 * The recipe fields of a run's options, in a fixed key order: checkpoint hashes and the recipe in
 * trained models' metadata are this JSON, so it must not change with how the options were built.
 */
function recipeOf(o: TrainRecipe): TrainRecipe {
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    optimizer: o.optimizer,
    lr: o.lr,
    ...(o.momentum !== undefined ? { momentum: o.momentum } : {}),
    ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}),
    ...(o.nesterov !== undefined ? { nesterov: o.nesterov } : {}),
    schedule: o.schedule,
    ...(o.warmupEpochs !== undefined ? { warmupEpochs: o.warmupEpochs } : {}),
    ...(o.stepEpochs !== undefined ? { stepEpochs: o.stepEpochs } : {}),
    ...(o.gamma !== undefined ? { gamma: o.gamma } : {}),
    ...(o.labelSmoothing !== undefined ? { labelSmoothing: o.labelSmoothing } : {}),
    seed: o.seed,
    ...(o.augment ? { augment: o.augment } : {}),
  };
}

/** Top-1 hits of a batch's logits (PyTorch's argmax semantics, shared with every other stage). */
function argmaxCorrect(pred: FloatArray, classes: number, labels: ArrayLike<number>): number {
  const top = argmaxRows(pred, classes);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (top[i] === labels[i]) correct++;
  return correct;
}

/**
 * Evaluates the model with the given state (eval-mode BatchNorm, no dropout) on a dataset:
 * top-1 accuracy and mean cross-entropy. It runs the inference model with the state written
 * into its initializers, in a session of its own: ONNX Runtime pre-packs constant weights and
 * runs that forward pass about 3× faster than a graph fed the weights as inputs.
 */
export async function evaluate(
  model: Model,
  set: TrainSet,
  options: {
    weights?: WeightStore;
    batchSize?: number;
    normalization?: Normalization;
    threads?: number;
  } = {},
): Promise<Evaluation> {
  const inference = options.weights ? options.weights.toModel(prepareForTraining(model)) : model;
  const input = inference.graph.inputs.find((v) => !inference.graph.initializers.has(v.name));
  const output = inference.graph.outputs[0];
  if (!input || !output)
    throw new PrunefiError('TRAIN', 'the model needs a data input and an output to evaluate');
  const session = await createSession(
    inference,
    options.threads !== undefined ? { threads: options.threads } : {},
  );
  let correct = 0;
  let loss = 0;
  try {
    const batchSize = options.batchSize ?? 256;
    const norm = options.normalization ? { normalization: options.normalization } : {};
    for (const b of sampleBatches(set, input.name, { batchSize, ...norm })) {
      const out = await session.run(b.feeds, [output.name]);
      const logits = toFloat32(out[output.name]!);
      const classes = logits.length / b.y.length;
      correct += argmaxCorrect(logits, classes, b.y);
      loss += crossEntropySum(logits, classes, b.y);
    }
  } finally {
    await session.release();
  }
  return { accuracy: correct / set.count, loss: loss / set.count, count: set.count };
}

/** Σ over the batch of −log softmax(z)[y], computed stably in double precision. */
function crossEntropySum(z: Float32Array, classes: number, labels: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, z[row + k]!);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(z[row + k]! - max);
    total += max + Math.log(sum) - z[row + labels[i]!]!;
  }
  return total;
}

/**
 * Applies one step's results to the session's state: masks the gradients, runs the optimizer
 * on every trained parameter, re-zeroes masked weights and optimizer state, and updates the
 * BatchNorm running statistics. The loop calls it after each run; custom loops (pruning
 * schedules) can call it too.
 */
export function applyUpdate(
  session: GradientSession,
  optimizer: Optimizer,
  out: StepOutputs,
  hyper: StepHyper,
  masks?: ReadonlyMap<string, Uint8Array>,
): void {
  const weights = session.weights;
  for (const name of session.graph.wrt) {
    const g = mustGet(out.grads, name);
    const mask = masks?.get(name);
    if (mask) for (let i = 0; i < g.length; i++) if (mask[i] === 0) g[i] = 0;
    optimizer.update(name, weights.get(name), g, hyper);
  }
  optimizer.endStep();
  applyMasks(masks, weights, session.graph.wrt, optimizer);
  updateRunningStats(session, out.batchStats);
}

/** Updates running statistics as PyTorch does (unbiased batch variance, ONNX momentum). */
function updateRunningStats(session: GradientSession, stats: StepOutputs['batchStats']): void {
  for (const s of session.graph.bnStats) {
    const b = mustGet(stats, s.node);
    const rm = session.weights.get(s.runningMean);
    const rv = session.weights.get(s.runningVar);
    const keep = s.momentum;
    const take = 1 - keep;
    const unbias = b.count > 1 ? b.count / (b.count - 1) : 1;
    for (let c = 0; c < rm.length; c++) {
      rm[c] = take * b.mean[c]! + keep * rm[c]!;
      rv[c] = take * b.variance[c]! * unbias + keep * rv[c]!;
    }
  }
}

/**
 * Trains `model` on `options.train` and returns the inference model with the trained weights.
 * With `checkpoint`, a checkpoint is written after every epoch and when stopped; with `resume`,
 * the run continues from one (its configuration hash must match).
 */
export async function train(model: Model, options: TrainOptions): Promise<TrainResult> {
  validate(options);
  const prepared = prepareForTraining(model);
  const parentHash = sha256(encodeModel(prepared));
  const hash = configHash(parentHash, options);
  const weights = WeightStore.fromModel(prepared);
  const session = await GradientSession.create(prepared, {
    ...(options.trainable ? { wrt: options.trainable } : {}),
    objective: { kind: 'cross-entropy', labelSmoothing: options.labelSmoothing ?? 0 },
    batchNorm: 'train',
    weights,
    inputShapes: sampleShapes(options.train),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  try {
    return await run(prepared, options, session, hash, parentHash);
  } finally {
    await session.release();
  }
}

/** The checkpoint at `path` when it exists, reads and belongs to the run with `hash`. */
function compatibleCheckpoint(path: string | undefined, hash: string): Checkpoint | undefined {
  if (!path || !existsSync(path)) return undefined;
  try {
    const c = loadCheckpoint(path);
    return c.configHash === hash ? c : undefined;
  } catch {
    // Unreadable: the run starts afresh and its first save replaces the file.
    return undefined;
  }
}

function validate(o: TrainOptions): void {
  for (const [k, v] of [
    ['epochs', o.epochs],
    ['batchSize', o.batchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  if (!(o.lr > 0)) throw new RangeError(`lr must be positive, got ${o.lr}`);
  if (o.checkpointEvery !== undefined && !(o.checkpointEvery > 0))
    throw new RangeError(`checkpointEvery must be a positive number of seconds, got ${o.checkpointEvery}`);
  optimizers.get(o.optimizer);
  schedules.get(o.schedule);
}

async function run(
  prepared: Model,
  o: TrainOptions,
  session: GradientSession,
  hash: string,
  parentHash: string,
): Promise<TrainResult> {
  const weights = session.weights;
  const stepsPerEpoch = sampleBatchCount(o.train, o.batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;
  const optimizer = optimizers.get(o.optimizer).create({
    lr: o.lr,
    ...(o.momentum !== undefined ? { momentum: o.momentum } : {}),
    ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}),
    ...(o.nesterov !== undefined ? { nesterov: o.nesterov } : {}),
  });
  const schedule = schedules.get(o.schedule).create({
    lr: o.lr,
    ...(optimizer.defaults.momentum !== undefined ? { momentum: optimizer.defaults.momentum } : {}),
    totalSteps,
    stepsPerEpoch,
    warmupSteps: Math.round((o.warmupEpochs ?? 0) * stepsPerEpoch),
    ...(o.stepEpochs !== undefined ? { stepEpochs: o.stepEpochs } : {}),
    ...(o.gamma !== undefined ? { gamma: o.gamma } : {}),
  });
  const params = session.graph.wrt;
  applyMasks(o.masks, weights, params);

  let epoch = 0;
  let stepInEpoch = 0;
  let globalStep = 0;
  let history: EpochRecord[] = [];
  const resume = o.resume ?? (o.resumeIfCompatible ? compatibleCheckpoint(o.checkpoint, hash) : undefined);
  if (resume) {
    const c = typeof resume === 'string' ? loadCheckpoint(resume) : resume;
    if (c.configHash !== hash) {
      throw new PrunefiError(
        'CHECKPOINT',
        `the checkpoint${typeof resume === 'string' ? ` ${resume}` : ''} was written for a different model, data set, mask set or recipe (config hash ${c.configHash.slice(0, 12)}, this run ${hash.slice(0, 12)}); resume with exactly the options of the original run`,
      );
    }
    for (const [name, w] of c.weights) weights.get(name).set(w.data);
    optimizer.load(c.optimizer);
    ({ epoch, step: stepInEpoch, globalStep, history } = { ...c, history: [...c.history] });
  }

  const rng = Rng.seeded(o.seed);
  const save = (ep: number, st: number): void => {
    if (!o.checkpoint) return;
    saveCheckpoint(o.checkpoint, {
      configHash: hash,
      epoch: ep,
      step: st,
      globalStep,
      history,
      weights: new Map(
        weights.names().map((n) => [n, { dims: weights.dimsOf(n), data: weights.get(n) as Float32Array }]),
      ),
      optimizer: optimizer.state(),
    });
  };
  const started = performance.now();
  const stepsAtStart = globalStep;
  let interrupted = false;
  let lastSave = started;
  const saveNow = (ep: number, st: number): void => {
    save(ep, st);
    lastSave = performance.now();
  };

  for (; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    let seen = 0;
    let correct = 0;
    let lossSum = 0;
    let step = 0;
    const source = sampleBatches(o.train, session.graph.dataInput, {
      batchSize: o.batchSize,
      shuffle: rng.split('data'),
      epoch,
      ...(o.augment && (o.augment.padding > 0 || o.augment.flip)
        ? { augment: { rng: rng.split('augment'), padding: o.augment.padding, flip: o.augment.flip } }
        : {}),
      ...(o.normalization ? { normalization: o.normalization } : {}),
    });
    for (const batch of source) {
      if (step < stepInEpoch) {
        step++;
        continue;
      }
      if (o.signal?.aborted) {
        interrupted = true;
        break;
      }
      const hyper = schedule(globalStep);
      const out = await session.run({
        feeds: batch.feeds,
        labels: batch.y,
        dropoutRng: rng.split('dropout', globalStep),
      });
      if (!Number.isFinite(out.loss)) {
        throw new PrunefiError(
          'TRAIN',
          `the loss became ${out.loss} at epoch ${epoch + 1}, step ${step + 1} (lr ${hyper.lr.toPrecision(3)}); lower the learning rate or add warm-up`,
        );
      }
      o.modifyGradients?.({ weights, grads: out.grads, step: globalStep, epoch });
      applyUpdate(session, optimizer, out, hyper, o.masks);
      const n = batch.y.length;
      seen += n;
      lossSum += out.loss * n;
      correct += argmaxCorrect(out.prediction.data as FloatArray, out.prediction.dims[1]!, batch.y);
      globalStep++;
      step++;
      o.onStepEnd?.({ weights, step: globalStep, epoch });
      // Not after an epoch's last step: the end-of-epoch checkpoint follows at once.
      if (
        o.checkpointEvery &&
        step < stepsPerEpoch &&
        performance.now() - lastSave >= o.checkpointEvery * 1000
      )
        saveNow(epoch, step);
      const elapsed = (performance.now() - started) / 1000;
      const done = globalStep - stepsAtStart;
      o.onProgress?.({
        phase: 'train',
        epoch: epoch + 1,
        epochs: o.epochs,
        step,
        steps: stepsPerEpoch,
        loss: lossSum / seen,
        accuracy: correct / seen,
        imagesPerSecond: (done * o.batchSize) / Math.max(elapsed, 1e-9),
        etaSeconds: (elapsed / done) * (totalSteps - globalStep),
      });
    }
    if (interrupted) {
      saveNow(epoch, step);
      break;
    }
    stepInEpoch = 0;
    const seconds = (performance.now() - t0) / 1000;
    const record: EpochRecord = {
      epoch: epoch + 1,
      trainLoss: seen ? lossSum / seen : Number.NaN,
      trainAccuracy: seen ? correct / seen : Number.NaN,
      seconds,
      imagesPerSecond: seen / seconds,
    };
    if (o.test) {
      const evalStart = performance.now();
      const ev = await evaluate(prepared, o.test, {
        weights,
        batchSize: o.evalBatchSize ?? 256,
        ...(o.normalization ? { normalization: o.normalization } : {}),
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
      });
      record.testLoss = ev.loss;
      record.testAccuracy = ev.accuracy;
      o.onProgress?.({
        phase: 'eval',
        epoch: epoch + 1,
        epochs: o.epochs,
        step: o.test.count,
        steps: o.test.count,
        loss: ev.loss,
        accuracy: ev.accuracy,
        imagesPerSecond: o.test.count / ((performance.now() - evalStart) / 1000),
        etaSeconds: 0,
      });
    }
    history.push(record);
    o.onEpochEnd?.({ weights, record });
    saveNow(epoch + 1, 0);
    if (o.stopAfterEpoch !== undefined && epoch + 1 >= o.stopAfterEpoch && epoch + 1 < o.epochs) {
      interrupted = true;
      epoch++;
      break;
    }
  }
  const last = history[history.length - 1];
  const out = weights.toModel(prepared);
  const meta = out.metadata;
  meta.set('prunefi.train.recipe', JSON.stringify(recipeOf(o)));
  meta.set('prunefi.train.seed', String(o.seed));
  meta.set('prunefi.train.epochs', String(history.length));
  meta.set('prunefi.train.data', o.train.name);
  if (last?.testAccuracy !== undefined) meta.set('prunefi.train.test_accuracy', last.testAccuracy.toFixed(4));
  if (last) meta.set('prunefi.train.train_accuracy', last.trainAccuracy.toFixed(4));
  meta.set('prunefi.train.parent_sha256', parentHash);
  // The names the labels followed: what the trained outputs mean from now on.
  if ('classes' in o.train) setModelClassNames(out, o.train.classes);
  return { model: out, weights, history, interrupted, globalStep };
}

/** Zeroes masked weights (and their optimizer state when given). */
function applyMasks(
  masks: ReadonlyMap<string, Uint8Array> | undefined,
  weights: WeightStore,
  params: readonly string[],
  optimizer?: { maskState(name: string, mask: Uint8Array): void },
): void {
  if (!masks) return;
  for (const [name, mask] of masks) {
    if (!params.includes(name)) {
      throw new PrunefiError(
        'TRAIN',
        `mask given for '${name}', which is not a trained parameter of the model`,
      );
    }
    const w = weights.get(name);
    if (mask.length !== w.length) {
      throw new PrunefiError(
        'TRAIN',
        `mask for '${name}' has ${mask.length} entries, the parameter ${w.length}`,
      );
    }
    for (let i = 0; i < w.length; i++) if (mask[i] === 0) w[i] = 0;
    optimizer?.maskState(name, mask);
  }
}
