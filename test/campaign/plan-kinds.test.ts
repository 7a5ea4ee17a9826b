/**
 * Plan kinds as one registry: specs are checked before any work (did-you-mean on the kind,
 * declared options only), `inject --db --index` and `inject --plan ... --index` reproduce the
 * faults and outcome a campaign stored, for every registered kind, and a kind added by one
 * registry entry (here, in this test) reaches `prunefi faults`, `campaign run`, `inject` and the
 * report without touching any other file. zoo:lenet5 on 10 bundled MNIST digits.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkPlanSpec, PLAN_KINDS, type PlanKind } from '../../src/campaign/plan.js';
import { CampaignStore, STORED_FAULTS } from '../../src/campaign/store.js';
import { FaultSpace, sampleFaults } from '../../src/fault/fault-models.js';
import { runStudy } from '../../src/study/runner.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { tinyStudy } from '../helpers/study.js';

const target = ['--model', 'zoo:lenet5', '--data', 'mnist', '--images-per-class', '1', '--threads', '1'];
const dir = tempDir();

/** Sign-bit flips only: a fault model written as one registry entry, as a user would. */
const SIGN_BIT: PlanKind = {
  name: 'sign-bit',
  description: 'one flip of the top bit of a uniformly drawn word per experiment',
  reference: '',
  options: {
    flips: { type: 'int', min: 1, required: true, description: 'sign-bit: number of experiments' },
    targeting: { type: 'targeting', flag: false, description: 'which words may be hit' },
  },
  report: () => ({ as: 'single-fault' }),
  build(spec, memory, rng) {
    const top = memory.numberFormat.bits - 1;
    const space = new FaultSpace(memory, { ...(spec.targeting as object), bits: [top, top] });
    return {
      spec,
      size: spec.flips as number,
      strata: [`bit=${top}`],
      stratum: () => `bit=${top}`,
      faults: (i) => sampleFaults(space, { model: 'exact-k', k: 1 }, rng(i)),
    };
  },
};
PLAN_KINDS.add(SIGN_BIT);

test('plan specs are checked against the registry before any work', () => {
  assertPrunefiError(
    () => checkPlanSpec({ kind: 'bre', rates: [1e-6], trials: 3 }),
    'UNKNOWN_NAME',
    /did you mean 'ber'/,
  );
  assertPrunefiError(
    () => checkPlanSpec({ kind: 'ber', rates: [1e-6], trials: 3, trails: 3 }),
    'UNKNOWN_NAME',
    /unknown option of the ber plan 'trails'.*did you mean 'trials'/,
  );
  assertPrunefiError(
    () => checkPlanSpec({ kind: 'ber', trials: 3 }),
    'FAULT_CONFIG',
    /ber plan: rates is required/,
  );
  assertPrunefiError(
    () => checkPlanSpec({ kind: 'exact-k', k: 0, experiments: 3 }),
    'FAULT_CONFIG',
    /exact-k plan: k must be at least 1, got 0/,
  );
  assertPrunefiError(
    () => checkPlanSpec({ kind: 'single-bit', bits: [], perBit: 1 }),
    'FAULT_CONFIG',
    /bits must be a non-empty list/,
  );
  assertPrunefiError(
    () => checkPlanSpec({ kind: 'exact-k', k: 1, experiments: 3, type: 'bit-flop' }),
    'UNKNOWN_NAME',
    /did you mean 'bit-flip'/,
  );
});

/** Every registered kind (the test's own included), with the flags of a small campaign. */
function campaigns(): Record<string, string[]> {
  const list = join(dir, 'list.json');
  const f = (index: number, bit: number) => ({
    tensor: 'fc3.weight',
    index,
    bit,
    type: 'bit-flip',
    region: 'values',
  });
  writeFileSync(
    list,
    JSON.stringify({
      format: 'prunefi-fault-list',
      version: 1,
      experiments: [
        { index: 0, faults: [f(3, 30)] },
        { index: 1, faults: [f(4, 22), f(9, 31)] },
      ],
    }),
  );
  return {
    'single-bit': ['--per-bit', '2', '--bits', '29,30'],
    exhaustive: ['--layers', 'fc3', '--bits', '30', '--range', '0:6'],
    ber: ['--rates', '1e-4,1e-3', '--trials', '2'],
    'exact-k': ['--k', '3', '--experiments', '4', '--fault-type', 'burst', '--burst-length', '3'],
    'fault-list': ['--faults', list],
    'sign-bit': ['--flips', '4', '--layers', 'conv1'],
  };
}

