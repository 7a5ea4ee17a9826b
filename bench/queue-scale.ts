/**
 * Scale-out through the queue on this machine: one campaign run by 1 and by 2 local workers (one
 * ONNX Runtime thread each), and the queue's fixed cost per job. Reproduce with:
 *   npx tsc -p . && node dist/bench/queue-scale.js [--images-per-class 50] [--per-bit 20]
 * It starts its own redis-server on a free loopback port (files in a temp folder). The overhead
 * per job is measured by difference: the same campaign on 1 worker with jobs of 1 experiment and
 * with jobs of 64, so (T₁ − T₆₄) / (jobs₁ − jobs₆₄) is what one job costs beyond its experiments.
 * Each figure is the coordinator's wall time of a fresh database (the workers are warm: each
 * campaign runs once before timing, so artifacts are cached and no first-job setup is timed).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalRedis } from './local-redis.js';

const REPO = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO, 'dist/src/cli/main.js');
const { values: a } = parseArgs({
  options: {
    'images-per-class': { type: 'string', default: '50' },
    'per-bit': { type: 'string', default: '20' },
  },
});
const redis = await startLocalRedis('/tmp/prunefi-queue-bench-');
const { dir, url } = redis;
const env = { ...process.env, PRUNEFI_CACHE: join(dir, 'cache') };
const target = [
  '--model',
  'zoo:lenet5',
  '--data',
  'mnist',
  '--images-per-class',
  a['images-per-class']!,
  '--per-bit',
  a['per-bit']!,
  '--threads',
  '1',
];
let run = 0;

/** Seconds of one queued campaign into a fresh database. */
function campaign(extra: string[]): number {
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [MAIN, 'campaign', 'run', '--db', join(dir, `c${run++}.sqlite`), ...target, '--queue', url, ...extra],
    { env, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return (performance.now() - t) / 1000;
}

function workers(n: number): ChildProcess[] {
  return Array.from({ length: n }, () =>
    spawn(process.execPath, [MAIN, 'worker', '--queue', url, '--threads', '1'], { env, stdio: 'ignore' }),
  );
}

async function stop(ws: ChildProcess[]): Promise<void> {
  await Promise.all(
    ws.map(
      (w) =>
        new Promise((r) => {
          w.once('exit', r);
          w.kill('SIGTERM');
        }),
    ),
  );
}

const experiments = 32 * Number(a['per-bit']);
let ws = workers(1);
campaign([]);
const one = campaign([]);
const t1 = campaign(['--job-size', '1']);
const t64 = campaign(['--job-size', '64']);
await stop(ws);
ws = workers(2);
campaign([]);
const two = campaign([]);
await stop(ws);
redis.stop();
const overhead = (t1 - t64) / (experiments - Math.ceil(experiments / 64));
console.log(`campaign: zoo:lenet5, ${experiments} experiments, ${a['images-per-class']} images per class`);
console.log(
  `1 worker ${one.toFixed(2)} s, 2 workers ${two.toFixed(2)} s: throughput ratio ${(one / two).toFixed(2)}`,
);
console.log(
  `job size 1: ${t1.toFixed(2)} s, job size 64: ${t64.toFixed(2)} s: queue overhead ${(overhead * 1000).toFixed(1)} ms per job`,
);
