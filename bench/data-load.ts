/**
 * Dataset loading and batching speed: decoding a CIFAR-10 JPEG split of ../shared on 1 and on N
 * threads (cache off), the cached load, and a 64-image training batch with crop + flip. Reproduce:
 *   npx tsc -p . && node dist/bench/data-load.js [--split test|train] [--threads 2] [--repeat 3]
 * Prints one JSON object; times are medians of `repeat` runs (wall ms). On a machine shared with
 * other jobs compare the ratios, not the absolute times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.js';
import { batches, loadDataset } from '../src/data/index.js';

const SHARED = resolve(import.meta.dirname, '../../..', 'shared');
const DATA = join(SHARED, 'datasets', 'cifar10-jpeg');

const { values } = parseArgs({
  options: {
    split: { type: 'string', default: 'test' },
    threads: { type: 'string', default: String(Math.min(availableParallelism(), 4)) },
    repeat: { type: 'string', default: '3' },
  },
});
const split = values.split!;
const threads = Number(values.threads);
const repeat = Number(values.repeat);

async function median(fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(repeat / 2)]!;
}

const oneThread = await median(async () => {
  await loadDataset(DATA, { split, cache: false, threads: 1 });
});
const nThreads = await median(async () => {
  await loadDataset(DATA, { split, cache: false, threads });
});
const cacheDir = mkdtempSync(join(tmpdir(), 'prunefi-bench-data-'));
rmSync(cacheDir, { recursive: true, force: true });
const set = await loadDataset(DATA, { split, cacheDir });
const cached = await median(async () => {
  await loadDataset(DATA, { split, cacheDir });
});
rmSync(cacheDir, { recursive: true, force: true });

const opts = {
  batchSize: 64,
  shuffle: Rng.seeded(1),
  augment: { rng: Rng.seeded(2), padding: 4, flip: true },
};
for (const _ of batches(set, opts)); // JIT warm-up
const t = process.cpuUsage();
let n = 0;
for (let e = 0; e < 3; e++) for (const _ of batches(set, { ...opts, epoch: e, reuse: true })) n++;
const cpu = process.cpuUsage(t);

console.log(
  JSON.stringify({
    split,
    images: set.count,
    decode_ms_1_thread: Math.round(oneThread),
    [`decode_ms_${threads}_threads`]: Math.round(nThreads),
    speedup: Number((oneThread / nThreads).toFixed(2)),
    cached_load_ms: Math.round(cached),
    batch64_crop_flip_cpu_ms: Number(((cpu.user + cpu.system) / 1000 / n).toFixed(3)),
  }),
);
