/**
 * A simulated cluster: 16 worker processes whose jobs hold a fixed time (a timer, standing in for
 * compute on 16 separate machines), fed by one queue. Efficiency is the ideal time (jobs × job time
 * / workers) over the measured wall time from the first job queued to the last result read back,
 * so it measures what the queue itself costs: BullMQ's fetch, lock and completion round trips, and
 * the coordinator's polling. Reproduce with:
 *   npx tsc -p . && node dist/bench/queue-cluster.js [--workers 16] [--jobs 320] [--ms 500]
 * It starts its own redis-server on a free loopback port. The workers are real `runWorker` loops
 * (the same code `prunefi worker` runs) with a bench-only job type: the queue never runs anything
 * but the job types a worker is given.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import type { JobType } from '../src/queue/job-types.js';
import { QUEUE_NAME } from '../src/queue/payload.js';
import { runWorker } from '../src/queue/worker.js';
import { startLocalRedis } from './local-redis.js';

const { values: a } = parseArgs({
  options: {
    workers: { type: 'string', default: '16' },
    jobs: { type: 'string', default: '320' },
    ms: { type: 'string', default: '500' },
    'worker-of': { type: 'string' },
  },
});

const HOLD_JOB: JobType = {
  name: 'bench-hold',
  description: 'holds a fixed time (bench only)',
  reference: '',
  start: () => ({
    run: async (job) => {
      await new Promise((r) => setTimeout(r, Number(job.data.ms)));
      return { ok: true };
    },
    label: () => 'hold',
    close: async () => {},
  }),
};

if (a['worker-of']) {
  // A child: one worker until SIGTERM.
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  await runWorker({
    url: a['worker-of'],
    jobTypes: [HOLD_JOB],
    concurrency: 1,
    cacheDir: mkdtempSync('/tmp/prunefi-cluster-worker-'),
    stallSeconds: 30,
    signal: stop.signal,
    log: (line) => {
      if (line.includes('waiting for jobs')) process.stdout.write('ready\n');
    },
  });
  process.exit(0);
}

const workers = Number(a.workers);
const jobs = Number(a.jobs);
const ms = Number(a.ms);
const redis = await startLocalRedis('/tmp/prunefi-cluster-bench-');
const { url, port } = redis;
const children: ChildProcess[] = [];
const queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port } });
try {
  await Promise.all(
    Array.from({ length: workers }, () => {
      const c = spawn(process.execPath, [import.meta.filename, '--worker-of', url], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(c);
      return new Promise<void>((ready) => c.stdout!.once('data', () => ready()));
    }),
  );
  const t0 = performance.now();
  await queue.addBulk(
    Array.from({ length: jobs }, (_, i) => ({
      name: HOLD_JOB.name,
      data: { ms },
      opts: { jobId: `hold-${i}` },
    })),
  );
  // Poll as the coordinators do: read the completed set, remove what was read.
  let done = 0;
  while (done < jobs) {
    for (const job of await queue.getCompleted(0, -1)) {
      await job.remove();
      done++;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const wall = (performance.now() - t0) / 1000;
  const ideal = (jobs * ms) / 1000 / workers;
  console.log(
    `${workers} workers, ${jobs} jobs of ${ms} ms: ideal ${ideal.toFixed(2)} s, measured ${wall.toFixed(2)} s`,
  );
  console.log(
    `efficiency ${((100 * ideal) / wall).toFixed(1)}% (queue cost per job ≈ ${(((wall - ideal) * workers * 1000) / jobs).toFixed(1)} ms of worker time)`,
  );
} finally {
  await queue.close();
  for (const c of children) c.kill('SIGTERM');
  redis.stop();
}
