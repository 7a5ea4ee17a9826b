/**
 * The coordinator of a queued campaign: the process that ran `campaign run|resume --queue`. It
 * puts the model and samples in Redis by hash, splits the experiments the store does not hold
 * into range jobs (ids `<campaign hash>-<from>-<to>`, so a re-run coordinator adopts the jobs a
 * previous one queued instead of queuing them twice), and writes each finished job's records into
 * the store exactly as a local run would, skipping any experiment already stored. Job sizes follow
 * `sizing.ts`: from `--job-size`, else the stored experiments' times, else a probe job's.
 *
 * It polls instead of subscribing to events: an event missed while Redis restarts or while no
 * coordinator runs is never lost, because finished jobs wait in BullMQ's completed set until the
 * coordinator has stored them and removed them. Every few seconds it also re-puts lost artifacts
 * and re-queues lost jobs (Redis restarted without persistence), and counts the live workers.
 */
import type { CampaignConfig } from '../campaign/config.js';
import { goldenMetaJson, memoryMetaJson } from '../campaign/engine.js';
import type { ImageInput, SampleInput } from '../campaign/evaluator.js';
import { storedModelOf } from '../campaign/evaluator.js';
import { buildPlan } from '../campaign/plan.js';
import type { CampaignStore, ExperimentRecord } from '../campaign/store.js';
import { PrunefiError } from '../core/errors.js';
import { hashBytes } from '../core/hash.js';
import type { ProgressCallback } from '../core/progress.js';
import type { Model } from '../onnx/ir.js';
import { encodeModel } from '../onnx/proto.js';
import { hasArtifact, putArtifact } from './artifacts.js';
import { connectCoordinator, sleep } from './coordinator-connection.js';
import { Looks } from './looks.js';
import {
  type EngineSpec,
  type GoldenMeta,
  PRUNEFI_VERSION,
  parseRangeJob,
  parseRangeResult,
  RANGE_JOB,
  type RangeJob,
} from './payload.js';
import { encodeSamples } from './samples-codec.js';
import { jobSize, medianSeconds, PROBE_EXPERIMENTS, splitRanges } from './sizing.js';

/** Options of `runQueuedCampaign`. */
export interface QueuedCampaignOptions {
  /** The `--queue` URL. */
  url: string;
  store: CampaignStore;
  config: CampaignConfig;
  model: Model;
  input: ImageInput | SampleInput;
  /** Only experiments from ≤ i < to (a shard); default the whole plan. */
  range?: [number, number];
  engine: EngineSpec;
  /** Experiments per job; default from the time per experiment (sizing.ts). */
  jobSize?: number;
  signal: AbortSignal;
  onProgress?: ProgressCallback;
  /** One status line (no newline). */
  log?: (line: string) => void;
}

/** What a queued run did. */
export interface QueuedCampaignResult {
  planned: number;
  /** Experiments stored in the range, after this call. */
  done: number;
  /** Experiments this call stored. */
  ranNow: number;
  /** Sequential stopping ended the campaign before the range's end (now or in an earlier run). */
  stoppedEarly: boolean;
  interrupted: boolean;
  seconds: number;
  /** Jobs whose results this call stored. */
  jobs: number;
  /** Experiments per job this call queued (0 when it queued none). */
  jobSize: number;
}

/** Attempts of a job before the campaign stops with its error (a refusal by a wrong-version worker counts). */
const ATTEMPTS = 5;
/** Seconds between two looks at the completed jobs. */
const POLL_SECONDS = 0.2;
/** Seconds between reconciliations (artifacts, lost jobs, worker count). */
const RECONCILE_SECONDS = 2;

const GOLDEN_KEYS = ['images', 'correct', 'tokens', 'tokenCorrect'] as const;

/**
 * Runs a campaign through the queue (see the module comment). Returns when every experiment of
 * the range is stored, or when the signal fires (queued jobs stay queued and running ones go on;
 * the same command later stores their results).
 */
