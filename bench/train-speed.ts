/**
 * Training throughput of prunefi against PyTorch, side by side in one run (ratios are what
 * count on a shared machine). Reproduce from the repository root with:
 *   npx tsc -p . && node dist/bench/train-speed.js [--model resnet18|alexnet|both] [--steps 4]
 *     [--warmup 6] [--threads 2] [--strategy auto|im2col|conv] [--no-torch] [--profile prefix]
 * Each model is timed with its PyTorch batch size (ResNet18 64, AlexNet 128) on random inputs,
 * one full SGD step (forward, backward, update) per iteration; the median of `steps` iterations
 * after `warmup` steps is reported, split into the ONNX Runtime run and the TypeScript update.
 * Six warm-up steps, not one: the first steps page-fault fresh memory while ONNX Runtime's arena
 * grows and glibc settles its mmap threshold for the output buffers (AlexNet: 13–18 k faults in
 * each of the first two steps, ~2 400 in the next few, then none; ~17 µs per fault on this VM),
 * and a training epoch runs hundreds of steps in the settled state. PyTorch's side caches its
 * memory from the first step.
 * PyTorch is ../shared/bench/torch_baseline.py speed (through bench/torch_speed.py, which fixes
 * its loader for ResNet18's Identity-aliased initializers), run before and after prunefi.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runtimeVersion } from '../src/runtime/session.js';
import { applyUpdate } from '../src/train/loop.js';
import { Sgd } from '../src/train/optim.js';
import { GradientSession } from '../src/train/session.js';
import { BATCH, median, trainBench } from './train-common.js';

// Paths are relative to the working folder: run from the repository root.
const SHARED = resolve('..', 'shared');

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'both' },
    steps: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '6' },
    threads: { type: 'string', default: '2' },
    strategy: { type: 'string', default: 'auto' },
    'no-torch': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});

function torchSpeed(model: string, batch: number, threads: number): number | undefined {
  const script = resolve('bench/torch_speed.py');
  if (
    values['no-torch'] ||
    !existsSync(join(SHARED, 'bench/torch_baseline.py')) ||
    !existsSync('/usr/bin/python3')
  )
    return undefined;
  const r = spawnSync(
    '/usr/bin/python3',
    [script, '--model', model, '--batch', String(batch), '--threads', String(threads)],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    console.error(`torch baseline failed: ${r.stderr}`);
    return undefined;
  }
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { train_ms_per_img: number }).train_ms_per_img;
}

async function prunefiSpeed(model: string, threads: number) {
  const { model: m, batch, x, labels } = trainBench(model, 'bench');
  const t0 = performance.now();
  const session = await GradientSession.create(m, {
    threads,
    convWeightGrad: values.strategy as 'auto' | 'im2col' | 'conv',
    ...(values.profile ? { profile: `${values.profile}-${model}` } : {}),
  });
  const buildSeconds = (performance.now() - t0) / 1000;
  const sgd = new Sgd({ lr: 1e-3, momentum: 0.9 });
  const runs: number[] = [];
  const updates: number[] = [];
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  for (let i = 0; i < warmup + steps; i++) {
    const a = performance.now();
    const out = await session.run({ x, labels });
    const b = performance.now();
    applyUpdate(session, sgd, out, { lr: 1e-3 });
    const c = performance.now();
    if (i >= warmup) {
      runs.push(b - a);
      updates.push(c - b);
    }
  }
  if (values.profile) session.endProfiling();
  await session.release();
  const run = median(runs);
  const update = median(updates);
  return {
    buildSeconds,
    runMsPerImg: run / batch,
    updateMsPerImg: update / batch,
    msPerImg: (run + update) / batch,
  };
}

const models = values.model === 'both' ? ['resnet18', 'alexnet'] : [values.model!];
const threads = Number(values.threads);
console.log(`onnxruntime ${runtimeVersion()}, ${threads} threads, conv weight gradient: ${values.strategy}`);
for (const model of models) {
  const batch = BATCH[model]!;
  const before = torchSpeed(model, batch, threads);
  const ours = await prunefiSpeed(model, threads);
  const after = torchSpeed(model, batch, threads);
  const torch = before !== undefined && after !== undefined ? (before + after) / 2 : undefined;
  console.log(
    JSON.stringify({
      model,
      batch,
      prunefi_ms_per_img: +ours.msPerImg.toFixed(3),
      prunefi_ort_run_ms_per_img: +ours.runMsPerImg.toFixed(3),
      prunefi_update_ms_per_img: +ours.updateMsPerImg.toFixed(4),
      graph_build_and_load_s: +ours.buildSeconds.toFixed(2),
      torch_ms_per_img: torch === undefined ? null : +torch.toFixed(3),
      torch_runs: [before, after].map((v) => (v === undefined ? null : +v.toFixed(3))),
      ratio_prunefi_over_torch: torch === undefined ? null : +(ours.msPerImg / torch).toFixed(3),
    }),
  );
}
