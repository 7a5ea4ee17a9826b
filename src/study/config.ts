/**
 * The study configuration: models × pruning methods × sparsities × fault models × campaign
 * plans. Parsed from JSON with every field validated (the message names the JSON path), and
 * defaults filled in so the stored configuration says exactly what ran.
 */
import { PrunefiError } from '../core/errors.js';

/** How a base model is obtained: an existing file/zoo model, optionally trained first. */
export interface ModelConfig {
  /** Short name used in ids and the report, e.g. 'alexnet-cifar'. */
  name: string;
  /** File path or zoo:<name>. */
  source: string;
  /** Train from `source` before pruning (for zoo models with random weights). */
  train?: TrainRecipe;
}

/** A training or fine-tuning recipe. */
export interface TrainRecipe {
  epochs: number;
  lr: number;
  batch: number;
  optimizer: 'sgd' | 'adamw';
  momentum: number;
  weightDecay: number;
  schedule: 'onecycle' | 'cosine' | 'step' | 'constant';
  augment: boolean;
  /**
   * Linear warm-up in epochs (onecycle: the length of its rise). Absent means none; a 0 is
   * dropped when parsed, so a config that says 0 and one that says nothing (including every
   * config written before this field existed) give the same step keys and reuse the same steps.
   */
  warmupEpochs?: number;
  /** Cross-entropy label smoothing in [0, 1); absent means none (a 0 is dropped, as above). */
  labelSmoothing?: number;
}

/** One pruning method applied at several sparsities. */
export interface PruneConfig {
  /** Registry name of the method (see `prunefi methods`). */
  method: string;
  /** Target sparsities (unstructured) or ratios (structured), each in [0, 1). */
  sparsities: number[];
  /** Method options (passed through to the method; validated by it). */
  options: Record<string, unknown>;
  /** Fine-tuning after pruning; epochs 0 disables it. */
  finetune: TrainRecipe;
  /** Apply only to these models (by name); absent: every model. */
  models?: string[];
}

/** What is stored and how it fails. */
export interface FaultModelConfig {
  numberFormat: string;
  storageFormat: string;
  faultType: string;
  foldBn: boolean;
}

/** Campaign plans run for every variant × fault model. */
export interface CampaignConfig {
  /** BER sweep: each rate × trials experiments; omit to skip. */
  ber?: { rates: number[]; trials: number };
  /** Single-fault sweep: experiments per bit position; omit to skip. */
  singleBit?: { perBit: number };
  /** Images of the test split used by every campaign (first n/classes per class). */
  images: number;
}

/** A whole study. */
export interface StudyConfig {
  name: string;
  /** Dataset spec (see `prunefi datasets`). */
  data: string;
  trainSplit: string;
  testSplit: string;
  /** Limit of test images for clean accuracy (0 = all). */
  evalLimit: number;
  /** Limit of training images for training and fine-tuning, class-balanced (0 = all). */
  trainLimit: number;
  models: ModelConfig[];
  /** Include the unpruned model of each base as the baseline variant. */
  baseline: boolean;
  pruning: PruneConfig[];
  faultModels: FaultModelConfig[];
  campaigns: CampaignConfig;
  seed: number;
  threads: number;
}

type Json = Record<string, unknown>;

function fail(path: string, expected: string, got: unknown): never {
  throw new PrunefiError(
    'STUDY_CONFIG',
    `study config: ${path} must be ${expected}, got ${JSON.stringify(got)}`,
  );
}

function obj(v: unknown, path: string): Json {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(path, 'an object', v);
  return v as Json;
}

function checkKeys(o: Json, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new PrunefiError(
        'STUDY_CONFIG',
        `study config: unknown field ${path}.${k}; allowed fields: ${allowed.join(', ')}`,
      );
    }
  }
}

function str(o: Json, key: string, path: string, def?: string): string {
  const v = o[key] ?? def;
  if (typeof v !== 'string' || v === '') fail(`${path}.${key}`, 'a non-empty string', v);
  return v;
}

