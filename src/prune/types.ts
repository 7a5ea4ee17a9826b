/**
 * The pruning contract: what a method is (a registry entry that says what it needs and how it
 * cuts), what it receives (the model, the layers it may prune, resolved options, an Rng, data and
 * a trainer when it needs them) and what it returns (a mask per weight tensor and, for structured
 * methods, the channels it chose so they can be physically removed).
 */
import type { ProgressCallback } from '../core/progress.js';
import type { RegistryEntry } from '../core/registry.js';
import type { Rng } from '../core/rng.js';
import type { Model } from '../onnx/ir.js';
import type { ChannelAnalysis, ChannelPlan } from './channels.js';
import type { PruneTarget } from './targets.js';
import type { TrainingSetup } from './training.js';

/** What a method removes: single weights, N of every M weights, or whole filters/channels. */
export type Granularity = 'unstructured' | 'n:m' | 'filter' | 'head';

/** Whether a target sparsity applies to each layer alone or to all target layers pooled. */
export type Scope = 'layer' | 'global';

/**
 * A keep-mask per initializer (1 keep, 0 pruned), the same length as the tensor's data. Tensors
 * without an entry are untouched.
 */
export type Masks = Map<string, Uint8Array>;

/** One method-specific option, declared once so the CLI can list, parse and check it. */
export interface MethodOption {
  type: 'number' | 'int' | 'boolean' | 'string';
  description: string;
  default: number | boolean | string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

/** Values of method-specific options after defaults are filled in. */
export type MethodOptionValues = Record<string, number | boolean | string>;

/** Options every method accepts. */
export interface PruneOptions {
  /**
   * Fraction to remove, in [0, 1): of weights (unstructured), of filters per channel group
   * (filter methods). Ignored by N:M, whose sparsity is 1 - n/m.
   */
  sparsity: number;
  /** Per-layer sparsity, keyed by weight initializer or node name; overrides `sparsity`. */
  layers?: Record<string, number>;
  /** Leave the first weight layer (the one reading the model input) dense. */
  skipFirst?: boolean;
  /** Leave the last weight layer (the classifier) dense. */
  skipLast?: boolean;
  /** Default: the method's own (global for magnitude, layer for filter methods). */
  scope?: Scope;
  /** Seed of every random choice (random scores, data order, initializations). Default 0. */
  seed?: number;
  /** Method-specific options (see the registry entry's `options`). */
  method?: Record<string, number | boolean | string>;
}

/** The options a method sees: common options resolved, method options checked and defaulted. */
export interface ResolvedOptions {
  sparsity: number;
  layers: Record<string, number>;
  skipFirst: boolean;
  skipLast: boolean;
  scope: Scope;
  seed: number;
  method: MethodOptionValues;
}

/** What a method receives. */
export interface MethodContext {
  /** The model to score (identity constants materialized). Methods must not edit it. */
  model: Model;
  /** The weight tensors the options allow pruning, each with its own target sparsity. */
  targets: PruneTarget[];
  options: ResolvedOptions;
  rng: Rng;
  /** The channel dependency analysis (filter methods only). */
  channels?: ChannelAnalysis;
  /** Training data and recipe (methods that need data, gradients or training). */
  setup?: TrainingSetup;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** What a method returns. */
export interface MethodResult {
  masks: Masks;
  /** Methods that train: the trained (or rewound) weights the masks apply to. */
  model?: Model;
  /** Filter methods: the channels removed from each channel group. */
  plan?: ChannelPlan;
  /**
   * Structured methods with their own removal (attention heads): cuts the masked structures out
   * of the masked model.
   */
  remover?: (model: Model) => Model;
  /** Facts worth showing the user (layers skipped and why). */
  notes: string[];
}

/** A pruning method: a registry entry with what it needs and how it cuts. */
export interface PruneMethod extends RegistryEntry {
  granularity: Granularity;
  /** The scope used when the user gives none. */
  defaultScope: Scope;
  /** Scopes the method supports. */
  scopes: readonly Scope[];
  /** Needs training or calibration images. */
  needsData: boolean;
  /** Needs gradients of a loss (implies data unless the loss is data-free, as SynFlow's). */
  needsGradients: boolean;
  /** Trains the network (regularization during training, rewinding, gradual schedules). */
  needsTraining: boolean;
  options: Readonly<Record<string, MethodOption>>;
  run(ctx: MethodContext): Promise<MethodResult>;
}
