/**
 * Normalization presets: the per-channel mean and standard deviation (on the [0, 1] pixel scale)
 * that models trained on a dataset expect. Each dataset source declares its default preset.
 */
import { Registry, type RegistryEntry } from '../core/registry.js';
import type { Normalization } from './types.js';

/** A named preset, listed by the CLI. One-element mean/std apply to every channel. */
export interface NormalizationPreset extends Normalization, RegistryEntry {}

/** The normalization presets. */
export const normalizations = new Registry<NormalizationPreset>('normalization', [
  {
    name: 'cifar10',
    description: 'CIFAR-10 training-set channel statistics, as used by the models in ../shared',
    reference: 'kuangliu/pytorch-cifar and bearpaw/pytorch-classification training scripts',
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.247, 0.2435, 0.2616],
  },
  {
    name: 'mnist',
    description: 'MNIST training-set statistics',
    reference: 'PyTorch examples/mnist',
    mean: [0.1307],
    std: [0.3081],
  },
  {
    name: 'fashion-mnist',
    description: 'Fashion-MNIST training-set statistics',
    reference: 'computed on the 60 000 Fashion-MNIST training images',
    mean: [0.286],
    std: [0.353],
  },
  {
    name: 'imagenet',
    description: 'ImageNet channel statistics, the default of torchvision pretrained models',
    reference: 'torchvision.models documentation',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  },
  {
    name: 'none',
    description: 'pixels scaled to [0, 1] only',
    reference: '',
    mean: [0],
    std: [1],
  },
]);

/**
 * A 256-entry table per channel mapping a pixel byte to its normalized float32 value, so that
 * normalizing is one table lookup per pixel. Throws RangeError when the preset does not fit the
 * channel count.
 */
export function normalizationTable(n: Normalization, channels: number): Float32Array {
  for (const [what, v] of [
    ['mean', n.mean],
    ['std', n.std],
  ] as const) {
    if (v.length !== 1 && v.length !== channels) {
      throw new RangeError(
        `normalization '${n.name}' has ${v.length} ${what} values but the images have ${channels} channels; use a preset with 1 or ${channels} values`,
      );
    }
  }
  const table = new Float32Array(256 * channels);
  for (let c = 0; c < channels; c++) {
    const mean = n.mean.length === 1 ? n.mean[0]! : n.mean[c]!;
    const std = n.std.length === 1 ? n.std[0]! : n.std[c]!;
    if (!(std > 0)) throw new RangeError(`normalization '${n.name}' has std ${std}; it must be positive`);
    // Rounded to float32 after each step, as numpy computes (x / 255 - mean) / std on float32
    // arrays: the tensors then match a PyTorch pipeline's bit for bit.
    const m = Math.fround(mean);
    const s = Math.fround(std);
    for (let v = 0; v < 256; v++) table[c * 256 + v] = Math.fround(Math.fround(v / 255) - m) / s;
  }
  return table;
}
