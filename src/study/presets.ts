/**
 * Built-in study configurations. `demo` runs with no setup (the MNIST digits that ship with
 * prunefi); `quick` and `paper` reproduce the pruning-vs-fault-tolerance study on CIFAR-10 at
 * two sizes. Presets are plain configs: `prunefi study --preset paper --print-config` shows one,
 * and a saved copy can be edited and run with `--config`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PrunefiError } from '../core/errors.js';
import { Registry, type RegistryEntry } from '../core/registry.js';
import {
  DEFAULT_FINETUNE,
  type ModelConfig,
  parseStudyConfig,
  type StudyConfig,
  type TrainRecipe,
} from './config.js';

/** What a preset may take from the command line. */
export interface PresetArgs {
  /** Dataset spec (required by CIFAR presets). */
  data?: string;
  /** A folder holding trained models (alexnet_cifar.onnx, resnet18_cifar.onnx). */
  models?: string;
}

/** A named study configuration. */
export interface Preset extends RegistryEntry {
  /** Rough run time on 2 cores, for the listing. */
  duration: string;
  build(args: PresetArgs): StudyConfig;
}

/** The CIFAR-10 training recipe the shared models were trained with (PyTorch, one-cycle SGD). */
const CIFAR_TRAIN: TrainRecipe = {
  epochs: 40,
  lr: 0.05,
  batch: 128,
  optimizer: 'sgd',
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: 'onecycle',
  augment: true,
};

/** BERs of the CIFAR presets: 1e-8 to 1e-5 in half decades, where float32 AlexNet and ResNet18 go from intact to broken. */
const CIFAR_BER_RATES = [1e-8, 3e-8, 1e-7, 3e-7, 1e-6, 3e-6, 1e-5];

function needData(preset: string, args: PresetArgs): string {
  if (!args.data) {
    throw new PrunefiError(
      'USAGE',
      `preset '${preset}' needs --data with CIFAR-10 (e.g. --data ../shared/datasets/cifar10-jpeg or a cifar-10-binary.tar.gz)`,
    );
  }
  return args.data;
}

/** A trained model from --models when it is there, else the zoo model trained with the CIFAR recipe. */
function cifarModel(
  name: 'alexnet-cifar' | 'resnet18-cifar',
  args: PresetArgs,
  train: TrainRecipe = CIFAR_TRAIN,
): ModelConfig {
  const file = `${name.replace('-cifar', '')}_cifar.onnx`;
  if (args.models) {
    const path = join(args.models, file);
    if (!existsSync(path)) {
      throw new PrunefiError(
        'MODEL_NOT_FOUND',
        `--models ${args.models} has no ${file}; put the trained model there or omit --models to train ${name} from scratch`,
      );
    }
    return { name, source: path };
  }
  return { name, source: `zoo:${name}`, train };
}

const demo: Preset = {
  name: 'demo',
  description:
    'LeNet-5 on the bundled MNIST digits: train, prune with 5 methods, BER and single-bit campaigns',
  reference: '',
  duration: 'under a minute',
  build: () =>
    parseStudyConfig({
      name: 'demo',
      data: 'mnist',
      models: [
        {
          name: 'lenet5',
          source: 'zoo:lenet5',
          train: {
            epochs: 3,
            lr: 2e-3,
            batch: 16,
            optimizer: 'adamw',
            momentum: 0.9,
            weightDecay: 5e-4,
            schedule: 'onecycle',
            augment: false,
          },
        },
      ],
      pruning: ['magnitude:0.5,0.9', 'random:0.9', 'l1-filter:0.5', 'snip:0.9', 'synflow:0.9'].map((s) => {
        const [method, sp] = s.split(':');
        return {
          method,
          sparsities: sp!.split(',').map(Number),
          finetune: {
            epochs: 1,
            lr: 1e-3,
            batch: 32,
            optimizer: 'adamw',
            momentum: 0.9,
            weightDecay: 5e-4,
            schedule: 'onecycle',
            augment: false,
          },
        };
      }),
      faultModels: [{ numberFormat: 'float32', storageFormat: 'dense', faultType: 'bit-flip' }],
      campaigns: {
        images: 500,
        ber: { rates: [1e-7, 3e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4], trials: 20 },
        singleBit: { perBit: 30 },
      },
      seed: 1,
    }),
};

const quick: Preset = {
  name: 'quick',
  description:
    'AlexNet-CIFAR: magnitude 50/90%, random 50%, L1 filters 50%, 1 epoch of fine-tuning, BER 1e-8…1e-5 × 20 trials and 20 flips per bit on 1000 images',
  reference: '',
  duration: 'about 8 minutes (6 once the decoded images are cached)',
  build: (args) =>
    parseStudyConfig({
      name: 'quick',
      data: needData('quick', args),
      models: [cifarModel('alexnet-cifar', args, { ...CIFAR_TRAIN, epochs: 10 })],
      pruning: [
        { method: 'magnitude', sparsities: [0.5, 0.9], finetune: { ...DEFAULT_FINETUNE, epochs: 1 } },
        { method: 'random', sparsities: [0.5], finetune: { ...DEFAULT_FINETUNE, epochs: 1 } },
        { method: 'l1-filter', sparsities: [0.5], finetune: { ...DEFAULT_FINETUNE, epochs: 1 } },
      ],
      faultModels: [{ numberFormat: 'float32', storageFormat: 'dense', faultType: 'bit-flip' }],
      campaigns: {
        images: 1000,
        ber: { rates: CIFAR_BER_RATES, trials: 20 },
        singleBit: { perBit: 20 },
      },
      seed: 1,
    }),
};

const paper: Preset = {
  name: 'paper',
  description:
    'AlexNet- and ResNet18-CIFAR: magnitude 50/70/90%, random 50%, L1 filters 30/50%, SNIP, SynFlow, GReg-1 (and network slimming on ResNet18), 4 epochs of fine-tuning, BER 1e-8…1e-5 × 30 trials, 30 single flips per bit',
  reference:
    'Evaluating different pruning approaches on the fault tolerance of deep neural networks (AlexNet, ResNet18)',
  duration: 'about 17 hours on 2 cores (measured), mostly ResNet18 fine-tuning',
  build: (args) =>
    parseStudyConfig({
      name: 'paper',
      data: needData('paper', args),
      models: [
        cifarModel('alexnet-cifar', args),
        cifarModel('resnet18-cifar', args, { ...CIFAR_TRAIN, lr: 0.1 }),
      ],
      pruning: [
        { method: 'magnitude', sparsities: [0.5, 0.7, 0.9] },
        { method: 'random', sparsities: [0.5] },
        { method: 'l1-filter', sparsities: [0.3, 0.5] },
        // Network slimming prunes by BatchNorm scales: AlexNet-CIFAR has no BatchNorm.
        { method: 'slimming', sparsities: [0.5], models: ['resnet18-cifar'] },
        { method: 'snip', sparsities: [0.9] },
        { method: 'synflow', sparsities: [0.9] },
        { method: 'greg-1', sparsities: [0.5] },
      ],
      faultModels: [{ numberFormat: 'float32', storageFormat: 'dense', faultType: 'bit-flip' }],
      campaigns: {
        images: 1000,
        ber: { rates: CIFAR_BER_RATES, trials: 30 },
        singleBit: { perBit: 30 },
      },
      seed: 1,
    }),
};

/** The built-in presets. */
export const PRESETS = new Registry<Preset>('study preset', [demo, quick, paper]);
