/**
 * What travels through the queue: the payload of a campaign-range job and the result a worker
 * returns. Both sides check everything they read against these shapes before using it (the queue
 * is shared, and a job is data, never code): a payload or result that does not fit is refused
 * with a message naming the first bad field.
 */
import { readFileSync } from 'node:fs';
import type { CampaignConfig } from '../campaign/config.js';
import type { ExperimentRecord } from '../campaign/store.js';
import { PrunefiError } from '../core/errors.js';

/** The BullMQ queue every prunefi campaign job goes through. */
export const QUEUE_NAME = 'prunefi-campaigns';
/** The job name of a range of experiments of a campaign. */
export const RANGE_JOB = 'campaign-range';

/** The installed prunefi version: workers refuse jobs of another version (results could differ). */
export const PRUNEFI_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Refuses a job queued by another prunefi version (its results could differ). A plain error, not
 * an unrecoverable one: BullMQ retries the job, so a worker of the right version can take it.
 */
export function checkVersion(version: string, worker: string): void {
  if (version !== PRUNEFI_VERSION) {
    throw new PrunefiError(
      'QUEUE',
      `worker ${worker} runs prunefi ${PRUNEFI_VERSION} but the job comes from prunefi ${version}; run workers of the coordinator's version`,
    );
  }
}

/** Runtime choices that do not change outcomes, chosen by the coordinator for every worker. */
export interface EngineSpec {
  mode: 'fast' | 'naive';
  batch: number;
  cacheMiB: number;
}

/** A job: run experiments `range[0]` ≤ i < `range[1]` of the campaign `config`. */
export interface RangeJob {
  version: string;
  /** hashJson(config): the store's config hash, re-checked by the worker. */
  configHash: string;
  config: CampaignConfig;
  /** sha256 of the encoded samples artifact (the model artifact is `config.model.hash`). */
  samples: string;
  range: [number, number];
  engine: EngineSpec;
}

/** The golden reference as the store keeps it (meta 'golden'). */
export interface GoldenMeta {
  images: number;
  correct: number;
  accuracy: number;
  tokens: number;
  tokenCorrect: number;
}

/** What a worker returns for a job: one record per experiment of the range, in index order. */
export interface RangeResult {
  version: string;
  configHash: string;
  range: [number, number];
  golden: GoldenMeta;
  /** maxLogitDeviation +Infinity travels as null (JSON), as the store keeps it. */
  records: ExperimentRecord[];
  /** The worker's name, for logs. */
  worker: string;
}

/** A shape check of queued data: throws a QUEUE error naming the path of the first bad field. */
export class PayloadCheck {
  constructor(private readonly what: string) {}

  fail(path: string, expected: string): never {
    throw new PrunefiError(
      'QUEUE',
      `${this.what} is malformed: ${path} must be ${expected}; nothing was run or stored from it`,
    );
  }

  obj(v: unknown, path: string): Record<string, unknown> {
    if (!v || typeof v !== 'object' || Array.isArray(v)) this.fail(path, 'an object');
    return v as Record<string, unknown>;
  }

  str(v: unknown, path: string, re?: RegExp): string {
    if (typeof v !== 'string' || (re && !re.test(v)))
      this.fail(path, re ? `a string matching ${re}` : 'a string');
    return v;
  }

  int(v: unknown, path: string, min = 0): number {
    if (!Number.isSafeInteger(v) || (v as number) < min) this.fail(path, `an integer ≥ ${min}`);
    return v as number;
  }

  num(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'a finite number');
    return v;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'true or false');
    return v;
  }

  range(v: unknown, path: string): [number, number] {
    if (!Array.isArray(v) || v.length !== 2) this.fail(path, 'a [from, to] pair');
    const from = this.int(v[0], `${path}[0]`);
    const to = this.int(v[1], `${path}[1]`, from + 1);
    return [from, to];
  }
}

export const HASH = /^[0-9a-f]{64}$/;

/**
 * Checks a job payload's shape. The config's parts are checked as far as this module knows them;
 * the plan spec is checked by `buildPlan` itself when the worker prepares the campaign, and the
 * config as a whole by its hash.
 */
