/**
 * `--protect ranger` from the command line on zoo:lenet5 and the bundled MNIST digits (labels do
 * not matter: SDCs are counted against the model's own golden predictions): its bounds are
 * profiled on training images and stored in the campaign config, equal to the profiled golden
 * extremes; a ranger campaign flips exactly the raw bits of the unprotected one with the same
 * seed and, on exponent-bit (bit 30) faults, has no more SDCs; fast and naive mode agree; the
 * clean-accuracy cost is stored and shown; `inject --protect ranger` and the errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CleanCost } from '../../src/campaign/clean-cost.js';
import type { CampaignConfig } from '../../src/campaign/config.js';
import { injectedGraph } from '../../src/campaign/evaluator.js';
import { profileRangerBounds } from '../../src/campaign/ranger.js';
import { allRows } from '../../src/campaign/samples.js';
import { CampaignStore, type ExperimentRecord } from '../../src/campaign/store.js';
import { imagesToTensor } from '../../src/data/batch.js';
import { loadDataset } from '../../src/data/load.js';
import { resolveModel } from '../../src/models/index.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const target = ['--model', 'zoo:lenet5', '--data', 'mnist', '--images-per-class', '3', '--threads', '1'];
/** 40 single-bit flips of float32 bit 30, the top exponent bit: a weight becomes ~1e38 or ~0. */
const exponentFlips = ['--plan', 'single-bit', '--per-bit', '40', '--bits', '30', '--seed', '5'];

function stored(db: string): { config: CampaignConfig; records: ExperimentRecord[]; cost: unknown } {
  const store = CampaignStore.open(db, true);
  try {
    return {
      config: store.config as CampaignConfig,
      records: store.records(),
      cost: store.metaJson('cleanCost', null),
    };
  } finally {
    store.close();
  }
}

async function run(db: string, ...extra: string[]): Promise<ReturnType<typeof stored>> {
  const r = await cli('campaign', 'run', '--db', db, ...target, ...exponentFlips, ...extra);
  assert.equal(r.code, 0, r.stderr);
  return stored(db);
}

