/**
 * Runs a study: plans its steps, reuses every finished artifact whose key is unchanged, runs the
 * rest in dependency order, then writes the report. A partial report, marked as such, is written
 * after each variant the run finishes and on interruption, so a day-long study shows its results
 * as it goes. Interrupting (Ctrl-C) stops at a clean point; running the same command again
 * resumes (campaigns from their last stored experiment, training from its last checkpoint, other
 * steps from their start), and a resumed step's recorded time includes its earlier runs'.
 */

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { atomicWrite } from '../core/atomic.js';
import { errorMessage, PrunefiError } from '../core/errors.js';
import { hashBytes, hashJson } from '../core/hash.js';
import { InterruptedError, type Progress } from '../core/progress.js';
import { cacheRoot } from '../data/cache.js';
import { type RenderResult, renderReport } from '../report/index.js';
import type { ReportData } from '../report/model.js';
import type { StudyConfig } from './config.js';
import { StudyData } from './data.js';
import { type RemainingEstimate, StudyEta } from './eta.js';
import { planStudy, type Step } from './plan.js';
import { buildReportData, hostProvenance } from './report-data.js';
import { StepClock } from './step-clock.js';
import { runStep, type StepEnv, type StepResult } from './steps.js';
import { ArtifactStore } from './store.js';

/** Progress of a whole study: which step, and that step's own progress. */
export interface StudyProgress {
  /** 1-based index of the current step and the number of steps. */
  step: number;
  steps: number;
  id: string;
  /** The step was finished earlier and its artifact is reused. */
  reused: boolean;
  /** The current step's own progress, when it reports one. */
  inner?: Progress;
  /** Expected time of the steps after this one (see StudyEta). */
  after?: RemainingEstimate;
}

/** Options of `runStudy`. */
export interface StudyOptions {
  /** The command line that started the study (recorded for reruns). */
  command?: string;
  cacheDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: StudyProgress) => void;
  /** Called once per step with its outcome, for logs. */
  onStepDone?: (step: Step, result: StepResult, reused: boolean, index: number, total: number) => void;
  /** Called after a partial report was written (a variant finished, or the study was interrupted). */
  onPartialReport?: (report: RenderResult) => void;
  /**
   * Run the steps on `prunefi worker` processes through this queue (`redis://…`) instead of in
   * this process (see `queued.ts`).
   */
  queue?: string;
  /** `queue`: steps stored and running, and the live workers, after each change. */
  onQueueProgress?: (done: number, total: number, running: string[], workers: number) => void;
  /** `queue`: the coordinator's status lines. */
  log?: (line: string) => void;
}

/** What a finished study produced. */
export interface StudyResult {
  steps: number;
  reused: number;
  report: RenderResult;
  data: ReportData;
}

/**
 * A content identity for a model source: the sha256 of a file's bytes, or the zoo spec itself
 * (zoo builds are deterministic for a seed, and the seed is part of every step key).
 */
export function sourceIdentity(source: string, baseDir = process.cwd()): string {
  if (source.startsWith('zoo:')) return source;
  const path = resolve(baseDir, source);
  if (!existsSync(path)) {
    throw new PrunefiError(
      'MODEL_NOT_FOUND',
      `study model ${source} does not exist (resolved to ${path}); fix the models list or pass --models`,
    );
  }
  return hashBytes(readFileSync(path));
}

/** The results earlier runs stored for a plan's steps, by step id, and the ETA they time. */
function storedResults(
  steps: readonly Step[],
  store: ArtifactStore,
): { stored: Map<string, StepResult>; eta: StudyEta } {
  const stored = new Map<string, StepResult>();
  const eta = new StudyEta(steps);
  for (const step of steps) {
    if (!store.isDone(step)) continue;
    const r = store.result<StepResult>(step);
    stored.set(step.id, r);
    eta.record(step, r.seconds);
  }
  return { stored, eta };
}

/** A step of a study's plan as `previewStudy` sees it. */
export interface PlannedStep {
  step: Step;
  /** Finished by an earlier run in the study folder: it would be reused, not run. */
  done: boolean;
  /**
   * A finished step's recorded seconds; a pending step's expected seconds (see StudyEta), or
   * undefined when no step of its kind on its model has finished yet.
   */
  seconds?: number;
}

/**
 * What `runStudy(config, dir)` would do, in order, without doing any of it: the plan's steps, which
 * of them `dir` already holds, and the expected time of the others. Reads the study folder (when
 * it exists) and hashes model files; writes nothing.
 */
export function previewStudy(config: StudyConfig, dir: string): PlannedStep[] {
  const steps = planStudy(config, (s) => sourceIdentity(s));
  const { stored, eta } = storedResults(steps, new ArtifactStore(dir));
  return steps.map((step) => {
    const done = stored.get(step.id);
    const seconds = done ? done.seconds : eta.estimate(step);
    return { step, done: done !== undefined, ...(seconds !== undefined ? { seconds } : {}) };
  });
}

