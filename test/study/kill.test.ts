/**
 * SIGKILL at the moments a study is most exposed, each followed by the same command run again:
 * in the middle of a fine-tuning epoch (a checkpoint half-way), while the partial report is being
 * written, in the middle of a campaign, and at a spread of instants while the final report is
 * written. After every kill each file the study left is whole (JSON parses, HTML is complete),
 * and the finished study's stored results and report numbers equal an uninterrupted run's.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, tempDir } from '../helpers/paths.js';
import { start } from '../helpers/redis.js';
import { reportNumbers, stepResults } from '../helpers/study-results.js';

const MAIN = join(REPO, 'dist/src/cli/main.js');

// Training, pruning with two epochs of fine-tuning and both campaign kinds on LeNet-5: a whole
// run takes about 3 s, so a dozen killed runs fit in a test.
const CONFIG = {
  name: 'killed',
  data: 'mnist',
  evalLimit: 200,
  trainLimit: 600,
  models: [{ name: 'lenet5', source: 'zoo:lenet5', train: { epochs: 1 } }],
  pruning: [{ method: 'magnitude', sparsities: [0.5], finetune: { epochs: 2 } }],
  faultModels: [{ numberFormat: 'float32', storageFormat: 'dense' }],
  campaigns: { images: 100, ber: { rates: [1e-4], trials: 3 }, singleBit: { perBit: 2 } },
  seed: 3,
  threads: 1,
};

/** Every file a kill may have been writing is whole: JSON parses and HTML is complete. */
function assertWhole(out: string, when: string): void {
  const files: string[] = [];
  for (const f of ['study.json', 'report.json', 'report-numbers.json']) files.push(join(out, f));
  const artifacts = join(out, 'artifacts');
  if (existsSync(artifacts))
    for (const kind of readdirSync(artifacts))
      for (const key of readdirSync(join(artifacts, kind)))
        files.push(join(artifacts, kind, key, 'result.json'));
  for (const f of files.filter((f) => existsSync(f)))
    assert.doesNotThrow(() => JSON.parse(readFileSync(f, 'utf8')), `${f} is torn after a kill ${when}`);
  const html = join(out, 'report.html');
  if (existsSync(html))
    assert.match(readFileSync(html, 'utf8'), /<\/html>\s*$/, `report.html is torn after a kill ${when}`);
}

test('a study SIGKILLed mid fine-tune, mid report and mid campaign resumes to the uninterrupted results', {
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir('prunefi-study-kill-');
  const config = join(dir, 'study.json');
  writeFileSync(config, JSON.stringify(CONFIG));
  const env = { ...process.env, PRUNEFI_CACHE: join(dir, 'cache') };
  const run = (out: string) => [process.execPath, MAIN, 'study', '--config', config, '--out', join(dir, out)];
  const whole = spawnSync(run('whole')[0]!, run('whole').slice(1), { env, encoding: 'utf8' });
  assert.equal(whole.status, 0, whole.stderr);

  /** Runs the study into `out`, SIGKILLs it `delay` ms after `at` is printed; true if it was killed. */
  const killAt = async (out: string, at: RegExp, delay: number, what: string): Promise<boolean> => {
    const p = start(run(out), env);
    const exited = once(p.child, 'exit');
    const reached = await p.waitFor(at).then(
      () => true,
      () => false,
    );
    if (reached && delay > 0) await new Promise((r) => setTimeout(r, delay));
    const killed = reached && p.child.kill('SIGKILL');
    const [code, signal] = (await exited) as [number | null, string | null];
    // A run may end before the kill lands (the report is written in milliseconds): then it
    // must have finished the study.
    if (signal !== 'SIGKILL') assert.equal(code, 0, p.out());
    assertWhole(join(dir, out), what);
    return killed && signal === 'SIGKILL';
  };
  const finish = (out: string) => {
    const r = spawnSync(run(out)[0]!, run(out).slice(1), { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(stepResults(join(dir, out)), stepResults(join(dir, 'whole')), out);
    assert.deepEqual(reportNumbers(join(dir, out)), reportNumbers(join(dir, 'whole')), out);
  };

  // One study killed again and again as it progresses: the partial report is written after the
  // first variant's last step, fine-tuning is the second variant's first step, and the final
  // report is written after the last step, whether it ran (done) or was stored (reused).
  let killed = 0;
  const chain: [RegExp, number, string][] = [
    [/\[4\/8\] [^\n]*: done/, 0, 'as the partial report is written'],
    [/fine-tune epoch 2\/2/, 0, 'mid fine-tune'],
    [/\[8\/8\] bits [^\n]* [1-9]\d*\/64 experiments/, 0, 'mid campaign'],
    ...[0, 2, 5, 10, 20, 40].map((d): [RegExp, number, string] => [
      /\[8\/8\] [^\n]*: (done|reused)/,
      d,
      `${d} ms into the final report`,
    ]),
  ];
  for (const [at, delay, what] of chain) killed += (await killAt('killed', at, delay, what)) ? 1 : 0;
  assert.ok(killed >= 5, `only ${killed} of ${chain.length} runs were killed`);
  t.diagnostic(`${killed} of ${chain.length} runs of the chain were killed before they finished`);
  finish('killed');
  // The partial report at more instants, each on a study of its own (the chain passes it once).
  for (const delay of [2, 6]) {
    await killAt(`partial-${delay}`, /\[4\/8\] [^\n]*: done/, delay, `${delay} ms into the partial report`);
    finish(`partial-${delay}`);
  }
  assert.deepEqual(
    readdirSync(join(dir, 'killed', 'artifacts', 'prune')).flatMap((k) =>
      readdirSync(join(dir, 'killed', 'artifacts', 'prune', k)).filter((f) => f.endsWith('.ckpt')),
    ),
    [],
    'the fine-tuning checkpoint is removed once its step is done',
  );
});