test('campaign run --protect ranger: bounds profiled on training images, same raw flips, no more SDCs on bit 30, fast = naive', async () => {
  const dir = tempDir();
  const plain = await run(join(dir, 'plain.sqlite'));
  const ranger = await run(join(dir, 'ranger.sqlite'), '--protect', 'ranger:images=60');
  const naive = await run(join(dir, 'naive.sqlite'), '--protect', 'ranger:images=60', '--naive');

  // The stored bounds are the profiled golden extremes of the model's four Relus on the first
  // 60 training images (class-balanced), computed again here: exactly equal (float32 maxima).
  const train = await loadDataset('mnist', { split: 'train', limit: 60 });
  const model = injectedGraph(await resolveModel('zoo:lenet5'));
  const expected = await profileRangerBounds(model, imagesToTensor(train, allRows(train.count)));
  const profile = ranger.config.ranger;
  assert.ok(profile, 'the config records the profile');
  assert.deepEqual(profile.bounds, expected);
  assert.deepEqual(
    profile.bounds.map((b) => b.tensor),
    model.graph.nodes.filter((n) => n.opType === 'Relu').map((n) => n.outputs[0]),
  );
  assert.deepEqual([profile.split, profile.images, profile.hash], ['train', 60, train.hash]);
  assert.deepEqual(ranger.config.memory.protect, [{ name: 'ranger', images: 60 }]);

  // Paired: the identical raw bit flips, experiment by experiment (bit flips compared exactly).
  assert.equal(ranger.records.length, 40);
  assert.deepEqual(
    ranger.records.map((r) => r.faults),
    plain.records.map((r) => r.faults),
  );
  const sdc = (rs: ExperimentRecord[]): number => rs.reduce((s, r) => s + r.sdc, 0);
  assert.ok(sdc(plain.records) > 0, 'bit-30 flips cause SDCs unprotected');
  assert.ok(
    sdc(ranger.records) <= sdc(plain.records),
    `ranger ${sdc(ranger.records)} SDC images vs ${sdc(plain.records)} unprotected`,
  );
  // Fast and naive mode: the same outcomes on the ranger model.
  const outcome = (r: ExperimentRecord) => [r.index, r.sdc, r.correct, r.nanImages, r.infImages];
  assert.deepEqual(naive.records.map(outcome), ranger.records.map(outcome));

  // The clean-accuracy cost: measured once, on the campaign's 30 test images, with its interval.
  const cost = ranger.cost as CleanCost;
  assert.equal(cost.samples, 30);
  assert.deepEqual(cost.protections, ['ranger']);
  assert.ok(
    cost.difference.lower <= cost.difference.estimate && cost.difference.estimate <= cost.difference.upper,
  );
  // Two accuracies over 30 images: their difference is a multiple of 1/30 (up to rounding).
  assert.ok(Math.abs(cost.difference.estimate - (cost.protectedAccuracy - cost.unprotectedAccuracy)) < 1e-12);
  assert.equal(plain.cost, null, 'no graph protection, no measured cost');
  const status = await cli('campaign', 'status', join(dir, 'ranger.sqlite'));
  assert.match(status.stdout, /protected by ranger/);
  assert.match(
    status.stdout,
    /clean-accuracy cost of ranger: [\d.]+% protected vs [\d.]+% unprotected on 30 images, [+-][\d.]+ points \[/,
  );
  // Ranger stores no bits: the memory is the unprotected campaign's.
  const bits = async (db: string) =>
    (
      JSON.parse((await cli('campaign', 'status', db, '--json')).stdout) as {
        memory: { bits: number; checkBits: number };
      }
    ).memory;
  assert.deepEqual(await bits(join(dir, 'ranger.sqlite')), await bits(join(dir, 'plain.sqlite')));
  // Resume reads the bounds from the config: nothing to run, nothing profiled again.
  const resumed = await cli('campaign', 'resume', join(dir, 'ranger.sqlite'), '--json', '--threads', '1');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).ranNow, 0);
});

test('ranger composes with a memory code, and inject --protect ranger clips an exponent flip', async () => {
  const db = join(tempDir(), 'both.sqlite');
  const both = await run(db, '--protect', 'ranger:images=30,secded72');
  // Memory codes first, then the graph protection.
  assert.deepEqual(
    both.config.memory.protect?.map((p) => p.name),
    ['secded72', 'ranger'],
  );
  assert.ok(both.records.every((r) => r.sdc === 0 && r.corrected === 1));
  // A stored campaign replays with its own bounds.
  const replay = await cli('inject', '--db', db, '--index', '3', '--threads', '1');
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stdout, /identical to the stored outcome|matches/i);
  const inject = await cli(
    'inject',
    ...target,
    '--fault',
    'fc3.weight:0:30',
    '--protect',
    'ranger:images=30',
    '--json',
  );
  assert.equal(inject.code, 0, inject.stderr);
  const plain = await cli('inject', ...target, '--fault', 'fc3.weight:0:30', '--json');
  const sdcOf = (r: { stdout: string }) => (JSON.parse(r.stdout) as { outcome: { sdc: number } }).outcome.sdc;
  assert.ok(sdcOf(inject) <= sdcOf(plain), `${sdcOf(inject)} vs ${sdcOf(plain)}`);
});

test('a bad --protect ranger is a one-line error naming the fix (exit 2)', async () => {
  const cases: [string[], RegExp][] = [
    [['--protect', 'ranger:images=0'], /protection ranger: images must be in \[1, 1000000\], got 0/],
    [['--protect', 'ranger:count=5'], /unknown option of protection ranger 'count'/i],
  ];
  for (const [extra, re] of cases) {
    const r = await cli('campaign', 'run', '--db', join(tempDir(), 'x.sqlite'), ...target, ...extra);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