function num(
  o: Json,
  key: string,
  path: string,
  def: number | undefined,
  check: (n: number) => boolean,
  expected: string,
): number {
  const v = o[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(`${path}.${key}`, expected, v);
  return v;
}

function bool(o: Json, key: string, path: string, def: boolean): boolean {
  const v = o[key] ?? def;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'true or false', v);
  return v;
}

function oneOf<T extends string>(o: Json, key: string, path: string, def: T, allowed: readonly T[]): T {
  const v = o[key] ?? def;
  if (typeof v !== 'string' || !allowed.includes(v as T))
    fail(`${path}.${key}`, `one of ${allowed.join(', ')}`, v);
  return v as T;
}

const isInt = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

/** The fine-tuning recipe used when a pruning entry gives none. */
export const DEFAULT_FINETUNE: TrainRecipe = {
  epochs: 4,
  lr: 0.01,
  batch: 128,
  optimizer: 'sgd',
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: 'onecycle',
  augment: true,
};

const RECIPE_KEYS = [
  'epochs',
  'lr',
  'batch',
  'optimizer',
  'momentum',
  'weightDecay',
  'schedule',
  'augment',
  'warmupEpochs',
  'labelSmoothing',
] as const;

function recipe(v: unknown, path: string, def: TrainRecipe): TrainRecipe {
  const o = obj(v ?? {}, path);
  checkKeys(o, path, RECIPE_KEYS);
  const warmupEpochs = num(o, 'warmupEpochs', path, def.warmupEpochs ?? 0, (n) => n >= 0, 'a number ≥ 0');
  const labelSmoothing = num(
    o,
    'labelSmoothing',
    path,
    def.labelSmoothing ?? 0,
    (n) => n >= 0 && n < 1,
    'in [0, 1)',
  );
  return {
    epochs: num(o, 'epochs', path, def.epochs, isInt(0), 'an integer ≥ 0'),
    lr: num(o, 'lr', path, def.lr, (n) => n > 0, 'a positive number'),
    batch: num(o, 'batch', path, def.batch, isInt(1), 'a positive integer'),
    optimizer: oneOf(o, 'optimizer', path, def.optimizer, ['sgd', 'adamw']),
    momentum: num(o, 'momentum', path, def.momentum, (n) => n >= 0 && n < 1, 'in [0, 1)'),
    weightDecay: num(o, 'weightDecay', path, def.weightDecay, (n) => n >= 0, 'a number ≥ 0'),
    schedule: oneOf(o, 'schedule', path, def.schedule, ['onecycle', 'cosine', 'step', 'constant']),
    augment: bool(o, 'augment', path, def.augment),
    ...(warmupEpochs > 0 ? { warmupEpochs } : {}),
    ...(labelSmoothing > 0 ? { labelSmoothing } : {}),
  };
}

function list(o: Json, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length === 0) fail(`${path}.${key}`, 'a non-empty array', v);
  return v;
}

/**
 * Validates a parsed JSON study configuration and fills in defaults. Errors name the JSON path,
 * the expected value and what was found.
 */
