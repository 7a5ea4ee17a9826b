/**
 * Built-in study configurations. `demo` runs with no setup (the MNIST digits that ship with
 * prunefi); `quick` and `paper` reproduce the pruning-vs-fault-tolerance study on CIFAR-10 at
 * two sizes; `vit` asks the same question of a small Vision Transformer; `protect` asks which
 * protection closes what pruning leaves open. Presets are plain
 * configs: `prunefi study --preset paper --print-config` shows one, and a saved copy can be
 * edited and run with `--config`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PrunefiError } from '../core/errors.js';
import { Registry, type RegistryEntry } from '../core/registry.js';
import {
  DEFAULT_FINETUNE,
  type ModelConfig,
  parseStudyConfig,
  type RecipeConfig,
  type StudyConfig,
} from './config.js';

/** What a preset may take from the command line. */
export interface PresetArgs {
  /** Dataset spec (required by CIFAR presets). */
  data?: string;
  /** A folder holding trained models (alexnet_cifar.onnx, resnet18_cifar.onnx, vit_cifar.onnx). */
  models?: string;
}

/** A named study configuration. */
export interface Preset extends RegistryEntry {
  /** Rough run time on 2 cores, for the listing. */
  duration: string;
  build(args: PresetArgs): StudyConfig;
}

/**
 * The CIFAR-10 training recipe the shared models were trained with (PyTorch, one-cycle SGD, crop
 * and flip): the fine-tuning recipe at five times its rate, for 40 epochs, as `prunefi train`
 * trains colour images.
 */
const CIFAR_TRAIN: RecipeConfig = { ...DEFAULT_FINETUNE, epochs: 40, lr: 0.05 };

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

