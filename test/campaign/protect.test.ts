/**
 * Protected campaigns on the tiny model: a single-bit campaign under SEC-DED has exactly 0 SDCs
 * with every fault corrected (the unprotected one has SDCs), under parity with zeroing every fault
 * is detected, paired BER campaigns store the same data-bit flips, fast and naive mode agree
 * under protection, and protection outcomes survive the store (old databases read as 0).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { type CampaignConfig, prepareCampaign } from '../../src/campaign/config.js';
import { runCampaign } from '../../src/campaign/engine.js';
import { storedModelOf } from '../../src/campaign/evaluator.js';
import { buildPlan } from '../../src/campaign/plan.js';
import { CampaignStore, type ExperimentRecord } from '../../src/campaign/store.js';
import { summarizeCampaign } from '../../src/campaign/summary.js';
import { parseProtections } from '../../src/fault/protect/registry.js';
import { tinyImages, tinyResnet } from '../fault/tiny.js';
import { tempDir } from '../helpers/paths.js';
import { campaignConfig } from './campaign-fixture.js';
import { compareModes } from './compare-modes.js';

function protectedConfig(base: CampaignConfig, protect: string): CampaignConfig {
  return { ...base, memory: { ...base.memory, protect: parseProtections(protect) } };
}

async function records(config: CampaignConfig, db = ':memory:'): Promise<ExperimentRecord[]> {
  const store = CampaignStore.openOrCreate(db, config);
  const { evaluator, plan } = await prepareCampaign(config, tinyResnet(), tinyImages(40), { threads: 1 });
  try {
    await runCampaign({ store, evaluator, plan });
    return store.records();
  } finally {
    store.close();
    await evaluator.release();
  }
}

test('single-bit campaigns: SEC-DED gives exactly 0 SDCs and corrects every fault; parity detects every fault', async () => {
  const base = campaignConfig(4);
  const plain = await records(base);
  assert.ok(plain.filter((r) => r.sdc > 0).length > 0, 'the unprotected campaign has SDCs');
  for (const p of ['secded72', 'secded39:interleave=2']) {
    const rs = await records(protectedConfig(base, p));
    assert.equal(rs.length, plain.length);
    assert.equal(
      rs.reduce((s, r) => s + r.sdc, 0),
      0,
      `${p}: SDCs`,
    );
    assert.ok(
      rs.every((r) => r.corrected === 1 && r.detected === 0 && r.effect === 'masked'),
      p,
    );
    assert.deepEqual(
      rs.map((r) => r.faults),
      plain.map((r) => r.faults),
      'the same faults as unprotected',
    );
    const all = summarizeCampaign(rs).at(-1)!;
    assert.deepEqual([all.correctedExperiments, all.dueExperiments, all.sdcExperiments], [rs.length, 0, 0]);
  }
  // Check words take faults too: a sweep over them is all corrected.
  const checks = await records({
    ...protectedConfig(base, 'secded72'),
    plan: { kind: 'single-bit', perBit: 3, targeting: { regions: ['ecc'] } },
  });
  assert.equal(checks.length, 24);
  assert.ok(checks.every((r) => r.corrected === 1 && r.sdc === 0));
  const parity = await records(protectedConfig(base, 'parity'));
  assert.ok(parity.every((r) => r.detected === 1 && r.corrected === 0));
  assert.equal(summarizeCampaign(parity).at(-1)!.dueRate.estimate, 1);
});

test('fast and naive mode give identical outcomes under protection (BER, every protection)', async () => {
  const model = tinyResnet();
  const input = tinyImages(30);
  for (const p of ['secded72:due=keep', 'parity,clip', 'exponent-tmr:k=4,clip:mode=zero', 'secded39']) {
    const protect = parseProtections(p);
    const { memory } = storedModelOf(model, { protect });
    const plan = buildPlan({ kind: 'ber', rates: [2e-3, 1e-2], trials: 6 }, memory, 3);
    const exps = Array.from({ length: plan.size }, (_, i) => plan.faults(i));
    await compareModes(model, input, exps, { protect });
  }
});

test('paired BER campaigns store the same data-bit flips; check-word faults are extra', async () => {
  const base: CampaignConfig = { ...campaignConfig(1), plan: { kind: 'ber', rates: [5e-3], trials: 12 } };
  const plain = await records(base);
  const ecc = await records(protectedConfig(base, 'secded72'));
  for (let i = 0; i < plain.length; i++) {
    const data = ecc[i]!.faults.filter((f) => f.region === 'values');
    assert.deepEqual(data, plain[i]!.faults, `experiment ${i}`);
  }
  assert.ok(
    ecc.some((r) => r.faultCount > plain[r.index]!.faultCount),
    'check words took faults',
  );
  assert.ok(
    ecc.some((r) => r.detected > 0 || r.corrected > 1),
    'BER 5e-3 makes multi-bit code words',
  );
});

test('protection outcomes are stored; a schema-2 database reads them as 0 and gains the columns', async () => {
  const dir = tempDir();
  const db = join(dir, 'p.db');
  const config = protectedConfig(campaignConfig(1), 'parity');
  const rs = await records(config, db);
  const reopened = CampaignStore.open(db, true);
  assert.deepEqual(
    reopened.records().map((r) => [r.corrected, r.detected]),
    rs.map(() => [0, 1]),
  );
  assert.deepEqual(JSON.parse(reopened.meta('memory')!), {
    bits: storedModelOf(tinyResnet(), config.memory).memory.bits,
    checkBits: storedModelOf(tinyResnet(), config.memory).memory.checkBits,
  });
  reopened.close();
  // Make it a schema-2 database (before protections): drop the columns.
  const raw = new Database(db);
  raw.exec('ALTER TABLE experiments DROP COLUMN corrected; ALTER TABLE experiments DROP COLUMN detected');
  raw.prepare("UPDATE meta SET value = '2' WHERE key = 'schema'").run();
  raw.close();
  const old = CampaignStore.open(db, true);
  assert.ok(old.records().every((r) => r.corrected === 0 && r.detected === 0));
  old.close();
  const rw = CampaignStore.open(db);
  assert.equal(rw.meta('schema'), '3');
  assert.equal(rw.records().length, rs.length);
  rw.close();
});
