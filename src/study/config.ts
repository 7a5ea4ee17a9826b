/**
 * The study configuration: models × pruning methods × sparsities × fault models × campaign
 * plans. Parsed from JSON with every field validated (the message names the JSON path), and
 * defaults filled in so the stored configuration says exactly what ran. Every name a step will
 * look up (pruning method and its options, formats, fault type, optimizer, schedule, zoo model)
 * is checked against its registry here, so a typo fails at once instead of hours into a study.
 */
import { checkPlanSpec, PLAN_KINDS, type PlanSpec } from '../campaign/plan.js';
import { errorMessage, PrunefiError } from '../core/errors.js';
import type { Registry, RegistryEntry } from '../core/registry.js';
import type { ImageSet } from '../data/types.js';
import { FAULT_TYPES } from '../fault/fault-types.js';
import { NUMBER_FORMATS } from '../fault/number-formats.js';
import { checkProtections, parseProtections } from '../fault/protect/registry.js';
import type { ProtectSpec } from '../fault/protect/types.js';
import { STORAGE_FORMATS } from '../fault/storage-formats.js';
import { parseZooSpec } from '../models/zoo.js';
import { resolveOptions } from '../prune/options.js';
import type { PruneRequest } from '../prune/prune.js';
import { PRUNE_METHODS } from '../prune/registry.js';
import { optimizers } from '../train/optim.js';
import { defaultAugment, FINETUNE_RECIPE, type TrainRecipe } from '../train/recipe.js';
import { schedules } from '../train/schedule.js';

/** How a base model is obtained: an existing file/zoo model, optionally trained first. */
export interface ModelConfig {
  /** Short name used in ids and the report, e.g. 'alexnet-cifar'. */
  name: string;
  /** File path or zoo:<name>. */
  source: string;
  /** Train from `source` before pruning (for zoo models with random weights). */
  train?: RecipeConfig;
}

/**
 * A training or fine-tuning recipe as a study config writes it: `TrainRecipe`'s settings under the
 * JSON names configs have always used, so saved configs and the step keys of existing studies stay
 * valid. `batch` is `batchSize`; `augment` switches on `defaultAugment` (random crop and flip for
 * colour images, nothing for grey ones); the seed is the study's. `warmupEpochs` and
 * `labelSmoothing` absent mean none, and a 0 is dropped when parsed, so a config that says 0 and
 * one that says nothing (including every config written before these fields existed) give the
 * same step keys and reuse the same steps. `toTrainRecipe` maps it to the training engine's.
 */
export type RecipeConfig = Pick<
  TrainRecipe,
  'epochs' | 'lr' | 'optimizer' | 'schedule' | 'warmupEpochs' | 'labelSmoothing'
> &
  Required<Pick<TrainRecipe, 'momentum' | 'weightDecay'>> & { batch: number; augment: boolean };

/** One pruning method applied at several sparsities. */
export interface PruneConfig {
  /** Registry name of the method (see `prunefi methods`). */
  method: string;
  /** Target sparsities (unstructured) or ratios (structured), each in [0, 1). */
  sparsities: number[];
  /** Method options (passed through to the method; validated by it). */
  options: Record<string, unknown>;
  /** Fine-tuning after pruning; epochs 0 disables it. */
  finetune: RecipeConfig;
  /** Apply only to these models (by name); absent: every model. */
  models?: string[];
}

/** What is stored and how it fails. */
export interface FaultModelConfig {
  numberFormat: string;
  storageFormat: string;
  faultType: string;
  foldBn: boolean;
  /**
   * Protections of the stored weights (`--protect`'s syntax in the JSON: 'secded72,clip'),
   * absent without any, so an unprotected fault model's steps keep their content keys.
   */
  protect?: ProtectSpec[];
}

