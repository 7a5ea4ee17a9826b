/**
 * The campaign store and engine: complete runs, resume after an interruption (in-process abort,
 * and a real child process killed with SIGKILL), refusal of a database made for another config,
 * a full disk and a read-only database, export and summaries.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { type CampaignConfig, prepareCampaign } from '../../src/campaign/config.js';
import { runCampaign } from '../../src/campaign/engine.js';
import { CampaignStore, type ExperimentRecord, firstDifference } from '../../src/campaign/store.js';
import { recordsCsv, summarizeCampaign } from '../../src/campaign/summary.js';
import { saveModel } from '../../src/onnx/file.js';
import { tinyImages, tinyResnet } from '../fault/tiny.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { campaignConfig } from './campaign-fixture.js';

const strip = (rs: ExperimentRecord[]): Omit<ExperimentRecord, 'seconds'>[] =>
  rs.map(({ seconds: _s, ...r }) => r);

async function run(
  db: string,
  config: CampaignConfig,
  extra: Partial<Parameters<typeof runCampaign>[0]> = {},
) {
  const store = CampaignStore.openOrCreate(db, config);
  const { evaluator, plan } = await prepareCampaign(config, tinyResnet(), tinyImages(40), { threads: 1 });
  try {
    return {
      result: await runCampaign({ store, evaluator, plan, chunk: 16, ...extra }),
      records: store.records(),
    };
  } finally {
    store.close();
    await evaluator.release();
  }
}

test('a campaign interrupted (limit, abort) and resumed equals an uninterrupted one', async () => {
  const dir = tempDir();
  const config = campaignConfig(2);
  const whole = await run(join(dir, 'whole.db'), config);
  assert.equal(whole.result.done, 64);
  assert.equal(whole.records.length, 64);
  assert.deepEqual(
    whole.records.map((r) => r.index),
    [...Array(64).keys()],
  );
  const db = join(dir, 'parts.db');
  const first = await run(db, config, { maxExperiments: 20 });
  assert.equal(first.result.ranNow, 20);
  const ac = new AbortController();
  const second = await run(db, config, {
    signal: ac.signal,
    onProgress: (p) => {
      if (p.done >= 35) ac.abort();
    },
  });
  assert.equal(second.result.interrupted, true);
  assert.equal(second.result.done, 35);
  const third = await run(db, config);
  assert.equal(third.result.ranNow, 64 - 35);
  assert.deepEqual(strip(third.records), strip(whole.records));
  const again = await run(db, config);
  assert.equal(again.result.ranNow, 0, 'a finished campaign runs nothing more');
});

test('kill -9 of a real child process mid-run: resume ends with exactly the planned experiments', async () => {
  const dir = tempDir();
  const model = join(dir, 'tiny.onnx');
  saveModel(tinyResnet(), model);
  const db = join(dir, 'killed.db');
  const perBit = 30;
  const child = spawn(
    process.execPath,
    [join(REPO, 'dist/test/campaign/child-run.js'), model, db, String(perBit)],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, s) => res(s)));
  // Wait until the child has stored some rows, then kill it without warning.
  let seen = 0;
  for (let t = 0; t < 600 && seen < 100; t++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const probe = new Database(db, { readonly: true, fileMustExist: true });
      seen = (probe.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number }).n;
      probe.close();
    } catch {
      // not created yet
    }
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const store = CampaignStore.open(db);
  const before = store.count();
  store.close();
  assert.ok(before >= 100 && before < 32 * perBit, `killed mid-run with ${before} rows`);
  const resumed = await run(db, campaignConfig(perBit));
  assert.equal(resumed.result.done, 32 * perBit);
  assert.deepEqual(
    resumed.records.map((r) => r.index),
    [...Array(32 * perBit).keys()],
  );
  // Rows written before the kill equal a fresh evaluation of the same experiments.
  const config = campaignConfig(perBit);
  const { evaluator, plan } = await prepareCampaign(config, tinyResnet(), tinyImages(40), { threads: 1 });
  try {
    for (const r of resumed.records.filter((_, i) => i % 97 === 0)) {
      const o = await evaluator.evaluate(plan.faults(r.index));
      assert.equal(o.sdc, r.sdc);
      assert.equal(o.correct, r.correct);
    }
  } finally {
    await evaluator.release();
  }
});

test('a database from a different config is refused, naming the differing field', async () => {
  const dir = tempDir();
  const db = join(dir, 'c.db');
  CampaignStore.openOrCreate(db, campaignConfig(2)).close();
  assertPrunefiError(
    () => CampaignStore.openOrCreate(db, campaignConfig(2, 8)),
    'CAMPAIGN_CONFIG_MISMATCH',
    /'seed' is 7 there but 8 now/,
  );
  assertPrunefiError(
    () => CampaignStore.openOrCreate(db, campaignConfig(3)),
    'CAMPAIGN_CONFIG_MISMATCH',
    /'plan.perBit' is 2 there but 3 now/,
  );
  const other = { ...campaignConfig(2), memory: { ...campaignConfig(2).memory, storage: 'csr' } };
  assertPrunefiError(
    () => CampaignStore.openOrCreate(db, other),
    'CAMPAIGN_CONFIG_MISMATCH',
    /'memory.storage' is "dense" there but "csr" now/,
  );
  assert.equal(firstDifference({ a: [1, 2] }, { a: [1, 3] })?.path, 'a.1');
  CampaignStore.openOrCreate(db, campaignConfig(2)).close();
});

test('a full disk stops with a clear error and leaves stored results intact', async () => {
  const dir = tempDir();
  const db = join(dir, 'full.db');
  const config = campaignConfig(4);
  const store = CampaignStore.openOrCreate(db, config);
  const { evaluator, plan } = await prepareCampaign(config, tinyResnet(), tinyImages(40), { threads: 1 });
  try {
    await runCampaign({ store, evaluator, plan, maxExperiments: 10 });
    const pages = (new Database(db, { readonly: true }).pragma('page_count', { simple: true }) as number) + 1;
    store.limitPages(pages); // SQLite now answers SQLITE_FULL, as on a full disk
    await assert.rejects(
      runCampaign({ store, evaluator, plan }),
      (e: Error & { code?: string }) =>
        e.code === 'CAMPAIGN_STORE' && /the disk is full/.test(e.message) && /resume/.test(e.message),
    );
    const stored = store.count();
    assert.ok(stored >= 10);
    store.limitPages(1e9);
    const integrity = new Database(db, { readonly: true }).pragma('integrity_check', { simple: true });
    assert.equal(integrity, 'ok');
    const r = await runCampaign({ store, evaluator, plan });
    assert.equal(r.done, 128);
  } finally {
    store.close();
    await evaluator.release();
  }
});

test('a database removed while its campaign runs stops the campaign instead of losing its results', async () => {
  const dir = join(tempDir(), 'out');
  mkdirSync(dir);
  const config = campaignConfig(4);
  const store = CampaignStore.openOrCreate(join(dir, 'gone.db'), config);
  const { evaluator, plan } = await prepareCampaign(config, tinyResnet(), tinyImages(40), { threads: 1 });
  try {
    await runCampaign({ store, evaluator, plan, maxExperiments: 5 });
    rmSync(dir, { recursive: true });
    // SQLite would go on writing into the unlinked file; the store looks at most once a second.
    await new Promise((r) => setTimeout(r, 1100));
    await assert.rejects(
      runCampaign({ store, evaluator, plan }),
      (e: Error & { code?: string }) =>
        e.code === 'CAMPAIGN_STORE' &&
        /gone\.db was removed \(or its folder was\) while the campaign ran/.test(e.message),
    );
  } finally {
    store.close();
    await evaluator.release();
  }
});

test('read-only and missing databases give clear errors', () => {
  const dir = tempDir();
  const db = join(dir, 'ro.db');
  CampaignStore.openOrCreate(db, campaignConfig(1)).close();
  const ro = CampaignStore.open(db, true);
  assertPrunefiError(() => ro.setMeta('x', 'y'), 'CAMPAIGN_STORE', /read-only/);
  ro.close();
  assertPrunefiError(() => CampaignStore.open(join(dir, 'none.db')), 'CAMPAIGN_STORE', /does not exist/);
  assertPrunefiError(
    () => CampaignStore.openOrCreate(join(dir, 'no/such/dir/x.db'), campaignConfig(1)),
    'CAMPAIGN_STORE',
    /cannot open/,
  );
});

test('summaries give per-bit SDC rates with Wilson intervals; CSV export has one row per experiment', async () => {
  const { records } = await run(join(tempDir(), 's.db'), campaignConfig(2));
  const rows = summarizeCampaign(records);
  assert.equal(rows.length, 33);
  assert.deepEqual(
    rows.slice(0, 3).map((r) => r.group),
    ['bit=0', 'bit=1', 'bit=2'],
  );
  const all = rows.at(-1)!;
  assert.equal(all.group, 'all');
  assert.equal(all.experiments, 64);
  assert.ok(all.sdcRate.lower <= all.sdcRate.estimate && all.sdcRate.estimate <= all.sdcRate.upper);
  assert.equal(all.sdcRate.method, 'wilson');
  const csv = recordsCsv(records).trim().split('\n');
  assert.equal(csv.length, 65);
  assert.match(csv[0]!, /^index,stratum,layer,bit,/);
});

test('sharded ranges add up to the whole campaign; sequential stopping ends early and stays stopped', async () => {
  const dir = tempDir();
  const config = campaignConfig(2);
  const db = join(dir, 'shards.db');
  const a = await run(db, config, { range: [32, 64] });
  assert.equal(a.result.planned, 32);
  assert.deepEqual(
    a.records.map((r) => r.index),
    [...Array(32).keys()].map((i) => i + 32),
  );
  const b = await run(db, config, { range: [0, 32] });
  const whole = await run(join(dir, 'whole.db'), config);
  assert.deepEqual(strip(b.records), strip(whole.records));
  await assert.rejects(
    run(db, config, { range: [10, 100] }),
    /range \[10, 100\) must lie within the plan's 64 experiments/,
  );
  // One stratum (exact-k), looks every 20 experiments: a ±0.3 target is met at the first look.
  const stopCfg: CampaignConfig = {
    ...campaignConfig(1),
    plan: { kind: 'exact-k', k: 1, experiments: 200 },
    stopping: { halfWidth: 0.3, every: 20 },
  };
  const sdb = join(dir, 'stop.db');
  const s = await run(sdb, stopCfg, { stopping: stopCfg.stopping! });
  assert.equal(s.result.stoppedEarly, true);
  assert.equal(s.result.done, 20);
  const again = await run(sdb, stopCfg, { stopping: stopCfg.stopping! });
  assert.equal(again.result.ranNow, 0, 'a stopped campaign stays stopped on resume');
});

test('a schema-1 database (before token and protection outcomes) reads as one token per image and nothing corrected, read-only or migrated for writing', async () => {
  const fixture = join(REPO, 'test/fixtures/campaign');
  const want = (
    JSON.parse(readFileSync(join(fixture, 'schema1-records.json'), 'utf8')) as ExperimentRecord[]
  ).map((r) => ({
    ...r,
    maxLogitDeviation: Number(r.maxLogitDeviation),
    tokens: r.images,
    tokenCorrect: r.correct,
    tokenSdc: r.sdc,
    corrected: 0,
    detected: 0,
  }));
  const dir = tempDir();
  const db = join(dir, 'old.db');
  copyFileSync(join(fixture, 'schema1.db'), db);
  // Read-only: nothing is written, the token columns are derived.
  const ro = CampaignStore.open(db, true);
  assert.deepEqual(ro.records(), want);
  ro.close();
  assert.deepEqual(
    readFileSync(db),
    readFileSync(join(fixture, 'schema1.db')),
    'read-only open changed the file',
  );
  // Writable (a resumed campaign): the columns are added and filled as a classifier's.
  const config = campaignConfig(1);
  const rw = CampaignStore.openOrCreate(db, config);
  assert.deepEqual(rw.records(), want);
  assert.equal(rw.meta('schema'), '3');
  rw.close();
});
