/**
 * `prunefi worker`: takes jobs from the queue and runs each with the code of its job type
 * (`job-types.ts`): campaign ranges, and whatever types the caller adds (the CLI adds study steps).
 * A job of a type this worker does not run is refused for good: the queue carries data, never code.
 */
import { hostname } from 'node:os';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { errorMessage } from '../core/errors.js';
import { Registry } from '../core/registry.js';
import type { JobRunner, JobType, WorkerContext } from './job-types.js';
import { PRUNEFI_VERSION, QUEUE_NAME } from './payload.js';
import { parseQueueUrl, redisOptions } from './url.js';

/** Options of `runWorker`. */
export interface WorkerRunOptions {
  /** The `--queue` URL. */
  url: string;
  /** The job types this worker runs. */
  jobTypes: readonly JobType[];
  /** Jobs run at once (each with its own sessions). */
  concurrency: number;
  /** ONNX Runtime intra-op threads per session (default: the runtime's default). */
  threads?: number;
  /** Folder of the local artifact cache. */
  cacheDir: string;
  /**
   * Seconds without a lock renewal after which a job counts as stalled and goes to another
   * worker (BullMQ's lockDuration); the stalled check runs every half of it.
   */
  stallSeconds: number;
  /** Stops taking jobs; running ones finish first. */
  signal: AbortSignal;
  /** One progress line (no newline). */
  log: (line: string) => void;
}

/**
 * Runs a worker until the signal fires, then lets running jobs finish and disconnects. Progress
 * goes to `log`, one line per event: ready, each job started and finished, refusals, connection
 * losses (once until the connection is back).
 */
export async function runWorker(o: WorkerRunOptions): Promise<void> {
  const conn = parseQueueUrl(o.url);
  const name = `${hostname()}:${process.pid}`;
  const redis = new Redis({ ...redisOptions(conn), lazyConnect: false });
  let offline = false;
  const lost = (err: unknown): void => {
    if (offline) return;
    offline = true;
    o.log(`worker ${name}: connection to ${conn.display} lost (${errorMessage(err)}); reconnecting`);
  };
  redis.on('error', lost);
  // A Redis that restarts between two retries never makes a command fail: the closed socket is
  // the only sign, and the operator should still see it.
  redis.on('close', () => lost(new Error('connection closed')));
  redis.on('ready', () => {
    if (offline) o.log(`worker ${name}: reconnected to ${conn.display}`);
    offline = false;
  });
  const ctx: WorkerContext = {
    name,
    redis,
    cacheDir: o.cacheDir,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    log: o.log,
  };
  const types = new Registry<JobType>('queue job type', o.jobTypes);
  const runners = new Map<string, JobRunner>(o.jobTypes.map((t) => [t.name, t.start(ctx)]));
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job) => {
      const runner = runners.get(job.name);
      if (!runner) {
        throw new UnrecoverableError(
          `unknown job type '${job.name}'; this worker runs ${types.names().join(', ')} jobs`,
        );
      }
      const t0 = performance.now();
      const what = runner.label(job);
      o.log(`worker ${name}: job ${job.id} ${what} started`);
      try {
        const r = await runner.run(job);
        const s = (performance.now() - t0) / 1000;
        o.log(`worker ${name}: job ${job.id} ${what} done: ${s.toFixed(2)} s`);
        return r;
      } catch (err) {
        o.log(`worker ${name}: job ${job.id} refused: ${errorMessage(err)}`);
        throw err;
      }
    },
    {
      connection: redisOptions(conn),
      concurrency: o.concurrency,
      name,
      lockDuration: o.stallSeconds * 1000,
      stalledInterval: (o.stallSeconds * 1000) / 2,
      // A job whose worker died is retried, however often workers die; a job that fails runs
      // out of attempts instead (the coordinator reports it).
      maxStalledCount: 1000,
    },
  );
  worker.on('error', lost);
  await worker.waitUntilReady();
  o.log(
    `worker ${name}: prunefi ${PRUNEFI_VERSION} waiting for jobs (${types.names().join(', ')}) on ${conn.display} (concurrency ${o.concurrency})`,
  );
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    else o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  o.log(`worker ${name}: stopping after the running jobs`);
  await worker.close();
  await Promise.all([...runners.values()].map((r) => r.close()));
  redis.disconnect();
  o.log(`worker ${name}: stopped`);
}
