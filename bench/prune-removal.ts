/**
 * Does physical channel removal pay? Prunes the shared ResNet18-CIFAR and AlexNet-CIFAR (or the
 * zoo's freshly initialized ones when ../shared is absent) with L1 filters at the given ratio,
 * then times ONNX Runtime inference of the masked model (same shapes, zeros) against the
 * physically smaller one, interleaved in one run, and checks that both give the same logits.
 * Reproduce:
 *   npx tsc -p . && node dist/bench/prune-removal.js [--ratio 0.5] [--batch 64] [--threads 2] [--repeat 7]
 * Prints one JSON object per model; times are medians of `repeat` runs (ms per batch). On a
 * machine shared with other jobs, read the ratio, not the absolute times.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.js';
import { buildZooModel } from '../src/models/zoo.js';
import { loadModel } from '../src/onnx/file.js';
import { cloneModel, materializeIdentityConstants } from '../src/onnx/graph.js';
import type { Model } from '../src/onnx/ir.js';
import { summarizeModel } from '../src/onnx/summary.js';
import { f32 } from '../src/onnx/tensor.js';
import { analyzeChannels } from '../src/prune/channels.js';
import { applyMasks } from '../src/prune/masks.js';
import { pruneModel } from '../src/prune/prune.js';
import { planMasks, removeChannels } from '../src/prune/remove.js';
import { createSession } from '../src/runtime/session.js';

const SHARED = resolve(import.meta.dirname, '../../..', 'shared', 'models');
const { values } = parseArgs({
  options: {
    ratio: { type: 'string', default: '0.5' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '7' },
  },
});
const ratio = Number(values.ratio);
const batch = Number(values.batch);
const threads = Number(values.threads);
const repeat = Number(values.repeat);

function model(file: string, zoo: string): { model: Model; source: string } {
  const path = resolve(SHARED, file);
  if (existsSync(path)) return { model: loadModel(path), source: path };
  return { model: buildZooModel(zoo, { seed: 0 }), source: `zoo:${zoo}` };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const [file, zoo] of [
  ['resnet18_cifar.onnx', 'resnet18-cifar'],
  ['alexnet_cifar.onnx', 'alexnet-cifar'],
] as const) {
  const { model: parent, source } = model(file, zoo);
  materializeIdentityConstants(parent.graph);
  const r = await pruneModel(parent, 'l1-filter', { sparsity: ratio, remove: false });
  const analysis = analyzeChannels(parent.graph);
  const masked = cloneModel(parent, true);
  applyMasks(masked.graph, planMasks(parent, analysis, r.plan!));
  const removed = removeChannels(masked, analysis, r.plan!);
  const rng = Rng.seeded(1);
  const x = f32(
    [batch, 3, 32, 32],
    Array.from({ length: batch * 3 * 32 * 32 }, () => rng.normal()),
  );
  const sessions = await Promise.all([
    createSession(masked, { threads }),
    createSession(removed, { threads }),
  ]);
  const times: [number[], number[]] = [[], []];
  const outputs: Float32Array[] = [];
  for (let i = 0; i < repeat + 1; i++) {
    for (const k of [0, 1] as const) {
      const t = performance.now();
      const out = await sessions[k].run({ input: x });
      const dt = performance.now() - t;
      if (i > 0) times[k].push(dt);
      else outputs[k] = out.logits!.data as Float32Array;
    }
  }
  for (const s of sessions) await s.release();
  let maxDiff = 0;
  for (let i = 0; i < outputs[0]!.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs(outputs[0]![i]! - outputs[1]![i]!));
  const maskedMs = median(times[0]);
  const removedMs = median(times[1]);
  console.log(
    JSON.stringify({
      model: source,
      ratio,
      batch,
      threads,
      paramsBefore: r.paramsBefore,
      paramsAfter: summarizeModel(removed.graph).params,
      macsAfter: summarizeModel(removed.graph).macs,
      macsBefore: r.macsBefore,
      maskedMsPerBatch: maskedMs,
      removedMsPerBatch: removedMs,
      speedup: maskedMs / removedMs,
      maxLogitDiff: maxDiff,
    }),
  );
}
