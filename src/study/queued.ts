/**
 * `study --queue`: the study's coordinator hands its steps to `prunefi worker` processes through
 * BullMQ. A step is queued as soon as every step it depends on has finished (the base model,
 * then each variant's prune, then its evaluation and campaigns), so independent variants train
 * and run on different workers at once. BullMQ's flows are trees (a job has one parent), while a
 * study's steps form a DAG (a base model feeds every variant), so the coordinator releases each
 * step when its dependencies are stored instead of declaring one flow.
 *
 * Finished steps are stored exactly as a local run stores them (`ArtifactStore.finish`, with the
 * step's files fetched by hash), so a study may switch between local and queued runs, and a
 * coordinator killed at any moment resumes when the same command runs again: stored steps are
 * reused, and steps already queued are adopted by job id (`stepJobId`), their results waiting in
 * BullMQ's completed set until a coordinator stores them.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { atomicWrite } from '../core/atomic.js';
import { PrunefiError } from '../core/errors.js';
import { getArtifact, hasArtifact, putArtifact } from '../queue/artifacts.js';
import { connectCoordinator, sleep } from '../queue/coordinator-connection.js';
import { PRUNEFI_VERSION } from '../queue/payload.js';
import type { StudyConfig } from './config.js';
import type { Step } from './plan.js';
import { parseStepJobResult, STUDY_STEP_JOB, type StepJob, stepJobId } from './step-job.js';
import type { StepResult } from './steps.js';
import type { ArtifactStore } from './store.js';

/** Options of `runStepsOnQueue`. */
export interface QueuedStepsOptions {
  /** The `--queue` URL. */
  url: string;
  config: StudyConfig;
  /** The study folder. */
  dir: string;
  steps: readonly Step[];
  store: ArtifactStore;
  /** Finished results by step id: the stored ones on entry, every one on a complete return. */
  results: Map<string, StepResult>;
  /** Each model source of the config with its identity (see `sourceIdentity`). */
  sources: Record<string, string>;
  /** Folder of the local artifact cache (the data cache's root). */
  cacheDir: string;
  /** Content hash of the test split (workers must load the same data). */
  dataHash: string;
  signal?: AbortSignal;
  /** Called when a step's result is stored. */
  onStepDone: (step: Step, result: StepResult) => void;
  /** Steps stored, running and the live workers, after each change. */
  onProgress?: (done: number, total: number, running: string[], workers: number) => void;
  /** One status line (no newline). */
  log?: (line: string) => void;
}

/** Attempts of a step before the study stops with its error (a refusal by a wrong-version worker counts). */
const ATTEMPTS = 3;
const POLL_SECONDS = 0.25;
const RECONCILE_SECONDS = 2;

/**
 * Runs the steps `results` does not hold through the queue (see the module comment). Returns
 * `{ interrupted: true }` when the signal fires first: queued steps stay queued, running ones go
 * on, and the same command later stores their results.
 */