/** Runs (or resumes) a study in `dir` and renders its report there. */
export async function runStudy(
  config: StudyConfig,
  dir: string,
  options: StudyOptions = {},
): Promise<StudyResult> {
  mkdirSync(dir, { recursive: true });
  const started = new Date();
  atomicWrite(join(dir, 'study.json'), `${JSON.stringify(config, null, 2)}\n`);
  const steps = planStudy(config, (s) => sourceIdentity(s));
  const store = new ArtifactStore(dir);
  const results = new Map<string, StepResult>();
  let current: StudyProgress = { step: 0, steps: steps.length, id: '', reused: false };
  const data = new StudyData(
    config.data,
    config.trainSplit,
    config.testSplit,
    config.trainLimit,
    options.cacheDir,
    (p) => options.onProgress?.({ ...current, inner: p }),
  );
  const env: StepEnv = {
    config,
    dir,
    store,
    data,
    results,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (p) => options.onProgress?.({ ...current, inner: p }),
  };
  const durations: { step: string; seconds: number }[] = [];
  const writeReport = async (): Promise<{ report: RenderResult; data: ReportData }> => {
    const classes = (await data.test()).classes.length;
    const reportData = buildReportData(
      config,
      steps,
      results,
      {
        ...hostProvenance(),
        command: options.command ?? '',
        config,
        configHash: hashJson(config),
        seeds: { study: config.seed },
        durations,
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
      },
      classes,
    );
    return { report: renderReport(reportData, dir, { basename: 'report' }), data: reportData };
  };
  // A long study shows what it has: after each variant it finishes, and when interrupted.
  const writePartial = async (): Promise<void> => {
    if (![...results.values()].some((r) => r.kind === 'eval')) return;
    const { report } = await writeReport();
    options.onPartialReport?.(report);
  };
  // Results stored by earlier runs, read once: they are reused below and time the ETA from the start.
  const { stored, eta } = storedResults(steps, store);
  let reused = 0;
  if (options.queue !== undefined) {
    for (const [i, step] of steps.entries()) {
      const earlier = stored.get(step.id);
      if (!earlier) continue;
      results.set(step.id, earlier);
      reused++;
      options.onStepDone?.(step, earlier, true, i + 1, steps.length);
    }
    const { runStepsOnQueue } = await import('./queued.js');
    const sources = Object.fromEntries(config.models.map((m) => [m.source, sourceIdentity(m.source)]));
    const { interrupted } = await runStepsOnQueue({
      url: options.queue,
      config,
      dir,
      steps,
      store,
      results,
      sources,
      cacheDir: cacheRoot(options.cacheDir),
      dataHash: (await data.test()).hash,
      ...(options.signal ? { signal: options.signal } : {}),
      onStepDone: (step, result) => options.onStepDone?.(step, result, false, results.size, steps.length),
      ...(options.onQueueProgress ? { onProgress: options.onQueueProgress } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    // Steps finish in any order on a queue; the report lists their times in the plan's order.
    for (const step of steps) {
      const r = results.get(step.id);
      if (r) durations.push({ step: step.id, seconds: r.seconds });
    }
    if (interrupted) {
      await writePartial();
      throw new InterruptedError(
        'study interrupted: queued steps keep running on the workers; run the same command again to store their results',
      );
    }
  }
  for (const [i, step] of steps.entries()) {
    if (results.has(step.id)) continue;
    const earlier = stored.get(step.id);
    const done = earlier !== undefined;
    current = {
      step: i + 1,
      steps: steps.length,
      id: step.id,
      reused: done,
      after: eta.remainingAfter(i, (s) => stored.has(s.id)),
    };
    options.onProgress?.(current);
    let result: StepResult;
    if (earlier) {
      result = earlier;
      reused++;
    } else {
      const clock = new StepClock(store.timeFile(step));
      try {
        result = { ...(await runStep(step, env)), seconds: clock.seconds() };
      } catch (err) {
        clock.save();
        if ((err as Error).name === 'InterruptedError') await writePartial();
        if (err instanceof PrunefiError || (err as Error).name === 'InterruptedError') throw err;
        throw new PrunefiError('STUDY_CONFIG', `study step '${step.id}' failed: ${errorMessage(err)}`, {
          cause: err,
        });
      } finally {
        clock.stop();
      }
      store.finish(step, result);
      eta.record(step, result.seconds);
    }
    results.set(step.id, result);
    durations.push({ step: step.id, seconds: result.seconds });
    options.onStepDone?.(step, result, done, i + 1, steps.length);
    const next = steps[i + 1];
    const variantDone = step.kind !== 'base' && step.kind !== 'prune' && next?.variant !== step.variant;
    if (!done && next && variantDone) await writePartial();
  }
  const { report, data: reportData } = await writeReport();
  return { steps: steps.length, reused, report, data: reportData };
}
