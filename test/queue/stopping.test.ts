/**
 * Sequential stopping through the queue: two workers finish jobs in any order, and the
 * coordinator is killed with SIGKILL once it has stored some experiments and run again, yet it
 * must store exactly the experiments a single-process run stores (those before the look that
 * stopped it), with the same stop record.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { storedMeta, storedOutcomes } from '../helpers/campaign-db.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { REDIS, readyRedis, start, stopProcesses } from '../helpers/redis.js';

const MAIN = join(REPO, 'dist/src/cli/main.js');
// 300 BER trials on 50 digits; this rule stops after 96 (the fourth look of 24).
const TARGET = [
  '--model',
  'zoo:lenet5',
  '--data',
  'mnist',
  '--images-per-class',
  '5',
  '--plan',
  'ber',
  '--rates',
  '3e-5,3e-4',
  '--trials',
  '150',
  '--stop-half-width',
  '0.2',
  '--stop-every',
  '24',
  '--seed',
  '4',
  '--threads',
  '1',
];

/** Experiments stored so far (0 before the database exists). */
function storedCount(db: string): number {
  if (!existsSync(db)) return 0;
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number }).n;
  } catch {
    return 0; // not created yet
  } finally {
    d.close();
  }
}

/** Every stored outcome but its time, by index, and the stop record. */
function stored(db: string): { rows: unknown[]; stopped: unknown } {
  return { rows: storedOutcomes(db), stopped: storedMeta(db, 'stopped') };
}

test('sequential stopping on the queue stores what a single-process run stores, and stops at the same look', {
  skip: REDIS ? false : 'redis-server is not installed (apt-get install redis-server)',
  timeout: 120_000,
}, async () => {
  const dir = tempDir('prunefi-queue-stop-');
  const { url, server: redis } = await readyRedis(dir);
  const env = { ...process.env, PRUNEFI_CACHE: join(dir, 'cache') };
  const workers = [0, 1].map(() =>
    start([process.execPath, MAIN, 'worker', '--queue', url, '--threads', '1'], env),
  );
  try {
    await Promise.all(workers.map((w) => w.waitFor(/waiting for jobs/)));
    const run = (db: string, extra: string[]) =>
      spawnSync(process.execPath, [MAIN, 'campaign', 'run', '--db', join(dir, db), ...TARGET, ...extra], {
        env,
        encoding: 'utf8',
      });
    const single = run('single.sqlite', []);
    assert.equal(single.status, 0, single.stderr);
    // The coordinator is killed once it has stored some experiments; the same command resumes.
    const queuedArgs = ['--db', join(dir, 'queued.sqlite'), ...TARGET, '--queue', url, '--job-size', '5'];
    const first = start([process.execPath, MAIN, 'campaign', 'run', ...queuedArgs], env);
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (first.child.exitCode !== null)
        assert.fail(`the coordinator exited before it was killed:\n${first.out()}`);
      if (storedCount(join(dir, 'queued.sqlite')) >= 10) break;
    }
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const queued = spawnSync(process.execPath, [MAIN, 'campaign', 'run', ...queuedArgs], {
      env,
      encoding: 'utf8',
    });
    assert.equal(queued.status, 0, queued.stderr);
    assert.match(queued.stdout, /stopped early/);
    const a = stored(join(dir, 'single.sqlite'));
    assert.ok(a.stopped, 'the single-process run stopped early (else this test shows nothing)');
    assert.ok(a.rows.length < 300);
    assert.deepEqual(stored(join(dir, 'queued.sqlite')), a);
  } finally {
    await stopProcesses([...workers, redis]);
  }
});
