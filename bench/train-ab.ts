/**
 * A/B of the training step of two builds of prunefi, in one process: this checkout's and another
 * one's (a git worktree at the baseline commit, built with `npx tsc -p .`). Engine changes of a
 * few percent drown in this machine's minute-to-minute swings when the two are timed in separate
 * runs; alternating blocks of steps of both sessions in one process puts both in the same state
 * of the machine, and the ratio per round is what counts.
 * Reproduce from the repository root:
 *   git worktree add ../baseline <commit> && (cd ../baseline && npm ci && npx tsc -p .)
 *   npx tsc -p . && node dist/bench/train-ab.js --baseline ../baseline [--model alexnet|resnet18]
 *     [--rounds 12] [--block 6]
 * Each session takes six warm-up steps (see train-speed.ts); then every round times `block`
 * steps of each (the order alternating between rounds) and keeps each side's median step. Prints
 * both medians and the median of the per-round ratios (this build over the baseline).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GradientSession } from '../src/train/session.js';
import { median, trainBench } from './train-common.js';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    model: { type: 'string', default: 'alexnet' },
    rounds: { type: 'string', default: '12' },
    block: { type: 'string', default: '6' },
  },
});
if (!values.baseline) {
  console.error('train-ab: pass --baseline <checkout of the other build, compiled to dist/>');
  process.exit(2);
}
const { model, batch, x, labels } = trainBench(values.model!, 'train-ab');

type Runner = Pick<GradientSession, 'run' | 'release'>;
const baselineModule = resolve(values.baseline, 'dist/src/train/session.js');
const Baseline = ((await import(baselineModule)) as { GradientSession: typeof GradientSession })
  .GradientSession;
const sides: Record<'this' | 'baseline', Runner> = {
  this: await GradientSession.create(model, { threads: 2 }),
  baseline: await Baseline.create(model, { threads: 2 }),
};
for (const s of Object.values(sides)) for (let i = 0; i < 6; i++) await s.run({ x, labels });

const times: Record<'this' | 'baseline', number[]> = { this: [], baseline: [] };
const ratios: number[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const order = r % 2 ? (['baseline', 'this'] as const) : (['this', 'baseline'] as const);
  const round: Record<string, number> = {};
  for (const side of order) {
    const steps: number[] = [];
    for (let i = 0; i < Number(values.block); i++) {
      const t0 = performance.now();
      await sides[side].run({ x, labels });
      steps.push(performance.now() - t0);
    }
    round[side] = median(steps);
    times[side].push(round[side]);
  }
  ratios.push(round.this! / round.baseline!);
}
for (const s of Object.values(sides)) await s.release();
console.log(
  JSON.stringify({
    model: values.model,
    batch,
    this_ms_per_step: Number(median(times.this).toFixed(1)),
    baseline_ms_per_step: Number(median(times.baseline).toFixed(1)),
    ratio_this_over_baseline: Number(median(ratios).toFixed(3)),
    ratios: ratios.map((v) => Number(v.toFixed(2))),
  }),
);
