/**
 * Per-op breakdown of one training step (forward, loss, backward) from ONNX Runtime's profiler.
 * Reproduce from the repository root:
 *   npx tsc -p . && node dist/bench/train-profile.js [--model resnet18|alexnet] [--steps 2]
 *     [--warmup 6]
 * Runs `warmup` + `steps` steps on random data at the benchmark batch size and prints the kernel
 * time per op type (ms per step and share) over the last `steps`, then the ten slowest nodes.
 * The warm-up steps are left out because they page-fault fresh memory (see train-speed.ts).
 * The shares are the useful figure on a shared machine; absolute times drift with load.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GradientSession } from '../src/train/session.js';
import { tempDir } from '../test/helpers/paths.js';
import { trainBench } from './train-common.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet18' },
    steps: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '6' },
  },
});
const model = values.model!;
const { model: m, batch, x, labels } = trainBench(model, 'profile');
const steps = Number(values.steps);
const dir = tempDir('prunefi-profile-');
const prefix = join(dir, 'train');
const session = await GradientSession.create(m, { threads: 2, profile: prefix });
const warmup = Number(values.warmup);
for (let i = 0; i < warmup + steps; i++) await session.run({ x, labels });
session.endProfiling();
await session.release();

interface Event {
  cat?: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}
const file = readdirSync(dir)
  .map((f) => join(dir, f))
  .find((f) => f.endsWith('.json'));
if (!file) throw new Error('no profile file was written');
const events = JSON.parse(readFileSync(file, 'utf8')) as Event[];
rmSync(dir, { recursive: true, force: true });
const measured = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').slice(warmup);
const runs = measured.length;
const inMeasured = (e: Event): boolean => measured.some((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
const byOp = new Map<string, number>();
const byNode = new Map<string, { op: string; us: number }>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !inMeasured(e)) continue;
  const op = e.args?.op_name ?? '?';
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  const n = byNode.get(e.name) ?? { op, us: 0 };
  n.us += e.dur;
  byNode.set(e.name, n);
}
const total = [...byOp.values()].reduce((a, b) => a + b, 0);
console.log(
  `${model}, batch ${batch}: ${(total / runs / 1000).toFixed(0)} ms of kernel time per step (mean of ${runs} steps after ${warmup} warm-up steps)`,
);
for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 14)) {
  console.log(
    `  ${op.padEnd(20)} ${(us / runs / 1000).toFixed(1).padStart(8)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%`,
  );
}
console.log('slowest nodes:');
for (const [name, n] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, 10)) {
  console.log(
    `  ${name.replace(/_kernel_time$/, '').padEnd(48)} ${n.op.padEnd(18)} ${(n.us / runs / 1000).toFixed(1)} ms`,
  );
}
