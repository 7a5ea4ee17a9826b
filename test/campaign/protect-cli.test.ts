/**
 * Protections from the command line on zoo:lenet5 and the bundled MNIST digits: `prunefi
 * protections`, `campaign run --protect` (stored in the config, resumed, shown by status with the
 * memory overhead and DUE rate), `inject --protect`, and the errors of a bad --protect.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const target = ['--model', 'zoo:lenet5', '--data', 'mnist', '--images-per-class', '2', '--threads', '1'];

test('prunefi protections lists every protection with its options', async () => {
  const r = await cli('protections', '--json');
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { name: string; options: { key: string }[] }[];
  assert.deepEqual(
    list.map((p) => p.name),
    ['secded72', 'secded39', 'parity', 'exponent-tmr', 'clip', 'ranger'],
  );
  assert.deepEqual(
    list[0]!.options.map((o) => o.key),
    ['interleave', 'due'],
  );
  assert.deepEqual(
    (list as unknown as { covers: unknown }[]).map((p) => p.covers),
    [
      { what: 'word', maxBits: null },
      { what: 'word', maxBits: null },
      { what: 'word', maxBits: null },
      { what: 'range', maxBits: 16 },
      null,
      null,
    ],
  );
  const text = await cli('protections');
  assert.match(text.stdout, /secded72:interleave/);
  assert.match(text.stdout, /exponent-tmr +stored bits +tmr +bit ranges \(<= 16 bits\)/);
  assert.match(text.stdout, /clip:mode +clamp\|zero +clamp/);
});

test('campaign run --protect: stored in the config, resumed, status shows memory overhead and DUE rate', async () => {
  const dir = tempDir();
  const db = join(dir, 'p.sqlite');
  const run = ['campaign', 'run', '--db', db, ...target, '--plan', 'ber', '--rates', '1e-3', '--trials', '4'];
  const r = await cli(...run, '--protect', 'secded72:interleave=2,clip');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /memory: [\d,]+ stored bits \([\d,]+ of them check bits, \+12\.50% over the data\)/);
  const status = await cli('campaign', 'status', db, '--json');
  const s = JSON.parse(status.stdout) as {
    config: { memory: { protect: unknown } };
    memory: { bits: number; checkBits: number };
    groups: { dueRate: unknown; correctedExperiments: number }[];
  };
  assert.deepEqual(s.config.memory.protect, [
    { name: 'secded72', interleave: 2, due: 'zero' },
    { name: 'clip', mode: 'clamp' },
  ]);
  // 8 check bits per 64 data bits; a tensor whose last block is partial pads it (24 code words here).
  const data = s.memory.bits - s.memory.checkBits;
  assert.ok(
    s.memory.checkBits >= data / 8 && s.memory.checkBits - data / 8 < 8 * 40,
    String(s.memory.checkBits),
  );
  assert.ok(s.groups[0]!.correctedExperiments > 0, 'BER 1e-3 makes single errors in code words');
  const text = await cli('campaign', 'status', db);
  assert.match(text.stdout, /protected by secded72, clip/);
  assert.match(text.stdout, /DUE rate \[95% CI\]/);
  const csv = (await cli('campaign', 'export', db)).stdout.split('\n');
  const header = csv[0]!.split(',');
  assert.ok(header.includes('corrected') && header.includes('detected'), csv[0]);
  const resumed = await cli('campaign', 'resume', db, '--json', '--threads', '1');
  assert.equal(JSON.parse(resumed.stdout).ranNow, 0);
  const other = await cli(...run, '--protect', 'secded72');
  assert.equal(other.code, 2);
  assert.match(other.stderr, /'memory.protect.0.interleave' is 2 there but 1 now/);
  const inject = await cli('inject', ...target, '--fault', 'fc3.weight:0:30', '--protect', 'secded39');
  assert.equal(inject.code, 0, inject.stderr);
  assert.match(
    inject.stdout,
    /protections secded39: 1 code word\(s\) corrected, 0 detected uncorrectable \(DUE\)/,
  );
  assert.match(inject.stdout, /SDC 0\/20 images/);
});

test('campaign run --regions ecc: a single-bit sweep over SEC-DED check bits, every fault corrected', async () => {
  const db = join(tempDir(), 'ecc.sqlite');
  const r = await cli(
    'campaign',
    'run',
    '--db',
    db,
    ...target,
    '--protect',
    'secded72',
    '--plan',
    'single-bit',
    '--per-bit',
    '2',
    '--regions',
    'ecc',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).done, 16, '2 per bit × 8 check bits');
  const s = JSON.parse((await cli('campaign', 'status', db, '--json')).stdout) as {
    groups: { group: string; sdcExperiments: number; correctedExperiments: number }[];
  };
  const all = s.groups.at(-1)!;
  assert.deepEqual([all.group, all.sdcExperiments, all.correctedExperiments], ['all', 0, 16]);
});

test('a bad --protect is a one-line error naming the fix (exit 2)', async () => {
  const cases: [string, RegExp][] = [
    ['secded27', /unknown protection 'secded27'.*did you mean 'secded72'/i],
    ['secded72:interleave=0', /interleave must be in \[1, 64\]/],
    ['clip:mode', /options are key=value after the name/],
  ];
  for (const [p, re] of cases) {
    const r = await cli('campaign', 'run', '--db', join(tempDir(), 'x.sqlite'), ...target, '--protect', p);
    assert.equal(r.code, 2, `${p}: ${r.stdout}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${p}: one line: ${r.stderr}`);
  }
});
