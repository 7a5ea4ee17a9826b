import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { planStudy } from '../../src/study/plan.js';
import { sourceIdentity } from '../../src/study/runner.js';
import { ArtifactStore } from '../../src/study/store.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { tinyStudy } from '../helpers/study.js';

/** Every path under `dir`, to show that a dry run writes nothing. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

test('study --dry-run lists the steps in run order with their estimates, and runs nothing', async () => {
  const dir = tempDir();
  const file = join(dir, 'tiny.json');
  const config = tinyStudy();
  writeFileSync(file, JSON.stringify(config));
  const out = join(dir, 'out');
  const steps = planStudy(config, (s) => sourceIdentity(s));
  const ids = steps.map((s) => s.id);
  assert.deepEqual(ids, [
    'base lenet5',
    'eval lenet5/unpruned',
    'ber lenet5/unpruned [float32 dense bit-flip]',
    'bits lenet5/unpruned [float32 dense bit-flip]',
    'prune lenet5/magnitude@0.5',
    'eval lenet5/magnitude@0.5',
    'ber lenet5/magnitude@0.5 [float32 dense bit-flip]',
    'bits lenet5/magnitude@0.5 [float32 dense bit-flip]',
  ]);

  // A fresh study: nothing has been timed, so every step is 'unknown'; no study folder appears.
  const fresh = await cli('study', '--config', file, '--out', out, '--dry-run');
  assert.equal(fresh.code, 0, fresh.stderr);
  const lines = fresh.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `study 'tiny' in ${out}: 8 steps, 0 done, 8 to run`);
  assert.deepEqual(
    lines.slice(1, 9).map((l) => l.trim().split(/\s{2,}/)),
    ids.map((id, i) => [String(i + 1), id, 'unknown']),
  );
  assert.match(lines[9]!, /^to run: 8 steps not yet timed/);
  assert.deepEqual(readdirSync(dir), ['tiny.json']);

  // The baseline's steps finished in an earlier run: they show as done with their times, and the
  // pruned variant's measurements are estimated from them; its prune step has no peer yet.
  const store = new ArtifactStore(out);
  const took = [5, 2, 10, 4];
  steps.slice(0, 4).forEach((step, i) => {
    store.finish(step, { kind: step.kind, seconds: took[i] });
  });
  const before = tree(out);
  const resumed = await cli('study', '--config', file, '--out', out, '--dry-run');
  assert.equal(resumed.code, 0, resumed.stderr);
  const times = resumed.stdout
    .trimEnd()
    .split('\n')
    .slice(1, 9)
    .map((l) => l.trim().split(/\s{2,}/)[2]);
  assert.deepEqual(times, [
    'done in 5s',
    'done in 2s',
    'done in 10s',
    'done in 4s',
    'unknown',
    '≈ 2s',
    '≈ 10s',
    '≈ 4s',
  ]);
  assert.match(resumed.stdout, /study 'tiny' in .*: 8 steps, 4 done, 4 to run\n/);
  assert.match(resumed.stdout, /\nto run: ≥ 16s \+ 1 step not yet timed/);
  assert.deepEqual(tree(out), before, 'a dry run writes nothing');

  const json = await cli('study', '--config', file, '--out', out, '--dry-run', '--json');
  assert.equal(json.code, 0, json.stderr);
  const plan = JSON.parse(json.stdout) as {
    steps: { id: string; kind: string; deps: string[]; done: boolean; seconds: number | null }[];
    toRun: { steps: number; seconds: number; unestimated: number };
  };
  assert.deepEqual(
    plan.steps.map((s) => s.id),
    ids,
  );
  assert.deepEqual(plan.steps[4], {
    id: 'prune lenet5/magnitude@0.5',
    kind: 'prune',
    deps: ['base lenet5'],
    done: false,
    seconds: null,
  });
  assert.deepEqual(plan.toRun, { steps: 4, seconds: 16, unestimated: 1 });
});

test('study --dry-run checks the config first: a typo is the same one-line error', async () => {
  const dir = tempDir();
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ ...tinyStudy(), faultModels: [{ numberFormat: 'float33' }] }));
  const r = await cli('study', '--config', file, '--out', join(dir, 'out'), '--dry-run');
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^prunefi: error: study config: config\.faultModels\[0\]\.numberFormat: unknown number format 'float33'.*did you mean 'float32'\?\n$/,
  );
  assert.deepEqual(readdirSync(dir), ['bad.json']);
});
