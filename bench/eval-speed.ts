/**
 * Inference throughput of `prunefi eval`'s path against a bare ONNX Runtime session on the same
 * tensors, and against PyTorch, in one run. Reproduce with:
 *   npx tsc -p . && node dist/bench/eval-speed.js [--model ../shared/models/resnet18_cifar.onnx]
 *     [--data ../shared/datasets/cifar10-jpeg/test.tar.gz] [--images 2000] [--rounds 5] [--batch 256]
 *     [--threads 2] [--torch resnet18|alexnet|none]
 * prunefi and the bare session alternate for --rounds rounds (machines here are noisy; alternating
 * spreads drift over both) and their medians are compared. Decoding is cached before timing.
 * PyTorch is ../shared/bench/torch_baseline.py speed through bench/torch_speed.py (its loader
 * fixed for ResNet18's Identity-aliased initializers), whose inference figure is a median of 3.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { batches, firstPerClass, loadDataset } from '../src/data/index.js';
import { resolveModel } from '../src/models/index.js';
import { imageInput, logitsOutput } from '../src/onnx/io.js';
import { classify } from '../src/runtime/infer.js';
import { createSession, runtimeVersion } from '../src/runtime/session.js';

const REPO = resolve(import.meta.dirname, '../..');
const SHARED = resolve(REPO, '..', 'shared');

const { values: a } = parseArgs({
  options: {
    model: { type: 'string', default: resolve(SHARED, 'models/resnet18_cifar.onnx') },
    data: { type: 'string', default: resolve(SHARED, 'datasets/cifar10-jpeg/test.tar.gz') },
    images: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '256' },
    threads: { type: 'string', default: '2' },
    torch: { type: 'string', default: 'resnet18' },
  },
});
const n = Number(a.images);
const batch = Number(a.batch);
const threads = Number(a.threads);
const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

const set = await loadDataset(a.data, { split: 'test' });
const idx = firstPerClass(set, Math.ceil(n / set.classes.length)).subarray(0, n);
const model = resolveModel(a.model);
const inName = imageInput(model).name;
const outName = logitsOutput(model).name;

// A: prunefi's eval path (session through src/runtime, batches normalized from the uint8 cache).
const session = await createSession(model, { threads });
async function prunefiRun(): Promise<number> {
  const t = performance.now();
  await classify(session, inName, outName, batches(set, { batchSize: batch, indices: idx }), idx.length);
  return idx.length / ((performance.now() - t) / 1000);
}
// B: a bare onnxruntime-node session on the same tensors, normalized beforehand.
const bare = await ort.InferenceSession.create(a.model, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const pre = [...batches(set, { batchSize: batch, indices: idx })].map(
  (b) => new ort.Tensor('float32', b.x.data, [...b.x.dims]),
);
async function bareRun(): Promise<number> {
  const t = performance.now();
  for (const x of pre) await bare.run({ [inName]: x });
  return idx.length / ((performance.now() - t) / 1000);
}
await prunefiRun();
await bareRun();
const A: number[] = [];
const B: number[] = [];
for (let r = 0; r < Number(a.rounds); r++) {
  A.push(await prunefiRun());
  B.push(await bareRun());
}
const result: Record<string, unknown> = {
  model: a.model,
  images: idx.length,
  batch,
  threads,
  onnxruntime: runtimeVersion(),
  prunefiImagesPerSecond: median(A),
  bareOrtImagesPerSecond: median(B),
  prunefiOverBare: median(A) / median(B),
};
const torchScript = resolve(REPO, 'bench/torch_speed.py');
if (a.torch !== 'none' && existsSync('/usr/bin/python3')) {
  const t = spawnSync(
    '/usr/bin/python3',
    [torchScript, '--model', a.torch, '--batch', String(batch), '--threads', String(threads)],
    {
      encoding: 'utf8',
    },
  );
  if (t.status === 0) {
    const j = JSON.parse(t.stdout.trim().split('\n').pop()!) as { infer_ms_per_img: number };
    result.torchImagesPerSecond = 1000 / j.infer_ms_per_img;
    result.prunefiOverTorch = median(A) / (1000 / j.infer_ms_per_img);
  } else result.torchError = t.stderr.slice(-300);
}
console.log(JSON.stringify(result, null, 2));
await session.release();
await bare.release();
