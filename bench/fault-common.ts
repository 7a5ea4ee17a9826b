/**
 * Shared setup of the fault benchmarks: the shared models and the image subset
 * ../shared/bench/torch_baseline.py uses (the first n test images of each CIFAR-10 class).
 */
import { resolve } from 'node:path';
import type { ImageInput } from '../src/campaign/evaluator.js';
import { firstPerClass, imagesToTensor, labelsOf, loadDataset } from '../src/data/index.js';

/** ../shared next to the repository (bench scripts run from dist/bench). */
export const SHARED = resolve(import.meta.dirname, '../../..', 'shared');

/** The first `perClass` CIFAR-10 test images of each class, normalized as the shared models expect. */
export async function cifarSubset(perClass: number): Promise<ImageInput> {
  const set = await loadDataset(resolve(SHARED, 'datasets/cifar10-jpeg/test.tar.gz'), { split: 'test' });
  const idx = firstPerClass(set, perClass);
  return { x: imagesToTensor(set, idx), labels: labelsOf(set, idx) };
}

/** Peak resident memory of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
