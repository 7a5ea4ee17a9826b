/**
 * `prunefi report <campaign db>...`: report data built from standalone campaigns (zoo:lenet5,
 * untrained, and its magnitude-pruned copy on 30 bundled MNIST digits), checked against the
 * databases' own records, and the errors a user meets.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ReportData } from '../../src/report/model.js';
import { reportDataFromCampaigns } from '../../src/study/campaign-report.js';
import { runStudy } from '../../src/study/runner.js';
import { cli, cliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { tinyStudy } from '../helpers/study.js';

const dir = tempDir();
const at = (f: string): string => join(dir, f);
const images = ['--data', 'mnist', '--images-per-class', '3', '--threads', '1'];
const ber = ['--plan', 'ber', '--rates', '1e-5,1e-4,1e-3', '--trials', '4'];

async function run(...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

await run('prune', 'zoo:lenet5', '-m', 'magnitude', '-s', '0.9', '-o', at('m90.onnx'));
await run('campaign', 'run', '--db', at('base.sqlite'), '--model', 'zoo:lenet5', ...images, ...ber);
await run('campaign', 'run', '--db', at('m90.sqlite'), '--model', at('m90.onnx'), ...images, ...ber);
await run(
  'campaign',
  'run',
  '--db',
  at('bits.sqlite'),
  '--model',
  'zoo:lenet5',
  ...images,
  '--plan',
  'single-bit',
  '--per-bit',
  '2',
);

test('campaigns become variants grouped by base model, with sweeps that are the stored records', async () => {
  const seen: string[] = [];
  const data = reportDataFromCampaigns([at('base.sqlite'), at('m90.sqlite'), at('bits.sqlite')], '', (p) =>
    seen.push(`${p.done}/${p.total} ${p.unit}`),
  );
  assert.deepEqual(seen.at(-1), '3/3 databases');
  assert.deepEqual(
    data.variants.map((v) => [v.id, v.model, v.method, v.target, v.granularity]),
    [
      ['lenet5/none@0', 'lenet5', 'none', 0, 'none'],
      // The pruned file's provenance names its parent's weights: the zoo model of the first campaign.
      ['lenet5/magnitude@0.9', 'lenet5', 'magnitude', 0.9, 'unstructured'],
    ],
  );
  const [base, m90] = data.variants;
  assert.equal(base!.params, 61_706);
  assert.equal(m90!.params, 61_706);
  assert.ok(m90!.nonzeroParams < 0.11 * m90!.params);
  assert.equal(base!.cleanTotal, 30, 'clean accuracy on the campaign images');
  assert.equal(data.dataset.faultImages, 30);
  assert.equal(data.dataset.classes, 10);
  assert.equal(data.berSweeps.length, 2);
  assert.equal(data.bitSweeps.length, 1);

  // Every BER trial is the stored experiment of the same index (exact: copied, not recomputed).
  const exported = JSON.parse(await run('campaign', 'export', at('m90.sqlite'), '--format', 'json')) as {
    experiments: { index: number; accuracy: number; faultCount: number }[];
  };
  const sweep = data.berSweeps.find((s) => s.variantId === 'lenet5/magnitude@0.9')!;
  assert.deepEqual(
    sweep.points.map((p) => p.ber),
    [1e-5, 1e-4, 1e-3],
  );
  const trials = sweep.points.flatMap((p) => p.trials).sort((a, b) => a.seed! - b.seed!);
  assert.deepEqual(
    trials.map((t) => [t.seed, t.accuracy, t.faults]),
    exported.experiments.map((e) => [e.index, e.accuracy, e.faultCount]),
  );
  // Same campaign seed: trial seeds match, so the report pairs the two sweeps.
  const seeds = (s: ReportData['berSweeps'][number]) => s.points.map((p) => p.trials.map((t) => t.seed));
  assert.deepEqual(seeds(data.berSweeps[0]!), seeds(sweep));

  const bits = data.bitSweeps[0]!;
  assert.equal(bits.total.experiments, 64);
  assert.equal(
    bits.byBit.reduce((s, b) => s + b.experiments, 0),
    64,
  );
  assert.deepEqual(
    bits.byLayer.map((l) => l.layer),
    ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'],
  );
});

test("a study's own campaign databases give the study's sweeps and model figures exactly", async () => {
  const study = tempDir('prunefi-study-');
  const config = tinyStudy({
    campaigns: { images: 50, ber: { rates: [1e-4, 1e-3], trials: 3 }, singleBit: { perBit: 2 } },
  });
  const { data: fromStudy } = await runStudy(config, study, { cacheDir: tempDir('prunefi-study-cache-') });
  const dbs = ['ber', 'bits'].flatMap((k) =>
    readdirSync(join(study, 'artifacts', k)).map((h) => join(study, 'artifacts', k, h, 'campaign.sqlite')),
  );
  const fromDbs = reportDataFromCampaigns(dbs);
  // Variants match by method and target; ids differ (the study names the model from its config).
  const byMethod = (d: ReportData) => new Map(d.variants.map((v) => [`${v.method}@${v.target}`, v]));
  const [a, b] = [byMethod(fromStudy), byMethod(fromDbs)];
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [k, v] of a) {
    const w = b.get(k)!;
    for (const f of ['sparsity', 'params', 'nonzeroParams', 'macs', 'memoryBits', 'granularity'] as const)
      assert.deepEqual(w[f], v[f], `${k} ${f}`);
    const sweep = (d: ReportData, id: string) => d.berSweeps.find((s) => s.variantId === id)!;
    assert.deepEqual(sweep(fromDbs, w.id).points, sweep(fromStudy, v.id).points, `${k} BER trials`);
    assert.equal(sweep(fromDbs, w.id).cleanAccuracy, sweep(fromStudy, v.id).cleanAccuracy);
    const bits = (d: ReportData, id: string) => {
      const { variantId: _v, ...rest } = d.bitSweeps.find((s) => s.variantId === id)!;
      return rest;
    };
    assert.deepEqual(bits(fromDbs, w.id), bits(fromStudy, v.id), `${k} single-bit counts`);
  }
});

test('prunefi report renders campaign databases, and says what is unfinished', async () => {
  await run(
    'campaign',
    'run',
    '--db',
    at('part.sqlite'),
    '--model',
    at('m90.onnx'),
    ...images,
    '--plan',
    'single-bit',
    '--per-bit',
    '2',
    '--range',
    '0:10',
  );
  const out = JSON.parse(
    await run(
      'report',
      at('base.sqlite'),
      at('m90.sqlite'),
      at('part.sqlite'),
      '-o',
      at('r/report.html'),
      '--json',
    ),
  ) as { html: string; conclusions: { key: string }[] };
  assert.ok(existsSync(out.html));
  assert.deepEqual(
    out.conclusions.map((c) => c.key),
    ['lenet5|float32 dense bit-flip'],
  );
  const data = JSON.parse(readFileSync(at('r/report.json'), 'utf8')) as ReportData;
  assert.deepEqual(data.pending, [`campaign ${at('part.sqlite')}: 10 of 64 experiments`]);
  assert.match(readFileSync(out.html, 'utf8'), /Partial report/);
  // The written report.json renders again like a study's.
  await run('report', at('r'), '-o', at('again/report.html'));
});

test('a moved campaign finds its model next to it; a changed model is refused', () => {
  const moved = tempDir();
  const local = join(moved, 'run');
  cpSync(dir, local, { recursive: true });
  // Recorded relative to the folder it ran in: copy both, run the report from elsewhere.
  const r1 = cliProcess(['campaign', 'run', '--db', 'rel.sqlite', '--model', 'm90.onnx', ...images, ...ber], {
    cwd: local,
  });
  assert.equal(r1.code, 0, r1.stderr);
  const elsewhere = join(moved, 'elsewhere');
  renameSync(local, elsewhere);
  const ok = cliProcess(['report', join(elsewhere, 'rel.sqlite'), '-o', join(moved, 'ok.html')], {
    cwd: moved,
  });
  assert.equal(ok.code, 0, ok.stderr);
  cpSync(join(elsewhere, 'm90.onnx'), join(moved, 'keep.onnx'));
  const other = cliProcess([
    'prune',
    'zoo:lenet5',
    '-m',
    'random',
    '-s',
    '0.5',
    '-o',
    join(elsewhere, 'm90.onnx'),
  ]);
  assert.equal(other.code, 0, other.stderr);
  const bad = cliProcess(['report', join(elsewhere, 'rel.sqlite'), '-o', join(moved, 'bad.html')], {
    cwd: moved,
  });
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /rel\.sqlite: its model 'm90\.onnx' was not found with the content it had when the campaign ran/,
  );
  assert.ok(!existsSync(join(moved, 'bad.html')));
});

test('campaigns that cannot be reported together are clear errors that write nothing', async () => {
  await run(
    'campaign',
    'run',
    '--db',
    at('other-images.sqlite'),
    '--model',
    at('m90.onnx'),
    ...images.slice(0, 2),
    '--images-per-class',
    '2',
    ...ber,
  );
  await run(
    'campaign',
    'run',
    '--db',
    at('seed2.sqlite'),
    '--model',
    'zoo:lenet5',
    ...images,
    ...ber,
    '--seed',
    '2',
  );
  await run(
    'campaign',
    'run',
    '--db',
    at('k3.sqlite'),
    '--model',
    'zoo:lenet5',
    ...images,
    '--plan',
    'exact-k',
    '--k',
    '3',
    '--experiments',
    '4',
  );
  // Two random 50% models of one parent file (with a zoo parent, --seed would change the parent too).
  const net = at('net.onnx');
  await run(
    'train',
    '--model',
    'zoo:lenet5',
    '--data',
    'mnist',
    '--epochs',
    '1',
    '--train-limit',
    '50',
    '-o',
    net,
  );
  await run('campaign', 'run', '--db', at('net.sqlite'), '--model', net, ...images, ...ber);
  for (const seed of ['1', '2']) {
    const pruned = at(`r${seed}.onnx`);
    await run('prune', net, '-m', 'random', '-s', '0.5', '--seed', seed, '-o', pruned);
    await run('campaign', 'run', '--db', at(`r${seed}.sqlite`), '--model', pruned, ...images, ...ber);
  }
  // Two different unpruned models, both model.onnx (as a study keeps them): told apart by weights.
  const same: string[] = [];
  for (const [k, from] of [
    ['a', net],
    ['b', 'zoo:lenet5'],
  ] as const) {
    const folder = join(tempDir(), k);
    mkdirSync(folder);
    const file = join(folder, 'model.onnx');
    await run(
      'train',
      '--model',
      from,
      '--data',
      'mnist',
      '--epochs',
      '1',
      '--train-limit',
      '20',
      '-o',
      file,
    );
    await run('campaign', 'run', '--db', `${file}.sqlite`, '--model', file, ...images, ...ber);
    same.push(`${file}.sqlite`);
  }
  const both = reportDataFromCampaigns(same);
  assert.equal(both.variants.length, 2);
  assert.ok(
    both.variants.every((v) => /^model-[0-9a-f]{8}\/none@0$/.test(v.id)),
    both.variants.map((v) => v.id).join(),
  );
  const cases: [string[], RegExp][] = [
    [
      [at('base.sqlite'), at('other-images.sqlite')],
      /other-images\.sqlite: it ran on other images \(mnist, test split, 2 per class\) than .*base\.sqlite/,
    ],
    [
      [at('base.sqlite'), at('seed2.sqlite')],
      /seed2\.sqlite: it and .*base\.sqlite are both BER campaigns of lenet5\/none@0 under float32 dense bit-flip; pass one of them/,
    ],
    [[at('k3.sqlite')], /k3\.sqlite: its plan 'exact-k' injects several faults per experiment/],
    [
      [at('net.sqlite'), at('r1.sqlite'), at('r2.sqlite')],
      /r2\.sqlite: its model is another random 50% of net than the one .*r1\.sqlite ran on/,
    ],
    [
      [at('base.sqlite'), at('m90.onnx')],
      /'.*m90\.onnx' is not a campaign database; report either campaign databases or one study, not both/,
    ],
    [[at('missing.sqlite')], /'.*missing\.sqlite' does not exist/],
  ];
  for (const [inputs, pattern] of cases) {
    const out = at(`err-${cases.findIndex((c) => c[0] === inputs)}.html`);
    const r = await cli('report', ...inputs, '-o', out);
    assert.equal(r.code, 2, `${inputs.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!existsSync(out));
  }
});
