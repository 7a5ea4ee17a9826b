/**
 * Scale-out end to end on a real redis-server and real worker processes: three workers serve a
 * queued campaign; one is killed with SIGKILL in the middle of its first job and Redis is
 * restarted once (from its append-only file in a temp folder); the coordinator's database must
 * equal a single-process run of the same config and seed in every outcome field.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { storedMeta, storedOutcomes } from '../helpers/campaign-db.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { freePort, REDIS, start, startRedis } from '../helpers/redis.js';

const MAIN = join(REPO, 'dist/src/cli/main.js');

// LeNet-5 in naive mode over 500 digits: about 20 ms per experiment, so a job of 8 takes long
// enough to be killed in the middle of, and the whole campaign a few seconds on 3 workers.
const TARGET = [
  '--model',
  'zoo:lenet5',
  '--data',
  'mnist',
  '--images-per-class',
  '50',
  '--per-bit',
  '12',
  '--seed',
  '5',
  '--naive',
  '--threads',
  '1',
];

test('scale-out: 3 workers, one SIGKILLed mid-job, Redis restarted: the database equals a single-process run', {
  skip: REDIS ? false : 'redis-server is not installed (apt-get install redis-server)',
  timeout: 180_000,
}, async () => {
  const dir = tempDir('prunefi-queue-');
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const env = { ...process.env, PRUNEFI_CACHE: join(dir, 'cache') };
  let redis = startRedis(port, dir);
  await redis.waitFor(/Ready to accept connections/);
  const workers = [0, 1, 2].map((k) =>
    start(
      [
        process.execPath,
        MAIN,
        'worker',
        '--queue',
        url,
        '--threads',
        '1',
        '--stall-seconds',
        '1',
        '--cache-dir',
        join(dir, `cache${k}`),
      ],
      env,
    ),
  );
  try {
    await Promise.all(workers.map((w) => w.waitFor(/waiting for jobs/)));
    const single = spawnSync(
      process.execPath,
      [MAIN, 'campaign', 'run', '--db', join(dir, 'single.sqlite'), ...TARGET],
      { env, encoding: 'utf8' },
    );
    assert.equal(single.status, 0, single.stderr);

    const coordinator = start(
      [
        process.execPath,
        MAIN,
        'campaign',
        'run',
        '--db',
        join(dir, 'queued.sqlite'),
        ...TARGET,
        '--queue',
        url,
        '--job-size',
        '8',
      ],
      env,
    );
    const exited = once(coordinator.child, 'exit');
    // The first job of a worker includes fetching the artifacts and the golden pass: killing
    // right after it started kills it mid-job.
    await workers[0]!.waitFor(/job (\S+) experiments \d+-\d+ started/);
    const killedJob = /job (\S+) experiments \d+-\d+ started/.exec(workers[0]!.out())![1]!;
    workers[0]!.child.kill('SIGKILL');
    await Promise.race([workers[1]!.waitFor(/(done:[\s\S]*){3}/), workers[2]!.waitFor(/(done:[\s\S]*){3}/)]);
    redis.child.kill('SIGTERM');
    await once(redis.child, 'exit');
    redis = startRedis(port, dir);
    await redis.waitFor(/Ready to accept connections/);

    const [code] = (await exited) as [number];
    assert.equal(code, 0, coordinator.out());
    const others = workers[1]!.out() + workers[2]!.out();
    const finished = new RegExp(`job ${killedJob} [^\\n]*done:`);
    assert.doesNotMatch(workers[0]!.out(), finished, 'worker 0 died inside its job');
    assert.match(others, finished, 'the killed job was retried by another worker');
    assert.match(others, /connection .* lost|reconnected/, 'the workers saw Redis go away');
    assert.match(coordinator.out(), /384\/384 experiments stored/);
    assert.deepEqual(storedOutcomes(join(dir, 'queued.sqlite')), storedOutcomes(join(dir, 'single.sqlite')));
    assert.deepEqual(
      storedMeta(join(dir, 'queued.sqlite'), 'golden'),
      storedMeta(join(dir, 'single.sqlite'), 'golden'),
    );

    // SIGTERM stops a worker cleanly (exit 0) once its running jobs are done.
    workers[1]!.child.kill('SIGTERM');
    const [wcode] = (await once(workers[1]!.child, 'exit')) as [number];
    assert.equal(wcode, 0, workers[1]!.out());
    assert.match(workers[1]!.out(), /stopped/);
  } finally {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    redis.child.kill('SIGKILL');
  }
});