export async function runStepsOnQueue(o: QueuedStepsOptions): Promise<{ interrupted: boolean }> {
  const log = o.log ?? (() => {});
  const connection = connectCoordinator(o.url, log);
  const { redis, queue } = connection;
  // What a queued step reads from Redis, by hash, so it can be put again if Redis loses it.
  const artifacts = new Map<string, string>();
  // A finished step's files never change, so each is read, hashed and put once, however many
  // steps depend on it (a model feeds its evaluation and every campaign).
  const hashes = new Map<string, string>();
  const putFile = async (file: string, what: string): Promise<string> => {
    const known = hashes.get(file);
    if (known !== undefined) return known;
    const hash = await putArtifact(redis, readFileSync(file), what);
    artifacts.set(hash, file);
    hashes.set(file, hash);
    return hash;
  };
  try {
    for (const source of Object.keys(o.sources))
      if (!source.startsWith('zoo:')) await putFile(resolve(source), `model ${source}`);
    const outstanding = new Map<string, { step: Step; job: StepJob }>();
    // A failed job of an earlier run is queued anew (its cause may be fixed); others are adopted.
    for (const step of o.steps) {
      if (o.results.has(step.id)) continue;
      const id = stepJobId(step);
      if ((await queue.getJobState(id)) === 'failed') await (await queue.getJob(id))?.remove();
    }
    const payload = async (step: Step): Promise<StepJob> => ({
      version: PRUNEFI_VERSION,
      config: o.config,
      step: step.id,
      key: step.key,
      sources: o.sources,
      data: o.dataHash,
      inputs: await Promise.all(
        step.deps.map(async (id) => {
          const result = o.results.get(id);
          if (result?.kind !== 'model') throw new Error(`internal: dependency ${id} is not a model`);
          return {
            step: id,
            result,
            model: await putFile(resolve(o.dir, result.file), `the model of ${id}`),
          };
        }),
      ),
    });
    const enqueue = async (step: Step, job: StepJob): Promise<void> => {
      await queue.add(STUDY_STEP_JOB, job, {
        jobId: stepJobId(step),
        attempts: ATTEMPTS,
        backoff: { type: 'fixed', delay: 1000 },
      });
    };
    const release = async (): Promise<void> => {
      for (const step of o.steps) {
        const id = stepJobId(step);
        if (o.results.has(step.id) || outstanding.has(id)) continue;
        if (!step.deps.every((d) => o.results.has(d))) continue;
        const job = await payload(step);
        await enqueue(step, job);
        outstanding.set(id, { step, job });
      }
    };
    const store = async (step: Step, value: unknown): Promise<void> => {
      const r = parseStepJobResult(value, step);
      const folder = o.store.dir(step);
      for (const [name, hash] of Object.entries(r.files)) {
        const file = join(folder, name);
        const bytes = await getArtifact(redis, hash, o.cacheDir, `${step.id}'s ${name}`);
        atomicWrite(file, bytes, { what: `${step.id}'s ${name}` });
      }
      const output =
        r.output.kind === 'model'
          ? { ...r.output, file: relative(o.dir, join(folder, 'model.onnx')) }
          : r.output;
      const result = { ...output, seconds: r.seconds } as StepResult;
      o.store.finish(step, result);
      o.results.set(step.id, result);
      log(`coordinator: ${step.id} done on ${r.worker} in ${r.seconds.toFixed(1)} s`);
      o.onStepDone(step, result);
    };

    await release();
    const pending = o.steps.filter((s) => !o.results.has(s.id)).length;
    log(
      `coordinator: study '${o.config.name}' on ${connection.display}: ${pending} of ${o.steps.length} steps to run, ${outstanding.size} queued now (the rest once their inputs are done)`,
    );
    let workers = await queue.getWorkersCount();
    const report = (): void =>
      o.onProgress?.(
        o.results.size,
        o.steps.length,
        [...outstanding.values()].map((v) => v.step.id),
        workers,
      );
    report();
    let lastReconcile = performance.now();
    while (outstanding.size > 0) {
      if (o.signal?.aborted) return { interrupted: true };
      let changed = false;
      for (const job of await queue.getCompleted(0, -1)) {
        const entry = job?.id ? outstanding.get(job.id) : undefined;
        if (!job?.id || !entry) continue;
        await store(entry.step, job.returnvalue);
        await job.remove();
        outstanding.delete(job.id);
        changed = true;
      }
      for (const job of await queue.getFailed(0, -1)) {
        const entry = job?.id ? outstanding.get(job.id) : undefined;
        if (!job?.id || !entry) continue;
        throw new PrunefiError(
          'QUEUE',
          `study step '${entry.step.id}' failed ${job.attemptsMade} times; last error: ${job.failedReason}. Fix the cause and run the same command again (finished steps are kept)`,
        );
      }
      if (changed) {
        await release();
        report();
      }
      if (performance.now() - lastReconcile > RECONCILE_SECONDS * 1000) {
        lastReconcile = performance.now();
        for (const [hash, file] of artifacts)
          if (!(await hasArtifact(redis, hash))) await putArtifact(redis, readFileSync(file), file);
        for (const [id, { step, job }] of outstanding) {
          if ((await queue.getJobState(id)) === 'unknown') {
            log(`coordinator: the job of ${step.id} was lost from Redis; queuing it again`);
            await enqueue(step, job);
          }
        }
        workers = await queue.getWorkersCount();
        report();
      }
      await sleep(POLL_SECONDS, o.signal);
    }
    if (o.steps.some((s) => !o.results.has(s.id)))
      throw new Error('internal: the queue finished with steps left');
    return { interrupted: false };
  } finally {
    await connection.close();
  }
}