/** Campaign plans run for every variant × fault model. */
export interface StudyCampaigns {
  /** BER sweep: each rate × trials experiments; omit to skip. */
  ber?: { rates: number[]; trials: number };
  /** Single-fault sweep: experiments per bit position; omit to skip. */
  singleBit?: { perBit: number };
  /**
   * Campaigns of any registered plan kind (`prunefi faults`) that the report shows as a BER
   * sweep or a single-fault sweep, e.g. `{ "kind": "exact-k", "k": 1, "experiments": 2000 }`.
   * The fault type comes from each fault model. At most one BER and one single-fault sweep per
   * variant and fault model, counting `ber` and `singleBit`.
   */
  plans?: PlanSpec[];
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
  campaigns: StudyCampaigns;
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

/**
 * A fault model's protections, in `--protect`'s syntax or as the resolved specs a parsed config
 * holds (so `--print-config`'s output runs again with `--config`); checked against the registry now.
 */
function protections(o: Json, path: string): ProtectSpec[] {
  const v = o.protect ?? '';
  if (typeof v !== 'string' && !Array.isArray(v))
    fail(`${path}.protect`, "a string in --protect's syntax (e.g. 'secded72,clip') or a list of specs", v);
  try {
    return typeof v === 'string' ? parseProtections(v) : checkProtections(v);
  } catch (err) {
    throw new PrunefiError('STUDY_CONFIG', `study config: ${path}.protect: ${errorMessage(err)}`, {
      cause: err,
    });
  }
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

const isInt = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

/** The fine-tuning recipe used when a pruning entry gives none: `FINETUNE_RECIPE` for 4 epochs, with augmentation. */
export const DEFAULT_FINETUNE: RecipeConfig = {
  epochs: 4,
  lr: FINETUNE_RECIPE.lr,
  batch: FINETUNE_RECIPE.batchSize,
  optimizer: FINETUNE_RECIPE.optimizer,
  momentum: FINETUNE_RECIPE.momentum,
  weightDecay: FINETUNE_RECIPE.weightDecay,
  schedule: FINETUNE_RECIPE.schedule,
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

function recipe(v: unknown, path: string, def: RecipeConfig): RecipeConfig {
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
    optimizer: str(o, 'optimizer', path, def.optimizer),
    momentum: num(o, 'momentum', path, def.momentum, (n) => n >= 0 && n < 1, 'in [0, 1)'),
    weightDecay: num(o, 'weightDecay', path, def.weightDecay, (n) => n >= 0, 'a number ≥ 0'),
    schedule: str(o, 'schedule', path, def.schedule),
    augment: bool(o, 'augment', path, def.augment),
    ...(warmupEpochs > 0 ? { warmupEpochs } : {}),
    ...(labelSmoothing > 0 ? { labelSmoothing } : {}),
  };
}

/**
 * No augmentation, said explicitly rather than left absent: pruning's setup reads an absent
 * `augment` as `defaultAugment`, and base training has always recorded this one in its checkpoint
 * hash and model metadata, so an interrupted study resumes from its checkpoints.
 */
const NO_AUGMENT = { padding: 0, flip: false };

/**
 * The training engine's recipe for a config's, on the training set `set` (its epochs and seed are
 * the step's). The one place the JSON names meet the engine's.
 */
export function toTrainRecipe(
  r: RecipeConfig,
  set: Pick<ImageSet, 'shape'>,
): Omit<TrainRecipe, 'epochs' | 'seed'> {
  return {
    batchSize: r.batch,
    lr: r.lr,
    optimizer: r.optimizer,
    momentum: r.momentum,
    weightDecay: r.weightDecay,
    schedule: r.schedule,
    ...(r.warmupEpochs !== undefined ? { warmupEpochs: r.warmupEpochs } : {}),
    ...(r.labelSmoothing !== undefined ? { labelSmoothing: r.labelSmoothing } : {}),
    augment: (r.augment ? defaultAugment(set) : undefined) ?? NO_AUGMENT,
  };
}

function list(o: Json, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length === 0) fail(`${path}.${key}`, 'a non-empty array', v);
  return v;
}

/**
 * `campaigns.plans`: each spec checked against its plan kind (did-you-mean on kinds and options),
 * shown by the report, and not a second sweep of a kind the study already runs.
 */
function parsePlans(co: Json, campaigns: StudyCampaigns): PlanSpec[] {
  const shown = new Map<string, string>();
  if (campaigns.ber) shown.set('ber', 'config.campaigns.ber');
  if (campaigns.singleBit) shown.set('single-fault', 'config.campaigns.singleBit');
  return list(co, 'plans', 'config.campaigns').map((spec, j) => {
    const path = `config.campaigns.plans[${j}]`;
    let checked: PlanSpec;
    try {
      checked = checkPlanSpec(spec);
    } catch (err) {
      if (err instanceof PrunefiError)
        throw new PrunefiError(err.code, `study config: ${path}: ${err.message}`);
      throw err;
    }
    if (checked.type !== undefined)
      fail(
        `${path}.type`,
        'absent (each fault model gives the fault type: config.faultModels[].faultType)',
        checked.type,
      );
    const report = PLAN_KINDS.get(checked.kind).report(checked);
    if (!report) fail(path, 'a plan the report can show (BER rates, or one fault per experiment)', spec);
    const other = shown.get(report.as);
    if (other)
      fail(
        path,
        `not a second ${report.as === 'ber' ? 'BER' : 'single-fault'} sweep (${other} is one)`,
        spec,
      );
    shown.set(report.as, path);
    return checked;
  });
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
    checkKeys(fo, p, ['numberFormat', 'storageFormat', 'faultType', 'foldBn', 'protect']);
    const protect = protections(fo, p);
    return {
      numberFormat: str(fo, 'numberFormat', p, 'float32'),
      storageFormat: str(fo, 'storageFormat', p, 'dense'),
      faultType: str(fo, 'faultType', p, 'bit-flip'),
      foldBn: bool(fo, 'foldBn', p, true),
      ...(protect.length ? { protect } : {}),
    };
  });
  const co = obj(o.campaigns, 'config.campaigns');
  checkKeys(co, 'config.campaigns', ['ber', 'singleBit', 'plans', 'images']);
  const campaigns: StudyCampaigns = {
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
  if (co.plans !== undefined) campaigns.plans = parsePlans(co, campaigns);
  if (!campaigns.ber && !campaigns.singleBit && !campaigns.plans) {
    throw new PrunefiError(
      'STUDY_CONFIG',
      'study config: config.campaigns needs a ber sweep, a singleBit sweep or plans',
    );
  }
  const config: StudyConfig = {
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
  checkStudyNames(config);
  return config;
}

/** The pruning options every method takes; the other keys of a config's `options` are the method's own. */
const COMMON_PRUNE_OPTIONS = ['scope', 'skipFirst', 'skipLast', 'layers', 'remove', 'maskFallback'];

/** Splits a config's method options into the common pruning options and the method's own. */
export function pruneRequestOptions(options: Record<string, unknown>): Partial<PruneRequest> {
  const out: Record<string, unknown> = {};
  const method: Record<string, number | boolean | string> = {};
  for (const [k, v] of Object.entries(options)) {
    if (COMMON_PRUNE_OPTIONS.includes(k)) out[k] = v;
    // Any JSON value may arrive here; resolveOptions checks it against the method's schema.
    else method[k] = v as number | boolean | string;
  }
  return { ...(out as Partial<PruneRequest>), method };
}

/** Runs a check, turning its error into a one-line study config error that names the JSON path. */
function checkAt<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof PrunefiError || err instanceof RangeError || err instanceof TypeError)) throw err;
    throw new PrunefiError('STUDY_CONFIG', `study config: ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

function checkName<T extends RegistryEntry>(registry: Registry<T>, name: string, path: string): T {
  return checkAt(path, () => registry.get(name));
}

function checkRecipe(r: RecipeConfig, path: string): void {
  checkName(optimizers, r.optimizer, `${path}.optimizer`);
  checkName(schedules, r.schedule, `${path}.schedule`);
}

/**
 * Checks every registry name in a study configuration, and each pruning entry's options against
 * its method's schema, without touching a model or dataset (milliseconds). `parseStudyConfig` and
 * `planStudy` both call it, so configs built in code are checked before any step runs too. Errors
 * are one-line `STUDY_CONFIG` errors naming the JSON path, the valid names and the likely one.
 */
export function checkStudyNames(config: StudyConfig): void {
  config.models.forEach((m, i) => {
    const p = `config.models[${i}]`;
    // Files are checked (and hashed) when the study is planned; zoo specs can be checked here.
    checkAt(`${p}.source`, () => parseZooSpec(m.source));
    if (m.train) checkRecipe(m.train, `${p}.train`);
  });
  config.pruning.forEach((e, i) => {
    const p = `config.pruning[${i}]`;
    const method = checkName(PRUNE_METHODS, e.method, `${p}.method`);
    const request = pruneRequestOptions(e.options);
    for (const k of ['skipFirst', 'skipLast', 'remove', 'maskFallback'] as const) {
      const v = request[k];
      if (v !== undefined && typeof v !== 'boolean') fail(`${p}.options.${k}`, 'true or false', v);
    }
    // No option check depends on the sparsity, and every sparsity of the entry is checked on its own.
    checkAt(`${p}.options`, () => resolveOptions(method, { ...request, sparsity: e.sparsities[0] ?? 0 }));
    checkRecipe(e.finetune, `${p}.finetune`);
  });
  config.faultModels.forEach((f, i) => {
    const p = `config.faultModels[${i}]`;
    checkName(NUMBER_FORMATS, f.numberFormat, `${p}.numberFormat`);
    checkName(STORAGE_FORMATS, f.storageFormat, `${p}.storageFormat`);
    checkName(FAULT_TYPES, f.faultType, `${p}.faultType`);
  });
}