export async function runQueuedCampaign(o: QueuedCampaignOptions): Promise<QueuedCampaignResult> {
  const t0 = performance.now();
  const { store, config } = o;
  const modelBytes = encodeModel(o.model);
  if (hashBytes(modelBytes) !== config.model.hash) {
    throw new PrunefiError(
      'CAMPAIGN_CONFIG_MISMATCH',
      `the model's content hash differs from the campaign's ${config.model.hash.slice(0, 12)}; run with the original model`,
    );
  }
  const samplesBytes = encodeSamples(o.input);
  const { memory } = storedModelOf(o.model, config.memory);
  const plan = buildPlan(config.plan, memory, config.seed);
  if (!o.store.meta('memory')) o.store.setMeta('memory', memoryMetaJson(memory));
  const [from, to] = o.range ?? [0, plan.size];
  if (
    !(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to && to <= plan.size)
  ) {
    throw new RangeError(`range [${from}, ${to}) must lie within the plan's ${plan.size} experiments`);
  }
  const log = o.log ?? (() => {});
  const connection = connectCoordinator(o.url, log);
  const { redis, queue } = connection;
  try {
    const samplesHash = await putArtifact(redis, samplesBytes, 'the samples');
    await putArtifact(redis, modelBytes, 'the model');
    const prefix = `${store.configHash.slice(0, 24)}-`;
    const payload = (range: [number, number]): RangeJob => ({
      version: PRUNEFI_VERSION,
      configHash: store.configHash,
      config,
      samples: samplesHash,
      range,
      engine: o.engine,
    });
    const done = new Set(store.doneIndices());
    let doneInRange = [...done].filter((i) => i >= from && i < to).length;
    const total = to - from;
    const outstanding = new Map<string, RangeJob>();

    // Adopt this campaign's jobs that a previous coordinator queued; failed ones are queued anew.
    const existing = await queue.getJobs(['wait', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
    for (const job of existing) {
      if (!job?.id?.startsWith(prefix)) continue;
      if ((await job.getState()) === 'failed') {
        await job.remove();
        continue;
      }
      outstanding.set(job.id, parseRangeJob(job.data));
    }
    const covered = new Set<number>();
    for (const p of outstanding.values()) for (let i = p.range[0]; i < p.range[1]; i++) covered.add(i);
    let uncovered: number[] = [];
    for (let i = from; i < to; i++) if (!done.has(i) && !covered.has(i)) uncovered.push(i);

    const times = store.records().map((r) => r.seconds);
    let size = o.jobSize ?? (times.length ? jobSize(medianSeconds(times)) : undefined);
    let jobs = 0;
    let ranNow = 0;
    const looks = new Looks(store, plan, config.stopping, [from, to]);
    // Results wait here until the look they belong to may be stored (see Looks).
    const held = new Map<number, ExperimentRecord>();
    const storeHeld = (): void => {
      for (;;) {
        const end = looks.storableEnd();
        for (const [i, r] of [...held].sort((a, b) => a[0] - b[0])) {
          if (i >= end) break;
          store.insert(r);
          held.delete(i);
          done.add(i);
          doneInRange++;
          ranNow++;
        }
        if (!looks.advance(done)) return;
      }
    };
    // Only experiments up to the look after the current one are queued: a stop discards little.
    const queueable = (): number[] => {
      const end = looks.queueableEnd();
      const now = uncovered.filter((i) => i < end);
      uncovered = uncovered.filter((i) => i >= end);
      return now;
    };
    const enqueue = async (ranges: [number, number][]): Promise<void> => {
      for (const r of ranges) {
        const id = `${prefix}${r[0]}-${r[1]}`;
        const p = payload(r);
        await queue.add(RANGE_JOB, p, {
          jobId: id,
          attempts: ATTEMPTS,
          backoff: { type: 'fixed', delay: 1000 },
        });
        outstanding.set(id, p);
      }
    };
    storeHeld();
    if (looks.stopped) uncovered = [];
    if (size !== undefined) {
      await enqueue(splitRanges(queueable(), size));
    } else if (uncovered.length) {
      const probe = splitRanges(uncovered, PROBE_EXPERIMENTS)[0]!;
      await enqueue([probe]);
      uncovered = uncovered.filter((i) => i >= probe[1] || i < probe[0]);
    }
    log(
      `coordinator: campaign ${store.configHash.slice(0, 12)} on ${connection.display}: ${total - doneInRange} of ${total} experiments to run, ${outstanding.size} job(s) queued${size === undefined ? ' (a probe job first, to size the rest)' : ` of ${size} experiments`}`,
    );

    let workers = await queue.getWorkersCount();
    const report = (): void =>
      o.onProgress?.({ unit: 'experiments', done: doneInRange, total, figures: { workers } });
    report();
    let lastReconcile = performance.now();
    let interrupted = false;
    while ((outstanding.size > 0 || uncovered.length > 0) && !looks.stopped) {
      if (o.signal.aborted) {
        interrupted = true;
        break;
      }
      for (const job of await queue.getCompleted(0, -1)) {
        const p = job?.id ? outstanding.get(job.id) : undefined;
        if (!job?.id || !p) continue;
        const result = parseRangeResult(job.returnvalue, p);
        const golden = store.meta('golden');
        if (golden === undefined) {
          store.setMeta('golden', goldenMetaJson(result.golden));
        } else {
          const stored = JSON.parse(golden) as GoldenMeta;
          const k = GOLDEN_KEYS.find((key) => stored[key] !== result.golden[key]);
          if (k) {
            throw new PrunefiError(
              'QUEUE',
              `worker ${result.worker} scored the unfaulted model differently (golden ${k} ${result.golden[k]}, stored ${stored[k]}); its outcomes would not compare with the stored ones: run every worker with the same prunefi and onnxruntime-node`,
            );
          }
        }
        for (const r of result.records) {
          if (done.has(r.index)) continue;
          held.set(r.index, r);
          times.push(r.seconds);
        }
        storeHeld();
        jobs++;
        await job.remove();
        outstanding.delete(job.id);
        report();
      }
      if (looks.stopped) break;
      for (const job of await queue.getFailed(0, -1)) {
        if (!job?.id || !outstanding.has(job.id)) continue;
        throw new PrunefiError(
          'QUEUE',
          `job ${job.id} failed ${job.attemptsMade} times; last error: ${job.failedReason}. Fix the cause and run the same command again (stored experiments are kept)`,
        );
      }
      if (size === undefined && times.length > 0) {
        size = jobSize(medianSeconds(times));
        log(
          `coordinator: ${(medianSeconds(times) * 1000).toFixed(1)} ms per experiment: ${size} experiments per job`,
        );
      }
      if (size !== undefined && uncovered.length) {
        const now = queueable();
        if (now.length) await enqueue(splitRanges(now, size));
      }
      if (performance.now() - lastReconcile > RECONCILE_SECONDS * 1000) {
        lastReconcile = performance.now();
        if (!(await hasArtifact(redis, samplesHash))) await putArtifact(redis, samplesBytes, 'the samples');
        if (!(await hasArtifact(redis, config.model.hash))) await putArtifact(redis, modelBytes, 'the model');
        for (const [id, p] of outstanding) {
          if ((await queue.getJobState(id)) === 'unknown') {
            log(`coordinator: job ${id} was lost from Redis; queuing it again`);
            await queue.add(RANGE_JOB, p, {
              jobId: id,
              attempts: ATTEMPTS,
              backoff: { type: 'fixed', delay: 1000 },
            });
          }
        }
        workers = await queue.getWorkersCount();
        report();
      }
      await sleep(POLL_SECONDS, o.signal);
    }
    if (looks.stopped) {
      // Jobs past the stop are not needed: drop the waiting ones and any finished ones (a running
      // job cannot be removed while its worker holds it; its result is never read).
      for (const id of outstanding.keys()) await queue.remove(id).catch(() => 0);
    }
    return {
      planned: total,
      done: doneInRange,
      ranNow,
      stoppedEarly: looks.stopped,
      interrupted,
      seconds: (performance.now() - t0) / 1000,
      jobs,
      jobSize: size ?? 0,
    };
  } finally {
    await connection.close();
  }
}
