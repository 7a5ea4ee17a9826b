/**
 * The programs in examples/ run as a user runs them (compiled, importing `prunefi/...` through
 * the package's own exports), in README's order, in one folder: each is checked against what it
 * wrote, not only for exit code 0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CampaignStore } from '../src/campaign/store.js';
import { REPO, tempDir } from './helpers/paths.js';

const dir = tempDir('prunefi-examples-');
const ORDER = [
  'prune-and-campaign',
  'custom-pruning-method',
  'custom-fault-model',
  'report-from-databases',
  'results-to-csv',
];

function run(name: string): string {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(REPO, 'dist/examples', `${name}.js`), dir], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  // Diagnostic only: under 10 s each on a quiet 2-core machine; a loaded one can double that.
  console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return r.stdout;
}

const records = (db: string) => CampaignStore.readRecords(join(dir, db));

test('every example is run here, in the order README lists them', () => {
  const files = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.ts'));
  assert.deepEqual(files.map((f) => f.slice(0, -3)).sort(), [...ORDER].sort());
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const linked = ORDER.map((n) => readme.indexOf(`examples/${n}.ts`));
  assert.ok(
    linked.every((i) => i >= 0),
    'README links every example',
  );
  assert.deepEqual(
    linked,
    [...linked].sort((a, b) => a - b),
    'in this order',
  );
});

test('prune a model and run a BER campaign: two complete databases with paired fault draws', () => {
  const out = run('prune-and-campaign');
  assert.match(out, /pruned: 90\.0% of the weights are zero/);
  const accuracy = Number(/test accuracy ([\d.]+)%/.exec(out)![1]);
  assert.ok(accuracy > 50, `one epoch on 2000 digits trains LeNet-5 well above chance (${accuracy}%)`);
  const [base, m90] = [records('base.sqlite'), records('m90.sqlite')];
  assert.equal(base.length, 24);
  assert.equal(m90.length, 24);
  // The same seed draws the same number of faults per trial only where the memories are equal
  // in size: they are (unstructured pruning keeps the dense float32 layout).
  assert.deepEqual(
    base.map((r) => [r.index, r.stratum, r.faultCount]),
    m90.map((r) => [r.index, r.stratum, r.faultCount]),
  );
});

test('a custom pruning method registers and prunes every row by the same count', () => {
  const out = run('custom-pruning-method');
  assert.match(out, /pruning methods: .*\bbalanced$/m);
  const rows = [...out.matchAll(/^(\w+): (\d+) rows of (\d+), zeros per row: (.*)$/gm)];
  assert.equal(rows.length, 5, 'the five weight layers of LeNet-5');
  for (const [, layer, , perRow, zeros] of rows) {
    assert.doesNotMatch(zeros!, /,/, `${layer}: one zero count for every row`);
    assert.equal(Number(zeros), Math.round(0.75 * Number(perRow)), layer);
  }
});

test('a custom fault model and plan kind run a campaign whose fault counts are Poisson(3)', () => {
  const out = run('custom-fault-model');
  const rs = records('poisson.sqlite');
  assert.equal(rs.length, 40);
  const mean = rs.reduce((s, r) => s + r.faultCount, 0) / rs.length;
  // The mean of 40 Poisson(3) draws has sd sqrt(3/40) = 0.27: 4 sd is a bound a correct sampler
  // misses once in ~16 000 seeds, and the seed is fixed, so this never flakes.
  assert.ok(Math.abs(mean - 3) < 4 * Math.sqrt(3 / 40), `mean faults ${mean}`);
  assert.match(out, new RegExp(`${mean.toFixed(2)} faults on average`));
  assert.ok(
    rs.every((r) => r.faults.length === Math.min(r.faultCount, 64)),
    'faults stored as drawn',
  );
});

test('a report from the two databases groups the pruned model with its parent', () => {
  const out = run('report-from-databases');
  assert.match(out, /variants: base\/none@0 .*, base\/magnitude@0\.9 /);
  assert.match(out, /^base\|float32 dense bit-flip: (improves|worsens|mixed|no-clear-effect)/m);
  assert.ok(existsSync(join(dir, 'report', 'report.html')));
});

test('results.csv reads back in Python with one row per stored experiment', () => {
  run('results-to-csv');
  const py = spawnSync(
    'python3',
    [
      '-c',
      `import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(json.dumps({'columns': list(rows[0].keys()), 'rows': [[r['model'], int(r['trial']), float(r['ber']), float(r['accuracy']), int(r['sdc'])] for r in rows]}))`,
      join(dir, 'results.csv'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  const parsed = JSON.parse(py.stdout) as {
    columns: string[];
    rows: [string, number, number, number, number][];
  };
  assert.ok(
    parsed.columns.every((c) => /^[a-z_]+$/.test(c)),
    'identifiers as column names',
  );
  const expected = ['base', 'm90'].flatMap((m) =>
    records(`${m}.sqlite`).map((r) => [m, r.index, Number(r.stratum.slice(4)), r.accuracy, r.sdc]),
  );
  // Exact: the CSV prints each stored double in full (JavaScript's shortest round-trip form).
  assert.deepEqual(parsed.rows, expected);
});