/** A trained model from --models when it is there, else the zoo model trained with `train` (default: the CIFAR recipe). */
function cifarModel(
  name: 'alexnet-cifar' | 'resnet18-cifar' | 'vit-cifar',
  args: PresetArgs,
  train: RecipeConfig = CIFAR_TRAIN,
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

/**
 * prunefi's own recipe for zoo:vit-cifar from scratch (transformer practice: AdamW with a larger,
 * decoupled weight decay, a short warm-up, label smoothing); 81.42% CIFAR-10 test accuracy after
 * 30 epochs, in 54 min 37 s on 1 thread. The schedule is the study's and `prunefi train`'s
 * default, one-cycle, whose rise the warm-up sets to the first 2 epochs.
 */
const VIT_TRAIN: RecipeConfig = {
  epochs: 30,
  lr: 1e-3,
  batch: 128,
  optimizer: 'adamw',
  momentum: 0.9,
  weightDecay: 0.05,
  schedule: 'onecycle',
  augment: true,
  warmupEpochs: 2,
  labelSmoothing: 0.1,
};

/**
 * Fine-tuning after pruning: `paper`'s budget (4 epochs) with the training recipe's optimizer, at
 * a fifth of its peak rate as DEFAULT_FINETUNE is of CIFAR_TRAIN's (SGD at 0.01 suits CNNs, not a
 * transformer trained with AdamW), and one-cycle's own rise instead of the 2-epoch warm-up.
 */
const VIT_FINETUNE: RecipeConfig = { ...VIT_TRAIN, epochs: 4, lr: 2e-4, warmupEpochs: 0 };

/**
 * BERs for vit-cifar: the CIFAR range one decade up. Its 208,842 float32 parameters are about a
 * twelfth of AlexNet-CIFAR's 2,472,266, so 1e-7…1e-4 flips about as many bits in it (0.7 to 670
 * expected) as 1e-8…1e-5 does in AlexNet (0.8 to 790), the span over which AlexNet goes from
 * intact to broken.
 */
const VIT_BER_RATES = [1e-7, 3e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4];

/**
 * zoo:vit-cifar with attention heads removed (1 and 2 of each block's 4), MLP hidden units
 * removed (50%), unstructured magnitude pruning at `paper`'s sparsities and 2:4 (N:M)
 * semi-structured pruning, each against the unpruned model. 2:4 always zeroes half of every
 * group of 4 weights along a layer's input dimension, so its one entry is listed at 0.5, the
 * sparsity it produces (the method ignores the number); patch_embed stays dense under it (3 input
 * channels).
 */
const vit: Preset = {
  name: 'vit',
  description:
    'ViT-CIFAR (6 blocks, width 64): heads 25/50%, MLP units 50%, magnitude 50/70/90% and 2:4 against the unpruned model, 4 epochs of AdamW fine-tuning, BER 1e-7…1e-4 × 30 trials, 30 single flips per bit on 1000 images',
  reference: 'Dosovitskiy et al. 2021, An Image is Worth 16x16 Words (a CIFAR-sized ViT)',
  // Not run whole yet; the sum of its parts on 2 cores: training 55 min (on 1 thread), 28
  // fine-tuning epochs (7 pruned variants × 4) at training's pace about 51 min, and each of the 8
  // variants' campaigns about 4 min (measured on zoo:vit-cifar, 1000 images, 2 threads: 0.15 s per
  // single-bit experiment, 0.27 s per BER experiment, 25 s of setup per campaign).
  duration: 'about 2.5 hours (estimated from its parts)',
  build: (args) =>
    parseStudyConfig({
      name: 'vit',
      data: needData('vit', args),
      models: [cifarModel('vit-cifar', args, VIT_TRAIN)],
      pruning: [
        { method: 'heads', sparsities: [0.25, 0.5], finetune: VIT_FINETUNE },
        { method: 'mlp-units', sparsities: [0.5], finetune: VIT_FINETUNE },
        { method: 'magnitude', sparsities: [0.5, 0.7, 0.9], finetune: VIT_FINETUNE },
        { method: 'nm', sparsities: [0.5], options: { n: 2, m: 4 }, finetune: VIT_FINETUNE },
      ],
      faultModels: [{ numberFormat: 'float32', storageFormat: 'dense', faultType: 'bit-flip' }],
      campaigns: {
        images: 1000,
        ber: { rates: VIT_BER_RATES, trials: 30 },
        singleBit: { perBit: 30 },
      },
      seed: 1,
    }),
};

/** The protections `protect` sets against none (`--protect`'s syntax), one fault model each. */
const PROTECT_AXIS = ['', 'parity', 'secded72', 'exponent-tmr', 'clip', 'ranger'];

/**
 * AlexNet- and ResNet18-CIFAR, unpruned, magnitude 90% and L1 filters 50%, each under every
 * protection of PROTECT_AXIS: the protected campaigns share the study's seed with the
 * unprotected one, so each flips the same raw data bits and the comparison is paired. No
 * single-bit sweeps: a single flip under SEC-DED is corrected by construction, and the question
 * is the tolerable BER.
 */
const protect: Preset = {
  name: 'protect',
  description:
    'AlexNet- and ResNet18-CIFAR: unpruned, magnitude 90%, L1 filters 50% (1 epoch of fine-tuning), each × none, parity, SEC-DED (72,64), exponent TMR, weight clipping and Ranger; BER 1e-8…1e-5 × 20 trials on 1000 images',
  reference: 'Chen et al. 2021, Ranger; Hoang et al. 2020, FT-ClipAct; SEC-DED Hamming (72,64)',
  // Not run whole. Measured at a reduced size (300 images, 50 experiments per campaign, 2 shared
  // cores): a ResNet18 BER campaign took about 1.7 s per experiment; at this preset's size that
  // is 36 campaigns of 140 experiments on 1000 images, plus ResNet18's fine-tuning (~18 min per
  // epoch unloaded). See README "Protection".
  duration: 'not run whole (several hours on 2 cores; see README)',
  build: (args) =>
    parseStudyConfig({
      name: 'protect',
      data: needData('protect', args),
      models: [
        cifarModel('alexnet-cifar', args),
        cifarModel('resnet18-cifar', args, { ...CIFAR_TRAIN, lr: 0.1 }),
      ],
      pruning: [
        { method: 'magnitude', sparsities: [0.9], finetune: { ...DEFAULT_FINETUNE, epochs: 1 } },
        { method: 'l1-filter', sparsities: [0.5], finetune: { ...DEFAULT_FINETUNE, epochs: 1 } },
      ],
      faultModels: PROTECT_AXIS.map((p) => ({
        numberFormat: 'float32',
        storageFormat: 'dense',
        faultType: 'bit-flip',
        ...(p ? { protect: p } : {}),
      })),
      campaigns: { images: 1000, ber: { rates: CIFAR_BER_RATES, trials: 20 } },
      seed: 1,
    }),
};

/** The built-in presets. */
export const PRESETS = new Registry<Preset>('study preset', [demo, quick, paper, vit, protect]);
