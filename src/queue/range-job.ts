/**
 * The campaign-range job type: runs experiments [from, to) of a queued campaign with the same
 * engine a single-process campaign uses (`runCampaign`, into a throw-away in-memory store), so a
 * range run here gives the outcomes a local run gives. Prepared campaigns (sessions, golden
 * activations) are kept between jobs of the same campaign; a job of another campaign releases them.
 *
 * Refusals: a payload that does not fit the job schema, or whose config does not hash to the
 * campaign hash it names, fails at once (retrying cannot help); a job of another prunefi version,
 * or an artifact whose bytes do not hash to the hash the job names, fails this attempt, so a
 * worker of the right version (or a fresh fetch) can take it when BullMQ retries it.
 */
import { type Job, UnrecoverableError } from 'bullmq';
import { type PreparedCampaign, prepareCampaign } from '../campaign/config.js';
import { runCampaign } from '../campaign/engine.js';
import { CampaignStore } from '../campaign/store.js';
import { errorMessage } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import { decodeModel } from '../onnx/proto.js';
import { getArtifact } from './artifacts.js';
import type { JobType, WorkerContext } from './job-types.js';
import {
  checkVersion,
  type GoldenMeta,
  PRUNEFI_VERSION,
  parseRangeJob,
  RANGE_JOB,
  type RangeJob,
  type RangeResult,
} from './payload.js';
import { decodeSamples } from './samples-codec.js';

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
async function runRange(job: Job, ctx: WorkerContext, pool: PreparedPool): Promise<RangeResult> {
  let p: RangeJob;
  try {
    p = parseRangeJob(job.data);
  } catch (err) {
    throw new UnrecoverableError(errorMessage(err));
  }
  checkVersion(p.version, ctx.name);
  if (hashJson(p.config) !== p.configHash) {
    throw new UnrecoverableError(
      `the job's campaign config does not hash to its campaign hash ${p.configHash.slice(0, 12)}; refusing it`,
    );
  }
  const key = hashJson([p.configHash, p.samples, p.engine]);
  const prepared = await pool.acquire(key, async () => {
    const model = decodeModel(
      await getArtifact(ctx.redis, p.config.model.hash, ctx.cacheDir, 'the model'),
      'queued model',
    );
    const input = decodeSamples(await getArtifact(ctx.redis, p.samples, ctx.cacheDir, 'the samples'));
    return prepareCampaign(p.config, model, input, {
      ...p.engine,
      ...(ctx.threads !== undefined ? { threads: ctx.threads } : {}),
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
        worker: ctx.name,
      };
    } finally {
      store.close();
    }
  } finally {
    pool.release(key, prepared);
  }
}

/** Experiments [from, to) of a queued campaign (`campaign run|resume --queue`). */
export const RANGE_JOB_TYPE: JobType = {
  name: RANGE_JOB,
  description: 'a range of experiments of a queued campaign (campaign run|resume --queue)',
  reference: '',
  start(ctx) {
    const pool = new PreparedPool();
    return {
      run: (job) => runRange(job, ctx, pool),
      label(job) {
        const r = job.data?.range;
        return Array.isArray(r) ? `experiments ${r[0]}-${Number(r[1]) - 1}` : 'a campaign range';
      },
      close: () => pool.close(),
    };
  },
};