export function parseStudyConfig(raw: unknown): StudyConfig {
  const o = obj(raw, 'config');
  checkKeys(o, 'config', [
    'name',
    'data',
    'trainSplit',
    'testSplit',
    'evalLimit',
    'trainLimit',
    'models',
    'baseline',
    'pruning',
    'faultModels',
    'campaigns',
    'seed',
    'threads',
  ]);
  const models = list(o, 'models', 'config').map((m, i) => {
    const p = `config.models[${i}]`;
    const mo = obj(m, p);
    checkKeys(mo, p, ['name', 'source', 'train']);
    const out: ModelConfig = { name: str(mo, 'name', p), source: str(mo, 'source', p) };
    if (mo.train !== undefined)
      out.train = recipe(mo.train, `${p}.train`, { ...DEFAULT_FINETUNE, epochs: 10 });
    return out;
  });
  const names = new Set<string>();
  for (const m of models) {
    if (names.has(m.name))
      throw new PrunefiError(
        'STUDY_CONFIG',
        `study config: two models are named '${m.name}'; model names must be unique`,
      );
    names.add(m.name);
  }
  const pruning = (Array.isArray(o.pruning) ? o.pruning : fail('config.pruning', 'an array', o.pruning)).map(
    (e, i) => {
      const p = `config.pruning[${i}]`;
      const po = obj(e, p);
      checkKeys(po, p, ['method', 'sparsities', 'options', 'finetune', 'models']);
      const sparsities = list(po, 'sparsities', p).map((s, j) => {
        if (typeof s !== 'number' || !(s >= 0 && s < 1))
          fail(`${p}.sparsities[${j}]`, 'a number in [0, 1)', s);
        return s;
      });
      const entry: PruneConfig = {
        method: str(po, 'method', p),
        sparsities,
        options: obj(po.options ?? {}, `${p}.options`),
        finetune: recipe(po.finetune, `${p}.finetune`, DEFAULT_FINETUNE),
      };
      if (po.models !== undefined) {
        if (!Array.isArray(po.models) || po.models.some((m) => !names.has(m as string))) {
          fail(`${p}.models`, `an array of model names (${[...names].join(', ')})`, po.models);
        }
        entry.models = po.models as string[];
      }
      return entry;
    },
  );
  const faultModels = list(o, 'faultModels', 'config').map((f, i) => {
    const p = `config.faultModels[${i}]`;
    const fo = obj(f, p);
    checkKeys(fo, p, ['numberFormat', 'storageFormat', 'faultType', 'foldBn']);
    return {
      numberFormat: str(fo, 'numberFormat', p, 'float32'),
      storageFormat: str(fo, 'storageFormat', p, 'dense'),
      faultType: str(fo, 'faultType', p, 'bit-flip'),
      foldBn: bool(fo, 'foldBn', p, true),
    };
  });
  const co = obj(o.campaigns, 'config.campaigns');
  checkKeys(co, 'config.campaigns', ['ber', 'singleBit', 'images']);
  const campaigns: CampaignConfig = {
    images: num(co, 'images', 'config.campaigns', 1000, isInt(1), 'a positive integer'),
  };
  if (co.ber !== undefined) {
    const bo = obj(co.ber, 'config.campaigns.ber');
    checkKeys(bo, 'config.campaigns.ber', ['rates', 'trials']);
    const rates = list(bo, 'rates', 'config.campaigns.ber').map((r, j) => {
      if (typeof r !== 'number' || !(r > 0 && r < 1))
        fail(`config.campaigns.ber.rates[${j}]`, 'a number in (0, 1)', r);
      return r;
    });
    campaigns.ber = {
      rates,
      trials: num(bo, 'trials', 'config.campaigns.ber', undefined, isInt(1), 'a positive integer'),
    };
  }
  if (co.singleBit !== undefined) {
    const so = obj(co.singleBit, 'config.campaigns.singleBit');
    checkKeys(so, 'config.campaigns.singleBit', ['perBit']);
    campaigns.singleBit = {
      perBit: num(so, 'perBit', 'config.campaigns.singleBit', undefined, isInt(1), 'a positive integer'),
    };
  }
  if (!campaigns.ber && !campaigns.singleBit) {
    throw new PrunefiError(
      'STUDY_CONFIG',
      'study config: config.campaigns needs a ber sweep, a singleBit sweep, or both',
    );
  }
  return {
    name: str(o, 'name', 'config', 'study'),
    data: str(o, 'data', 'config'),
    trainSplit: str(o, 'trainSplit', 'config', 'train'),
    testSplit: str(o, 'testSplit', 'config', 'test'),
    evalLimit: num(o, 'evalLimit', 'config', 0, isInt(0), 'an integer ≥ 0'),
    trainLimit: num(o, 'trainLimit', 'config', 0, isInt(0), 'an integer ≥ 0'),
    models,
    baseline: bool(o, 'baseline', 'config', true),
    pruning,
    faultModels,
    campaigns,
    seed: num(o, 'seed', 'config', 1, isInt(0), 'an integer ≥ 0'),
    threads: num(o, 'threads', 'config', 2, isInt(1), 'a positive integer'),
  };
}
