/**
 * `prunefi protect plan` on a single-bit campaign of zoo:lenet5 over bundled MNIST digits made
 * here, and the measurement of its plan: the campaign command it prints (same seed, the plan's
 * --protect-regions) flips the same bits, and its SDCs are the unprotected ones minus exactly
 * those the plan covers (a correcting code leaves no trace of a single flip), so the measured
 * SDCs per flip equal the baseline minus the predicted reduction. Also the command's errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { CampaignStore, type ExperimentRecord } from '../../src/campaign/store.js';
import { assertClose } from '../helpers/assert.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

interface PlanJson {
  regions: string;
  protection: string;
  checkBits: number;
  budgetBits: number;
  dataBits: number;
  baseline: { estimate: number };
  reduction: { estimate: number; lower: number; upper: number };
  everything: { checkBits: number; reduction: { estimate: number } };
  chosen: { tensor: string; bits: [number, number]; sdc: number; experiments: number }[];
  verify: string;
}

/** `campaign run` on zoo:lenet5 and the bundled MNIST digits. */
function campaignRun(db: string): string[] {
  return ['campaign', 'run', '--db', db, '--model', 'zoo:lenet5', '--data', 'mnist'];
}

/** SDCs per flip as the planner defines them: (1/32) Σ_b (SDC experiments at b) / (experiments at b). */
function sdcPerFlip(rs: readonly ExperimentRecord[]): number {
  let s = 0;
  for (let b = 0; b < 32; b++) {
    const at = rs.filter((r) => r.bit === b);
    s += at.filter((r) => r.sdc > 0).length / at.length / 32;
  }
  return s;
}

test('protect plan: a plan under budget, and its measurement removes exactly the predicted SDCs', async () => {
  const dir = tempDir();
  const db = join(dir, 'single.sqlite');
  const run = await cli(
    ...campaignRun(db),
    ...['--images-per-class', '2', '--plan', 'single-bit', '--per-bit', '6', '--threads', '1', '--json'],
  );
  assert.equal(run.code, 0, run.stderr);
  const args = ['protect', 'plan', '--db', db, '--protection', 'exponent-tmr:k=9:top=31', '--budget', '5%'];
  const r = await cli(...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as PlanJson;
  assert.ok(plan.chosen.length > 0, 'bit-30 flips of LeNet-5 are SDCs: something to cover');
  assert.ok(plan.checkBits <= plan.budgetBits && plan.budgetBits === Math.floor(0.05 * plan.dataBits));
  assert.ok(plan.everything.checkBits === (plan.dataBits / 32) * 18, '18 check bits per word for 9 bits');
  assert.ok(plan.reduction.estimate <= plan.everything.reduction.estimate);
  assert.equal(plan.protection, 'exponent-tmr:k=9:top=31');
  assert.match(plan.verify, /--protect exponent-tmr:k=9:top=31 --protect-regions \S+$/);
  const text = await cli(...args);
  assert.match(text.stdout, /plan: +\+[\d,]+ check bits \([\d.]+%\), SDCs per flip removed [\d.]+% \[/);
  assert.match(text.stdout, /everything: \+[\d,]+ check bits \(56\.25%\)/);
  assert.ok(text.stdout.includes(`--protect-regions ${plan.regions}\n`), text.stdout);

  // Measure it: the printed command, as a user would paste it.
  const argv = plan.verify.split(' ').slice(1);
  const m = await cli(...argv, '--threads', '1', '--json');
  assert.equal(m.code, 0, m.stderr);
  const plain = CampaignStore.readRecords(db);
  const hardened = CampaignStore.readRecords(join(dir, 'single-hardened.sqlite'));
  assert.deepEqual(
    hardened.map((x) => x.faults),
    plain.map((x) => x.faults),
    'the same flips',
  );
  const covered = (x: ExperimentRecord): boolean =>
    plan.chosen.some((c) => c.tensor === x.faults[0]!.tensor && x.bit >= c.bits[0] && x.bit <= c.bits[1]);
  for (const [i, x] of hardened.entries()) {
    const p = plain[i]!;
    assert.equal(x.sdc > 0, p.sdc > 0 && !covered(p), `experiment ${i}`);
    assert.equal(x.corrected, covered(p) ? 1 : 0, `experiment ${i}: corrected`);
  }
  const removed = plan.chosen.reduce((s, c) => s + c.sdc, 0);
  assert.equal(hardened.filter((x) => x.sdc > 0).length, plain.filter((x) => x.sdc > 0).length - removed);
  // Both sides are sums of the same 32 quotients: 1e-12 covers their order of summation.
  assertClose([sdcPerFlip(plain)], [plan.baseline.estimate], { atol: 1e-12 }, 'baseline');
  assertClose(
    [sdcPerFlip(hardened)],
    [plan.baseline.estimate - plan.reduction.estimate],
    { atol: 1e-12 },
    'measured',
  );
  assert.ok(sdcPerFlip(hardened) <= sdcPerFlip(plain));

  // Errors: one line each, non-zero exit.
  const cases: [string[], RegExp][] = [
    [['protect', 'plan', '--db', db, '--budget', '5%', '--budget-bits', '10'], /give the budget once/],
    [['protect', 'plan', '--db', db, '--budget', 'lots'], /--budget takes a percentage/],
    [['protect', 'plan', '--db', db, '--budget', '5%', '--protection', 'clip'], /clip is not a memory code/],
    [
      ['protect', 'plan', '--db', db, '--budget', '5%', '--protection', 'parity,secded72'],
      /names one memory code/,
    ],
    [
      ['protect', 'plan', '--db', join(dir, 'single-hardened.sqlite'), '--budget', '5%'],
      /protects its memory; protect plan needs a finished single-bit/,
    ],
    [
      [...campaignRun(join(dir, 'x.sqlite')), '--protect-regions', 'fc3.weight'],
      /says where --protect applies/,
    ],
    [
      [...campaignRun(join(dir, 'x.sqlite')), '--protect', 'clip', '--protect-regions', 'fc3.weight'],
      /--protect clip names none/,
    ],
  ];
  for (const [argvBad, re] of cases) {
    const e = await cli(...argvBad);
    assert.notEqual(e.code, 0, argvBad.join(' '));
    assert.match(e.stderr, re);
    assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
  }
});
