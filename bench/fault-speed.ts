/**
 * Fault-injection speed on ResNet18-CIFAR, 1000 images, single float32 bit flips: prunefi's fast
 * mode, prunefi's naive mode (full inference per experiment) and PyTorch
 * (../shared/bench/torch_baseline.py flips), side by side in one run, on the *same* faults
 * (prunefi replays PyTorch's fault list; fast mode also runs extra experiments drawn by prunefi
 * with the same distribution, so its per-session setup is amortized realistically). Each tool
 * runs in its own process so its peak memory is its own. Reproduce with:
 *   npx tsc -p . && node dist/bench/fault-speed.js [--model resnet18] [--torch-faults 10]
 *     [--naive-faults 10] [--fast-extra 200] [--images 1000] [--threads 2]
 * Ratios measured in one run are what count on a shared machine.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Evaluator } from '../src/campaign/evaluator.js';
import { Rng } from '../src/core/rng.js';
import { checkFaultList, parseFaultList } from '../src/fault/fault-list.js';
import { FaultSpace, sampleFaults } from '../src/fault/fault-models.js';
import { loadModel, saveModel } from '../src/onnx/file.js';
import { materializeIdentityConstants } from '../src/onnx/graph.js';
import { cifarSubset, peakRssMiB, SHARED } from './fault-common.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet18' },
    images: { type: 'string', default: '1000' },
    'torch-faults': { type: 'string', default: '10' },
    'naive-faults': { type: 'string', default: '10' },
    'fast-extra': { type: 'string', default: '200' },
    threads: { type: 'string', default: '2' },
    worker: { type: 'string' },
    list: { type: 'string', default: '/tmp/prunefi-fault-speed-flips.json' },
  },
});

interface WorkerResult {
  mode: string;
  experiments: number;
  setupSeconds: number;
  /** Wall time from model load to the end of the first pass (setup included), per experiment. */
  amortizedSecondsPerExperiment: number;
  /** A second pass over the same experiments: sessions and golden runs already exist. */
  steadySecondsPerExperiment: number;
  imagesRunFraction: number;
  sameSdcAsTorch: number;
  replayed: number;
  cacheMiB: number;
  sessions: number;
  analysisSeconds: number;
  inferenceSeconds: number;
  peakRssMiB: number;
}

async function worker(mode: 'fast' | 'naive'): Promise<void> {
  const json = JSON.parse(readFileSync(values.list!, 'utf8')) as { images: number };
  const list = parseFaultList(json, values.list!);
  const input = await cifarSubset(json.images / 10);
  const model = loadModel(resolve(SHARED, `models/${values.model}_cifar.onnx`));
  const t0 = performance.now();
  const ev = await Evaluator.create(model, input, { foldBn: false, mode, threads: Number(values.threads) });
  checkFaultList(list, ev.memory);
  const replay =
    mode === 'naive' ? list.experiments.slice(0, Number(values['naive-faults'])) : list.experiments;
  const experiments = replay.map((e) => e.faults);
  const space = new FaultSpace(ev.memory);
  const root = Rng.seeded('fault-speed');
  const extra = mode === 'fast' ? Number(values['fast-extra']) : 0;
  for (let i = 0; i < extra; i++)
    experiments.push(sampleFaults(space, { model: 'exact-k', k: 1 }, root.split('experiment', i)));
  // First pass: everything a campaign pays (sessions created on first use, their golden runs).
  let same = 0;
  let ran = 0;
  for (const [i, faults] of experiments.entries()) {
    const o = await ev.evaluate(faults);
    if (i < replay.length && o.sdc === replay[i]!.reference?.sdc) same++;
    ran += o.imagesRun / o.images;
  }
  const t1 = performance.now();
  // Second pass over the same experiments: the steady state of a long campaign.
  for (const faults of experiments) await ev.evaluate(faults);
  const t2 = performance.now();
  const n = experiments.length;
  const r: WorkerResult = {
    mode,
    experiments: n,
    setupSeconds: ev.setupSeconds,
    amortizedSecondsPerExperiment: (t1 - t0) / 1000 / n,
    steadySecondsPerExperiment: (t2 - t1) / 1000 / n,
    imagesRunFraction: ran / n,
    sameSdcAsTorch: same,
    replayed: replay.length,
    cacheMiB: Math.round(ev.cacheBytes / 2 ** 20),
    sessions: ev.sessions,
    analysisSeconds: ev.timings.analysis,
    inferenceSeconds: ev.timings.inference,
    peakRssMiB: Math.round(peakRssMiB()),
  };
  await ev.release();
  console.log(JSON.stringify(r));
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').at(-1)!;
}

