/**
 * The fault CLI end to end on zoo:lenet5 and the MNIST digits that ship with prunefi: faults,
 * inject (given, drawn and listed faults), campaign run → status → export → resume, and the
 * bad-input errors a user meets first.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';

const target = ['--model', 'zoo:lenet5', '--data', 'mnist', '--images-per-class', '3', '--threads', '1'];

test('prunefi faults lists the registries', async () => {
  const r = await cli('faults', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, { name: string }[]>;
  assert.deepEqual(
    j.faultModels!.map((m) => m.name),
    ['exact-k', 'ber'],
  );
  assert.deepEqual(
    j.storageFormats!.map((m) => m.name),
    ['dense', 'csr', 'bitmask'],
  );
  assert.deepEqual(
    j.faultTypes!.map((m) => m.name),
    ['bit-flip', 'stuck-at-0', 'stuck-at-1', 'burst'],
  );
});

test('prunefi inject: a given fault, a drawn experiment and a fault-list entry', async () => {
  const given = await cli('inject', ...target, '--fault', 'fc3.weight:0:30', '--json');
  assert.equal(given.code, 0, given.stderr);
  const g = JSON.parse(given.stdout) as { faults: unknown[]; outcome: { images: number; effect: string } };
  assert.equal(g.outcome.images, 30);
  assert.equal(g.outcome.effect, 'run');
  const drawn = await cli('inject', ...target, '--seed', '3', '--index', '5', '--bits', '30', '--json');
  assert.equal(drawn.code, 0, drawn.stderr);
  const again = await cli('inject', ...target, '--seed', '3', '--index', '5', '--bits', '30', '--json');
  assert.deepEqual(
    JSON.parse(again.stdout).faults,
    JSON.parse(drawn.stdout).faults,
    'replays from (seed, index)',
  );
  const dir = tempDir();
  const list = join(dir, 'list.json');
  const faults = JSON.parse(drawn.stdout).faults;
  writeFileSync(
    list,
    JSON.stringify({ format: 'prunefi-fault-list', version: 1, experiments: [{ index: 4, faults }] }),
  );
  const listed = await cli('inject', ...target, '--faults', list, '--experiment', '4', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).outcome, JSON.parse(drawn.stdout).outcome);
  const text = await cli('inject', ...target, '--fault', 'fc3.weight:0:30');
  assert.match(text.stdout, /fc3\.weight values\[0\] bit 30 bit-flip \(was /);
  assert.match(text.stdout, /SDC \d+\/30 images/);
});

test('prunefi inject: bad faults are clear errors (exit 2)', async () => {
  const cases: [string[], RegExp][] = [
    [['--fault', 'nope.weight:0:1'], /tensor 'nope.weight' is not a stored weight/],
    [['--fault', 'fc3.weight:999999:1'], /index 999999 is out of range/],
    [['--fault', 'fc3.weight:0:40'], /bit 40 is outside the 32-bit words/],
    [['--fault', 'fc3.weight:x:1'], /--fault must be tensor:index:bit/],
    [['--ber', '1.5'], /bit error rate must be in \(0, 1\)/],
    [['--ber', '0'], /bit error rate must be in \(0, 1\)/],
  ];
  for (const [args, re] of cases) {
    const r = await cli('inject', ...target, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, re);
  }
});

test('prunefi campaign run, status, export, resume; a different config is refused', async () => {
  const dir = tempDir();
  const db = join(dir, 'c.sqlite');
  const run = [
    'campaign',
    'run',
    '--db',
    db,
    ...target,
    '--plan',
    'single-bit',
    '--per-bit',
    '2',
    '--bits',
    '28-31',
  ];
  const r = await cli(...run, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).done, 8);
  const status = await cli('campaign', 'status', db, '--json');
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as { done: number; groups: { group: string }[] };
  assert.equal(s.done, 8);
  assert.deepEqual(
    s.groups.map((g) => g.group),
    ['bit=28', 'bit=29', 'bit=30', 'bit=31', 'all'],
  );
  const text = await cli('campaign', 'status', db);
  assert.match(text.stdout, /SDC rate \[95% CI\]/);
  const csv = join(dir, 'c.csv');
  assert.equal((await cli('campaign', 'export', db, '--format', 'csv', '--out', csv)).code, 0);
  assert.equal(readFileSync(csv, 'utf8').trim().split('\n').length, 9);
  const json = await cli('campaign', 'export', db, '--format', 'json');
  assert.equal(JSON.parse(json.stdout).experiments.length, 8);
  const resumed = await cli('campaign', 'resume', db, '--json', '--threads', '1');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).ranNow, 0);
  const other = await cli(...run.map((x) => (x === '2' ? '3' : x)));
  assert.equal(other.code, 2);
  assert.match(other.stderr, /'plan.perBit' is 2 there but 3 now/);
  const missing = await cli('campaign', 'status', join(dir, 'none.sqlite'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist/);
});

test('tensor datasets: eval scores per token, a BERT campaign runs on int64 ids, resume and status agree', async () => {
  const data = join(REPO, 'test/fixtures/data');
  const tagger = await cli(
    'eval',
    '--model',
    join(data, 'tagger/tagger.onnx'),
    '--data',
    join(data, 'tagger/tags.npz'),
    '--json',
  );
  assert.equal(tagger.code, 0, tagger.stderr);
  const t = JSON.parse(tagger.stdout) as { samples: number; tokens: number; tokenCorrect: number };
  // 6 sequences of 10, the last two padded with -100 (8 unscored positions).
  assert.deepEqual([t.samples, t.tokens], [6, 52]);
  const db = join(tempDir(), 'bert.sqlite');
  const bert = [
    '--model',
    join(REPO, 'test/fixtures/torch/bert.onnx'),
    '--data',
    join(data, 'tokens/tokens.npz'),
  ];
  const run = await cli(
    'campaign',
    'run',
    '--db',
    db,
    ...bert,
    '--plan',
    'single-bit',
    '--per-bit',
    '2',
    '--range',
    '0:30',
    '--threads',
    '1',
    '--json',
  );
  assert.equal(run.code, 0, run.stderr);
  const resumed = await cli('campaign', 'resume', db, '--threads', '1', '--json');
  assert.equal(resumed.code, 0, resumed.stderr);
  const status = JSON.parse((await cli('campaign', 'status', db, '--json')).stdout) as {
    done: number;
    golden: { images: number; tokens: number };
  };
  assert.deepEqual([status.done, status.golden.images, status.golden.tokens], [64, 8, 8]);
  const wrong = await cli(
    'campaign',
    'run',
    '--db',
    join(tempDir(), 'x.sqlite'),
    '--model',
    join(REPO, 'test/fixtures/torch/bert.onnx'),
    '--data',
    join(data, 'tagger/tags.npz'),
  );
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /takes input 'attention_mask' .* has no array of that name/);
});

test('prunefi campaign run --safe-drop: the same stored outcomes, a per-bit table; not with --naive', async () => {
  const dir = tempDir();
  const run = (db: string, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    cli(
      'campaign',
      'run',
      '--db',
      join(dir, db),
      ...target,
      '--plan',
      'single-bit',
      '--per-bit',
      '3',
      '--bits',
      '0,1,2,29,30,31',
      ...extra,
    );
  const plain = await run('plain.sqlite', '--json');
  assert.equal(plain.code, 0, plain.stderr);
  const dropped = await run('drop.sqlite', '--safe-drop');
  assert.equal(dropped.code, 0, dropped.stderr);
  assert.match(
    dropped.stdout,
    /proven-safe dropping[^\n]*\n\s*bit\s+experiments\s+images dropped\s+experiments dropped/,
  );
  const outcomes = async (db: string): Promise<unknown[]> => {
    const r = await cli('campaign', 'export', join(dir, db), '--format', 'json');
    return (JSON.parse(r.stdout).experiments as Record<string, unknown>[]).map((e) => [
      e.index,
      e.sdc,
      e.criticalSdc,
      e.correct,
      e.nanImages,
      e.infImages,
    ]);
  };
  assert.deepEqual(await outcomes('drop.sqlite'), await outcomes('plain.sqlite'));
  const naive = await run('naive.sqlite', '--safe-drop', '--naive');
  assert.equal(naive.code, 2);
  assert.match(naive.stderr, /--safe-drop skips inference in fast mode: use it without --naive/);
});
