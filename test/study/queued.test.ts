/**
 * `study --queue` end to end on a real redis-server and two real worker processes, each with a
 * cache folder of its own (no shared filesystem): the coordinator is killed with SIGKILL after its
 * first pruned model is stored, and the same command run again finishes the study. Every step's
 * stored result, every model file and the report's numbers must equal a single-process run's.
 * Then the workers' refusals: a job of another prunefi version, and a study step whose content
 * key the worker does not plan (another config, another version's plan), each fail with a reason.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Queue } from 'bullmq';
import { PRUNEFI_VERSION, QUEUE_NAME } from '../../src/queue/payload.js';
import { STUDY_STEP_JOB } from '../../src/study/step-job.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { REDIS, readyRedis, start, stopProcesses } from '../helpers/redis.js';
import { reportNumbers, stepResults } from '../helpers/study-results.js';

const MAIN = join(REPO, 'dist/src/cli/main.js');

// Training, pruning with fine-tuning, evaluation and both campaign kinds: every step kind a
// preset has, on LeNet-5 and 600 training digits, so the whole study takes seconds.
const CONFIG = {
  name: 'queued',
  data: 'mnist',
  evalLimit: 200,
  trainLimit: 600,
  models: [{ name: 'lenet5', source: 'zoo:lenet5', train: { epochs: 1 } }],
  pruning: [
    { method: 'magnitude', sparsities: [0.5], finetune: { epochs: 1 } },
    { method: 'l1-filter', sparsities: [0.5], finetune: { epochs: 1 } },
  ],
  faultModels: [{ numberFormat: 'float32', storageFormat: 'dense' }],
  campaigns: { images: 100, ber: { rates: [1e-4], trials: 3 }, singleBit: { perBit: 2 } },
  seed: 3,
  threads: 1,
};

test('study --queue: 2 workers, the coordinator SIGKILLed and rerun: every result equals a single-process run', {
  skip: REDIS ? false : 'redis-server is not installed (apt-get install redis-server)',
  timeout: 180_000,
}, async () => {
  const dir = tempDir('prunefi-study-queue-');
  const config = join(dir, 'study.json');
  writeFileSync(config, JSON.stringify(CONFIG));
  const { port, url, server: redis } = await readyRedis(dir);
  const env = { ...process.env, PRUNEFI_CACHE: join(dir, 'coordinator-cache') };
  const workers = [0, 1].map((i) =>
    start(
      [
        process.execPath,
        MAIN,
        'worker',
        '--queue',
        url,
        '--threads',
        '1',
        '--cache-dir',
        join(dir, `worker${i}`),
      ],
      env,
    ),
  );
  try {
    await Promise.all(workers.map((w) => w.waitFor(/waiting for jobs \(campaign-range, study-step\)/)));
    const single = spawnSync(
      process.execPath,
      [MAIN, 'study', '--config', config, '--out', join(dir, 'single')],
      {
        env,
        encoding: 'utf8',
      },
    );
    assert.equal(single.status, 0, single.stderr);

    const args = [
      process.execPath,
      MAIN,
      'study',
      '--config',
      config,
      '--out',
      join(dir, 'queued'),
      '--queue',
      url,
    ];
    const first = start(args, env);
    await first.waitFor(/coordinator: prune \S+ done on/);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const second = start(args, env);
    const [code] = (await once(second.child, 'exit')) as [number];
    assert.equal(code, 0, second.out());
    assert.match(second.out(), /reused/, 'the rerun reused the steps the killed coordinator stored');
    assert.match(second.out(), /study 'queued' finished/);
    assert.match(workers[0]!.out() + workers[1]!.out(), /study step 'prune/);

    const expected = stepResults(join(dir, 'single'));
    assert.equal(Object.keys(expected).length, 12);
    assert.deepEqual(stepResults(join(dir, 'queued')), expected);
    for (const [id, r] of Object.entries(expected) as [string, { result: { file?: string } }][]) {
      if (!r.result.file) continue;
      assert.ok(
        readFileSync(join(dir, 'single', r.result.file)).equals(
          readFileSync(join(dir, 'queued', r.result.file)),
        ),
        `${id}: the model file differs`,
      );
    }
    assert.deepEqual(reportNumbers(join(dir, 'queued')), reportNumbers(join(dir, 'single')));

    // Refusals: another version is retried elsewhere, then fails; a key this worker does not plan fails at once.
    const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port } });
    try {
      const job = (version: string, key: string) => ({
        version,
        config: CONFIG,
        step: 'base lenet5',
        key,
        sources: { 'zoo:lenet5': 'zoo:lenet5' },
        data: '0'.repeat(64),
        inputs: [],
      });
      const other = await queue.add(STUDY_STEP_JOB, job('0.0.0-other', 'a'.repeat(64)), { attempts: 1 });
      const wrongKey = await queue.add(STUDY_STEP_JOB, job(PRUNEFI_VERSION, 'b'.repeat(64)), { attempts: 3 });
      const failure = async (id: string): Promise<string> => {
        // The state first, then the job: a job read before it failed keeps its old fields.
        while ((await queue.getJobState(id)) !== 'failed') await new Promise((r) => setTimeout(r, 100));
        const j = await queue.getJob(id);
        return `${j?.failedReason} (${j?.attemptsMade} attempts)`;
      };
      assert.match(await failure(other.id!), /runs prunefi \S+ but the job comes from prunefi 0\.0\.0-other/);
      assert.match(
        await failure(wrongKey.id!),
        /plans study step 'base lenet5' with key \w+, not the job's bbbbbbbbbbbb.*\(1 attempts\)/,
      );
    } finally {
      await queue.close();
    }
  } finally {
    await stopProcesses([...workers, redis]);
  }
});