if (values.worker === 'fast' || values.worker === 'naive') {
  await worker(values.worker);
} else {
  // torch_baseline.py reads every PyTorch parameter by initializer name, but the shared ResNet18
  // export aliases some (shortcut BN biases) through Identity nodes, so it stops with
  // "initializers missing". Give it a copy of the model with those aliases materialized (same
  // weights), in a tree shaped like ../shared so the script finds models and datasets.
  const tree = '/tmp/prunefi-fault-speed-shared';
  mkdirSync(join(tree, 'bench'), { recursive: true });
  mkdirSync(join(tree, 'models'), { recursive: true });
  copyFileSync(resolve(SHARED, 'bench/torch_baseline.py'), join(tree, 'bench/torch_baseline.py'));
  try {
    symlinkSync(resolve(SHARED, 'datasets'), join(tree, 'datasets'));
  } catch {
    // already linked by an earlier run
  }
  const fixed = loadModel(resolve(SHARED, `models/${values.model}_cifar.onnx`));
  materializeIdentityConstants(fixed.graph);
  saveModel(fixed, join(tree, `models/${values.model}_cifar.onnx`));
  const torchArgs = [
    join(tree, 'bench/torch_baseline.py'),
    'flips',
    '--model',
    values.model!,
    '--faults',
    values['torch-faults']!,
    '--images',
    values.images!,
    '--seed',
    '1',
    '--threads',
    values.threads!,
    '--out',
    values.list!,
  ];
  const self = [
    import.meta.filename,
    '--model',
    values.model!,
    '--threads',
    values.threads!,
    '--list',
    values.list!,
  ];
  const tTorch = performance.now();
  // Each phase prints its own line as soon as it ends, so a long run cut short keeps what it measured.
  const torchLine = run('/usr/bin/python3', torchArgs);
  console.log(torchLine);
  const torch = JSON.parse(torchLine) as { seconds_per_faulty_eval: number; golden_accuracy: number };
  const torchWall = (performance.now() - tTorch) / 1000;
  const fastLine = run(process.execPath, [
    ...self,
    '--worker',
    'fast',
    '--fast-extra',
    values['fast-extra']!,
  ]);
  console.log(fastLine);
  const fast = JSON.parse(fastLine) as WorkerResult;
  const naiveLine = run(process.execPath, [
    ...self,
    '--worker',
    'naive',
    '--naive-faults',
    values['naive-faults']!,
  ]);
  console.log(naiveLine);
  const naive = JSON.parse(naiveLine) as WorkerResult;
  console.log(
    JSON.stringify(
      {
        model: values.model,
        images: Number(values.images),
        pytorch: {
          secondsPerExperiment: torch.seconds_per_faulty_eval,
          wallSeconds: torchWall,
          goldenAccuracy: torch.golden_accuracy,
        },
        fast,
        naive,
        // PyTorch's figure has no setup to amortize (it patches one model in place).
        speedupVsPytorch: torch.seconds_per_faulty_eval / fast.amortizedSecondsPerExperiment,
        steadySpeedupVsPytorch: torch.seconds_per_faulty_eval / fast.steadySecondsPerExperiment,
        steadySpeedupVsNaive: naive.steadySecondsPerExperiment / fast.steadySecondsPerExperiment,
      },
      null,
      1,
    ),
  );
}