test('inject --index reproduces every stored experiment of every plan kind', async () => {
  const flags = campaigns();
  assert.deepEqual(
    Object.keys(flags).sort(),
    PLAN_KINDS.names().sort(),
    'every registered kind is exercised',
  );
  for (const [kind, own] of Object.entries(flags)) {
    const db = join(dir, `${kind}.sqlite`);
    const run = await cli('campaign', 'run', '--db', db, ...target, '--plan', kind, ...own, '--seed', '7');
    assert.equal(run.code, 0, `${kind}: ${run.stderr}`);
    const store = CampaignStore.open(db, true);
    const records = store.records();
    store.close();
    assert.ok(records.length >= 2, `${kind}: ${records.length} experiments stored`);
    for (const r of [records[0]!, records.at(-1)!]) {
      const fromDb = await cli('inject', '--db', db, '--index', String(r.index), '--threads', '1', '--json');
      assert.equal(fromDb.code, 0, `${kind}: ${fromDb.stderr}`);
      const j = JSON.parse(fromDb.stdout) as {
        faults: unknown[];
        outcome: { sdc: number };
        stored: { differs: string[] };
      };
      assert.deepEqual(j.faults.slice(0, STORED_FAULTS), r.faults, `${kind} #${r.index}: the stored faults`);
      assert.equal(j.outcome.sdc, r.sdc, `${kind} #${r.index}: the stored outcome`);
      assert.deepEqual(j.stored, { stored: true, differs: [] });
      // The same experiment from the command line's flags alone (--range is the campaign's, not the plan's).
      const planFlags = own.filter((_, i) => own[i] !== '--range' && own[i - 1] !== '--range');
      const fromFlags = await cli(
        'inject',
        ...target,
        '--plan',
        kind,
        ...planFlags,
        '--seed',
        '7',
        '--index',
        String(r.index),
        '--json',
      );
      assert.equal(fromFlags.code, 0, `${kind}: ${fromFlags.stderr}`);
      assert.deepEqual(
        JSON.parse(fromFlags.stdout).faults.slice(0, STORED_FAULTS),
        r.faults,
        `${kind} #${r.index}: replayed from flags`,
      );
    }
  }
  const text = await cli('inject', '--db', join(dir, 'ber.sqlite'), '--index', '1', '--threads', '1');
  assert.match(text.stdout, /ber plan, ber=0\.001/);
  assert.match(text.stdout, /matches the stored experiment \(faults and outcome\)/);
  const outside = await cli(
    'inject',
    ...target,
    '--plan',
    'ber',
    '--rates',
    '1e-4',
    '--trials',
    '2',
    '--index',
    '2',
  );
  assert.equal(outside.code, 2, outside.stderr);
  assert.match(outside.stderr, /--index 2 is outside the ber plan's 2 experiments \(0\.\.1\)/);
});

test('a plan kind added by one registry entry reaches faults, the CLI and the report', async () => {
  const listed = await cli('faults', '--json');
  const kinds = (
    JSON.parse(listed.stdout) as { planKinds: { name: string; options: { flag: string | null }[] }[] }
  ).planKinds;
  const mine = kinds.find((k) => k.name === 'sign-bit');
  assert.deepEqual(
    mine?.options.map((o) => o.flag),
    ['flips', null],
  );
  const help = await cli('campaign', 'run', '--help');
  assert.match(help.stdout, /--flips/);
  assert.match(help.stdout, /sign-bit/);
  const missing = await cli(
    'campaign',
    'run',
    '--db',
    join(dir, 'no.sqlite'),
    ...target,
    '--plan',
    'sign-bit',
  );
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--plan sign-bit needs --flips \(sign-bit: number of experiments\)/);
  assert.ok(!existsSync(join(dir, 'no.sqlite')), 'nothing is created before the plan is valid');
  const db = join(dir, 'sign-bit.sqlite');
  assert.ok(existsSync(db), 'written by the replay test');
  const store = CampaignStore.open(db, true);
  assert.ok(store.records().every((r) => r.bit === 31 && r.layer === 'conv1'));
  store.close();
  const out = join(dir, 'sign.html');
  const r = await cli('report', db, '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(out, 'utf8'), /bit 31|bit=31|>31</);
});

test('a study config runs a registered plan kind and reports it; bad plans fail before any work', async () => {
  const plans = (p: unknown[]) => ({
    campaigns: { images: 20, ber: { rates: [1e-4], trials: 2 }, plans: p },
  });
  const t0 = performance.now();
  assertPrunefiError(
    () => tinyStudy(plans([{ kind: 'sign-bits', flips: 3 }])),
    'UNKNOWN_NAME',
    /plans\[0\].*did you mean 'sign-bit'/,
  );
  assertPrunefiError(
    () => tinyStudy(plans([{ kind: 'sign-bit', flip: 3 }])),
    'UNKNOWN_NAME',
    /did you mean 'flips'/,
  );
  assertPrunefiError(
    () => tinyStudy(plans([{ kind: 'ber', rates: [1e-3], trials: 2 }])),
    'STUDY_CONFIG',
    /plans\[0\] must be not a second BER sweep \(config\.campaigns\.ber is one\)/,
  );
  assertPrunefiError(
    () => tinyStudy(plans([{ kind: 'exact-k', k: 2, experiments: 3 }])),
    'STUDY_CONFIG',
    /a plan the report can show/,
  );
  assertPrunefiError(
    () => tinyStudy(plans([{ kind: 'sign-bit', flips: 3, targeting: {}, type: 'bit-flip' }])),
    'UNKNOWN_NAME',
    /option of the sign-bit plan 'type'/,
  );
  assert.ok(performance.now() - t0 < 1000, 'checked in well under a second');
  const config = tinyStudy({ ...plans([{ kind: 'sign-bit', flips: 6 }]), pruning: [], baseline: true });
  const study = tempDir('prunefi-plan-study-');
  const { data } = await runStudy(config, study, { cacheDir: tempDir('prunefi-study-cache-') });
  assert.equal(data.berSweeps.length, 1);
  assert.equal(data.bitSweeps.length, 1, 'the sign-bit campaign is the single-fault sweep');
  const sweep = data.bitSweeps[0]!;
  assert.equal(sweep.total.experiments, 6);
  assert.deepEqual(
    sweep.byBit.filter((b) => b.experiments > 0).map((b) => b.bit),
    [31],
  );
});
