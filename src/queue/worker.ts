/**
 * `prunefi worker`: takes campaign-range jobs from the queue and runs them with the same engine a
 * single-process campaign uses (`runCampaign`, into a throw-away in-memory store), so a range run
 * here gives the outcomes a local run gives. Prepared campaigns (sessions, golden activations)
 * are kept between jobs of the same campaign; a job of another campaign releases them.
 *
 * Refusals: a payload that does not fit the job schema, or whose config does not hash to the
 * campaign hash it names, fails at once (retrying cannot help); a job of another prunefi version,
 * or an artifact whose bytes do not hash to the hash the job names, fails this attempt, so a
 * worker of the right version (or a fresh fetch) can take it when BullMQ retries it.
 */
import { hostname } from 'node:os';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type PreparedCampaign, prepareCampaign } from '../campaign/config.js';
import { runCampaign } from '../campaign/engine.js';
import { CampaignStore } from '../campaign/store.js';
import { errorMessage, PrunefiError } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import { decodeModel } from '../onnx/proto.js';
import { getArtifact } from './artifacts.js';
import {
  type GoldenMeta,
  PRUNEFI_VERSION,
  parseRangeJob,
  QUEUE_NAME,
  RANGE_JOB,
  type RangeJob,
  type RangeResult,
} from './payload.js';
import { decodeSamples } from './samples-codec.js';
import { parseQueueUrl, redisOptions } from './url.js';

/** Options of `runWorker`. */
export interface WorkerRunOptions {
  /** The `--queue` URL. */
  url: string;
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

/** Prepared campaigns by (campaign, engine) key, idle ones kept for the next job of the key. */
class PreparedPool {
  private readonly idle = new Map<string, PreparedCampaign[]>();

  /** An idle prepared campaign of `key`, or a new one from `make`; other keys' idle ones are released. */
  async acquire(key: string, make: () => Promise<PreparedCampaign>): Promise<PreparedCampaign> {
    for (const [k, list] of this.idle) {
      if (k === key) continue;
      this.idle.delete(k);
      await Promise.all(list.map((p) => p.evaluator.release()));
    }
    return this.idle.get(key)?.pop() ?? (await make());
  }

  /** Returns a prepared campaign for reuse. */
  release(key: string, p: PreparedCampaign): void {
    const list = this.idle.get(key) ?? [];
    list.push(p);
    this.idle.set(key, list);
  }

  /** Releases every idle prepared campaign. */
  async close(): Promise<void> {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((p) => p.evaluator.release()));
  }
}

/** Runs one job's range and returns its result (see the module comment for refusals). */
async function runJob(
  job: Job,
  name: string,
  redis: Redis,
  pool: PreparedPool,
  o: WorkerRunOptions,
): Promise<RangeResult> {
  if (job.name !== RANGE_JOB)
    throw new UnrecoverableError(`unknown job type '${job.name}'; this worker runs ${RANGE_JOB} jobs only`);
  let p: RangeJob;
  try {
    p = parseRangeJob(job.data);
  } catch (err) {
    throw new UnrecoverableError(errorMessage(err));
  }
  if (p.version !== PRUNEFI_VERSION) {
    throw new PrunefiError(
      'QUEUE',
      `worker ${name} runs prunefi ${PRUNEFI_VERSION} but the job comes from prunefi ${p.version}; run workers of the coordinator's version`,
    );
  }
  if (hashJson(p.config) !== p.configHash) {
    throw new UnrecoverableError(
      `the job's campaign config does not hash to its campaign hash ${p.configHash.slice(0, 12)}; refusing it`,
    );
  }
  const key = hashJson([p.configHash, p.samples, p.engine]);
  const prepared = await pool.acquire(key, async () => {
    const model = decodeModel(
      await getArtifact(redis, p.config.model.hash, o.cacheDir, 'the model'),
      'queued model',
    );
    const input = decodeSamples(await getArtifact(redis, p.samples, o.cacheDir, 'the samples'));
    return prepareCampaign(p.config, model, input, {
      ...p.engine,
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
    });
  });
  try {
    const store = CampaignStore.openOrCreate(':memory:', p.config);
    try {
      await runCampaign({ store, evaluator: prepared.evaluator, plan: prepared.plan, range: p.range });
      return {
        version: PRUNEFI_VERSION,
        configHash: p.configHash,
        range: p.range,
        golden: store.metaJson('golden', null) as GoldenMeta,
        records: store.records(),
        worker: name,
      };
    } finally {
      store.close();
    }
  } finally {
    pool.release(key, prepared);
  }
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
  const pool = new PreparedPool();
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job) => {
      const t0 = performance.now();
      const [from, to] = Array.isArray(job.data?.range) ? (job.data.range as [number, number]) : [0, 0];
      o.log(`worker ${name}: job ${job.id} experiments ${from}-${to - 1} started`);
      try {
        const r = await runJob(job, name, redis, pool, o);
        const s = (performance.now() - t0) / 1000;
        o.log(`worker ${name}: job ${job.id} done: ${r.records.length} experiments in ${s.toFixed(2)} s`);
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
    `worker ${name}: prunefi ${PRUNEFI_VERSION} waiting for jobs on ${conn.display} (concurrency ${o.concurrency})`,
  );
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    else o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  o.log(`worker ${name}: stopping after the running jobs`);
  await worker.close();
  await pool.close();
  redis.disconnect();
  o.log(`worker ${name}: stopped`);
}
