/**
 * Shared setup of the training benchmarks: a shared CIFAR model and one random batch at the batch
 * size PyTorch's baseline uses for it (ResNet18 64, AlexNet 128). Paths are relative to the
 * working folder: run from the repository root.
 */
import { join, resolve } from 'node:path';
import { Rng } from '../src/core/rng.js';
import { loadModel } from '../src/onnx/file.js';
import type { Model } from '../src/onnx/ir.js';
import { f32, type Tensor } from '../src/onnx/tensor.js';

/** PyTorch's batch size per benchmark model (../shared/bench/torch_baseline.py). */
export const BATCH: Record<string, number> = { resnet18: 64, alexnet: 128 };

/** The upper of the two middle values for an even count: the step times the benchmarks report. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** ../shared/models/<name>_cifar.onnx with a random normal batch and labels drawn from `seed`. */
export function trainBench(
  name: string,
  seed: string,
): { model: Model; batch: number; x: Tensor; labels: number[] } {
  const batch = BATCH[name];
  if (batch === undefined) throw new Error(`unknown benchmark model '${name}': use resnet18 or alexnet`);
  const model = loadModel(join(resolve('..', 'shared'), `models/${name}_cifar.onnx`));
  const rng = Rng.seeded(seed);
  const x = f32(
    [batch, 3, 32, 32],
    Array.from({ length: batch * 3 * 1024 }, () => rng.normal()),
  );
  const labels = Array.from({ length: batch }, () => rng.int(10));
  return { model, batch, x, labels };
}