export function parseRangeJob(data: unknown): RangeJob {
  const c: PayloadCheck = new PayloadCheck('the queued job');
  const o = c.obj(data, 'job');
  c.str(o.version, 'version');
  c.str(o.configHash, 'configHash', HASH);
  c.str(o.samples, 'samples', HASH);
  c.range(o.range, 'range');
  const cfg = c.obj(o.config, 'config');
  const model = c.obj(cfg.model, 'config.model');
  c.str(model.spec, 'config.model.spec');
  c.str(model.hash, 'config.model.hash', HASH);
  const d = c.obj(cfg.data, 'config.data');
  c.str(d.spec, 'config.data.spec');
  c.str(d.split, 'config.data.split');
  c.int(d.perClass, 'config.data.perClass');
  c.str(d.hash, 'config.data.hash', HASH);
  const m = c.obj(cfg.memory, 'config.memory');
  c.str(m.numberFormat, 'config.memory.numberFormat');
  c.str(m.storage, 'config.memory.storage');
  c.bool(m.faultScales, 'config.memory.faultScales');
  c.bool(m.foldBn, 'config.memory.foldBn');
  // Each protection's options are checked where the worker stores the model (checkProtections).
  if (m.protect !== undefined && !Array.isArray(m.protect))
    c.fail('config.memory.protect', 'a list of protections');
  c.str(c.obj(cfg.plan, 'config.plan').kind, 'config.plan.kind');
  c.int(cfg.seed, 'config.seed');
  if (cfg.stopping !== undefined) {
    // Workers run plain ranges; the coordinator applies the rule (looks.ts). Checked for the hash.
    const st = c.obj(cfg.stopping, 'config.stopping');
    c.num(st.halfWidth, 'config.stopping.halfWidth');
    c.int(st.every, 'config.stopping.every', 1);
    if (st.confidence !== undefined) c.num(st.confidence, 'config.stopping.confidence');
  }
  const e = c.obj(o.engine, 'engine');
  if (e.mode !== 'fast' && e.mode !== 'naive') c.fail('engine.mode', "'fast' or 'naive'");
  c.int(e.batch, 'engine.batch', 1);
  c.int(e.cacheMiB, 'engine.cacheMiB', 1);
  return o as unknown as RangeJob;
}

const RECORD_INTS = [
  'index',
  'bit',
  'faultCount',
  'images',
  'correct',
  'sdc',
  'criticalSdc',
  'tokens',
  'tokenCorrect',
  'tokenSdc',
  'nanImages',
  'infImages',
  'wordsChanged',
  'weightsChanged',
  'corrected',
  'detected',
  'imagesRun',
] as const;

/**
 * Checks a worker's result against the job it answers: same version and campaign, one record per
 * experiment of the range in index order, every field of the stored type. Returns the records
 * with +Infinity restored for a null maxLogitDeviation.
 */
export function parseRangeResult(value: unknown, job: RangeJob): RangeResult {
  const c: PayloadCheck = new PayloadCheck(`the result of job [${job.range[0]}, ${job.range[1]})`);
  const o = c.obj(value, 'result');
  c.str(o.version, 'version');
  if (o.configHash !== job.configHash) c.fail('configHash', `the job's ${job.configHash.slice(0, 12)}`);
  const [from, to] = c.range(o.range, 'range');
  if (from !== job.range[0] || to !== job.range[1])
    c.fail('range', `the job's [${job.range[0]}, ${job.range[1]})`);
  const g = c.obj(o.golden, 'golden');
  for (const k of ['images', 'correct', 'tokens', 'tokenCorrect'] as const) c.int(g[k], `golden.${k}`);
  c.num(g.accuracy, 'golden.accuracy');
  c.str(o.worker, 'worker');
  if (!Array.isArray(o.records) || o.records.length !== to - from) c.fail('records', `${to - from} records`);
  const records = o.records.map((v, k): ExperimentRecord => {
    const p = `records[${k}]`;
    const r = c.obj(v, p);
    for (const f of RECORD_INTS) c.int(r[f], `${p}.${f}`, f === 'bit' ? -1 : 0);
    if (r.index !== from + k) c.fail(`${p}.index`, String(from + k));
    c.str(r.stratum, `${p}.stratum`);
    c.str(r.layer, `${p}.layer`);
    if (r.effect !== 'none' && r.effect !== 'masked' && r.effect !== 'run')
      c.fail(`${p}.effect`, 'none, masked or run');
    c.num(r.accuracy, `${p}.accuracy`);
    c.num(r.seconds, `${p}.seconds`);
    if (r.maxLogitDeviation !== null) c.num(r.maxLogitDeviation, `${p}.maxLogitDeviation`);
    if (!Array.isArray(r.faults)) c.fail(`${p}.faults`, 'an array');
    r.faults.forEach((fv, j) => {
      const f = c.obj(fv, `${p}.faults[${j}]`);
      c.str(f.tensor, `${p}.faults[${j}].tensor`);
      c.str(f.region, `${p}.faults[${j}].region`);
      c.int(f.index, `${p}.faults[${j}].index`);
      c.int(f.bit, `${p}.faults[${j}].bit`);
      c.str(f.type, `${p}.faults[${j}].type`);
      if (f.length !== undefined) c.int(f.length, `${p}.faults[${j}].length`, 1);
    });
    return {
      ...(r as unknown as ExperimentRecord),
      maxLogitDeviation: (r.maxLogitDeviation as number | null) ?? Number.POSITIVE_INFINITY,
    };
  });
  return { ...(o as unknown as RangeResult), records };
}
