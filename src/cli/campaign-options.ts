/**
 * The options every fault-injection command shares (`campaign run|resume`, `inject`): the model,
 * images and weight memory; the targeting; the plan kinds' own flags, read from `PLAN_KINDS`;
 * the engine. Also the loading of a campaign's model and images from a command line or from a
 * stored campaign config, with the content-hash checks that keep a database consistent.
 */
import { type CampaignConfig, DEFAULT_MEMORY } from '../campaign/config.js';
import type { EvaluatorOptions, ImageInput, SampleInput } from '../campaign/evaluator.js';
import { profileRanger, type RangerProfile, rangerSpec } from '../campaign/graph-protect.js';
import { checkPlanSpec, PLAN_KINDS, type PlanSpec, planFromCli } from '../campaign/plan.js';
import { allRows } from '../campaign/samples.js';
import { imageCampaignTarget } from '../campaign/target.js';
import { PrunefiError } from '../core/errors.js';
import { hashBytes, hashJson } from '../core/hash.js';
import { imagesToTensor } from '../data/batch.js';
import { isTensorSpec } from '../data/index.js';
import type { Targeting } from '../fault/fault-models.js';
import { FAULT_TYPES } from '../fault/fault-types.js';
import { NUMBER_FORMATS } from '../fault/number-formats.js';
import { checkProtections, PROTECTIONS, parseProtections } from '../fault/protect/registry.js';
import { REGION_NAMES, type RegionName, STORAGE_FORMATS } from '../fault/storage-formats.js';
import type { Model } from '../onnx/ir.js';
import { encodeModel } from '../onnx/proto.js';
import { type CliContext, type OptionSpec, opt, type ParsedArgs, usageError as usage } from './command.js';
import { dataOptions, loadModelArg, loadModelData, loadTensorArg, parseClasses } from './shared.js';

/** Options that choose the model, images and weight memory (shared with `inject`). */
export const memoryOptions: Record<string, OptionSpec> = {
  model: { type: 'string', placeholder: 'file|zoo:name', description: 'the model to inject faults into' },
  ...dataOptions,
  'images-per-class': {
    type: 'int',
    min: 1,
    default: 100,
    description: 'the first N test images of each class (the subset torch_baseline.py uses)',
  },
  'number-format': {
    type: 'string',
    choices: NUMBER_FORMATS.names(),
    default: 'float32',
    description: 'how weights are stored (the model computes with the decoded values)',
  },
  storage: {
    type: 'string',
    choices: STORAGE_FORMATS.names(),
    default: 'dense',
    description: 'storage format of weights',
  },
  'fault-scales': {
    type: 'boolean',
    description: 'int8 and quantized models: make the scales (and zero points) faultable too',
  },
  'fold-bn': {
    type: 'string',
    choices: ['true', 'false'],
    default: 'true',
    description: 'fold BatchNorm into the preceding conv before storing (as accelerators do)',
  },
  protect: {
    type: 'string',
    placeholder: 'name[:key=value],...',
    description:
      "protections of the stored weights, e.g. secded72:interleave=2,clip (see 'prunefi protections'); memory codes decode first, then value guards",
  },
  'protect-regions': {
    type: 'string',
    placeholder: 'tensor[:lo-hi],...',
    description:
      "only these tensors (and bits of their words) get --protect's memory codes, e.g. conv1.weight:30,fc.weight (as 'protect plan' prints)",
  },
};

/** Options that change speed, never results. */
export const engineOptions: Record<string, OptionSpec> = {
  naive: { type: 'boolean', description: 'full inference per experiment (for comparison; same outcomes)' },
  'safe-drop': {
    type: 'boolean',
    description:
      "score images as golden without inference when their top-1 margin exceeds a sound bound on the fault's logit change (same outcomes; logits of dropped images stay golden)",
  },
  threads: { type: 'int', min: 1, placeholder: 'N', description: 'ONNX Runtime threads per session' },
  batch: { type: 'int', min: 1, default: 250, description: 'images per runtime call' },
  'cache-mib': {
    type: 'int',
    min: 1,
    default: 4096,
    description: 'memory budget for cached golden activations (layers beyond it run from the input)',
  },
};

/** Options that target faults (shared with `inject`). */
export const targetOptions: Record<string, OptionSpec> = {
  layers: {
    type: 'string',
    multiple: true,
    placeholder: 'name',
    description: "layers to target ('layer4.*' matches a prefix)",
  },
  roles: {
    type: 'string',
    choices: ['weight', 'bias'],
    multiple: true,
    description: 'weights, biases or both',
  },
  regions: {
    type: 'string',
    choices: [...REGION_NAMES],
    multiple: true,
    description:
      "memory regions to target (default: all but int8 scales and check words; BER plans include check words), e.g. ecc for SEC-DED's check bits",
  },
  bits: {
    type: 'string',
    placeholder: 'lo-hi|b,b,...',
    description: 'bit positions within a word, e.g. 23-30 or 30',
  },
  'value-range': {
    type: 'string',
    placeholder: 'min:max',
    description: 'only weights whose value lies in [min, max]',
  },
  'fault-type': {
    type: 'string',
    choices: FAULT_TYPES.names(),
    default: 'bit-flip',
    description: 'what a fault does to a bit',
  },
  'burst-length': {
    type: 'int',
    min: 2,
    max: 32,
    default: 2,
    description: 'bits per burst (fault type burst)',
  },
};

/** Parses `--bits` ('30', '23-30', '0,7,30'). */
export function parseBits(cmd: string, s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const range = /^(\d+)-(\d+)$/.exec(s);
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    if (hi < lo) throw usage(cmd, `--bits ${s}: the range must be low-high`);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  }
  if (!/^\d+(,\d+)*$/.test(s))
    throw usage(cmd, `--bits must be a bit, a range lo-hi or a list b,b,..., got '${s}'`);
  return s.split(',').map(Number);
}

/** The targeting described by the options. */
export function parseTargeting(cmd: string, a: ParsedArgs): Targeting {
  const t: Targeting = {};
  const layers = opt.strs(a, 'layers');
  if (layers.length) t.layers = layers;
  const roles = opt.strs(a, 'roles') as ('weight' | 'bias')[];
  if (roles.length) t.roles = roles;
  const regions = opt.strs(a, 'regions') as RegionName[];
  if (regions.length) t.regions = regions;
  const bits = parseBits(cmd, opt.str(a, 'bits'));
  if (bits) t.bits = [Math.min(...bits), Math.max(...bits)];
  const vr = opt.str(a, 'value-range');
  if (vr !== undefined) {
    const m = /^(-?[\d.e+-]+):(-?[\d.e+-]+)$/.exec(vr);
    if (!m || !(Number(m[1]) <= Number(m[2])))
      throw usage(cmd, `--value-range must be min:max with min <= max, got '${vr}'`);
    t.valueRange = [Number(m[1]), Number(m[2])];
  }
  return t;
}

/** The memory part of a campaign config (`protect` only when protections are named). */
export function parseMemory(a: ParsedArgs): CampaignConfig['memory'] {
  const memory: CampaignConfig['memory'] = {
    numberFormat: opt.str(a, 'number-format') ?? DEFAULT_MEMORY.numberFormat,
    storage: opt.str(a, 'storage') ?? DEFAULT_MEMORY.storage,
    faultScales: opt.bool(a, 'fault-scales'),
    foldBn: (opt.str(a, 'fold-bn') ?? String(DEFAULT_MEMORY.foldBn)) === 'true',
  };
  const text = opt.str(a, 'protect');
  const regions = opt.str(a, 'protect-regions');
  if (text !== undefined) {
    let protect = parseProtections(text);
    if (regions !== undefined) {
      if (!protect.some((p) => PROTECTIONS.get(p.name).hardening))
        throw new PrunefiError(
          'USAGE',
          `--protect-regions restricts memory codes; --protect ${text} names none`,
        );
      protect = checkProtections(
        protect.map((p) => (PROTECTIONS.get(p.name).hardening ? { ...p, regions } : p)),
      );
    }
    if (protect.length) memory.protect = protect;
  } else if (regions !== undefined)
    throw new PrunefiError('USAGE', '--protect-regions says where --protect applies: give --protect too');
  return memory;
}

/**
 * With `--protect ranger`: its bounds, profiled on the training split of `--data` (the
 * protection's `images`, balanced over the classes) on the model as the campaign computes it;
 * undefined without ranger.
 */
export async function profileRangerArg(
  a: ParsedArgs,
  ctx: CliContext,
  cmd: string,
  model: Model,
  memory: CampaignConfig['memory'],
  quiet: boolean,
): Promise<RangerProfile | undefined> {
  const spec = rangerSpec(memory.protect);
  if (!spec) return undefined;
  const data = opt.required<string>(a, 'data', cmd);
  if (isTensorSpec(data))
    throw usage(
      cmd,
      `--protect ranger profiles its bounds on training images, and ${data} is a tensor dataset: use ranger with an image dataset`,
    );
  const args: ParsedArgs = { positionals: [], options: { ...a.options, limit: spec.images } };
  let set: Awaited<ReturnType<typeof loadModelData>>;
  try {
    set = await loadModelData(args, ctx, cmd, 'train', model, opt.required<string>(a, 'model', cmd), {
      quiet,
    });
  } catch (err) {
    if (err instanceof PrunefiError && err.code === 'DATA_NOT_FOUND')
      throw new PrunefiError(
        'DATA_NOT_FOUND',
        `--protect ranger profiles its bounds on the training split of --data: ${err.message}`,
        { cause: err },
      );
    throw err;
  }
  return profileRanger(model, memory.foldBn, imagesToTensor(set, allRows(set.count)), {
    split: set.split,
    hash: set.hash,
  });
}

/** Evaluator options from the engine options. */
export function parseEngine(a: ParsedArgs, ctx: CliContext, quiet: boolean): Partial<EvaluatorOptions> {
  if (opt.bool(a, 'safe-drop') && opt.bool(a, 'naive'))
    throw new PrunefiError('USAGE', '--safe-drop skips inference in fast mode: use it without --naive');
  const bar = ctx.progress('golden', quiet);
  const o: Partial<EvaluatorOptions> = {
    mode: opt.bool(a, 'naive') ? 'naive' : 'fast',
    batch: opt.num(a, 'batch') ?? 250,
    cacheMiB: opt.num(a, 'cache-mib') ?? 4096,
    safeDrop: opt.bool(a, 'safe-drop'),
    onProgress: (p) => bar.update(p),
  };
  const threads = opt.num(a, 'threads');
  if (threads !== undefined) o.threads = threads;
  return o;
}

/**
 * Loads the model and the fixed image subset, with the content hashes a config records. The
 * images are labelled by `classes` (a stored campaign's), else `--classes`, else the model's names.
 */
export async function loadTarget(
  a: ParsedArgs,
  ctx: CliContext,
  cmd: string,
  quiet: boolean,
  classes: readonly string[] | undefined = parseClasses(a, cmd),
): Promise<{
  model: Model;
  input: ImageInput | SampleInput;
  modelRef: CampaignConfig['model'];
  dataRef: CampaignConfig['data'];
}> {
  const spec = opt.required<string>(a, 'model', cmd);
  const model = loadModelArg(spec);
  const tensors = loadTensorArg(a, model, spec);
  if (tensors) {
    const limit = opt.num(a, 'limit');
    return {
      model,
      input: { feeds: tensors.feeds, labels: tensors.set.labels.data },
      modelRef: { spec, hash: hashBytes(encodeModel(model)) },
      // Every sample of the set (or its first --limit): perClass 0 says no per-class subset.
      dataRef: {
        spec: opt.required<string>(a, 'data', cmd),
        split: 'tensors',
        perClass: 0,
        ...(limit !== undefined ? { limit } : {}),
        hash: hashJson([tensors.set.hash, limit ?? null]),
      },
    };
  }
  const set = await loadModelData(a, ctx, cmd, opt.str(a, 'split'), model, spec, {
    quiet,
    ...(classes ? { classes } : {}),
  });
  const target = imageCampaignTarget({
    model,
    modelSpec: spec,
    set,
    dataSpec: opt.required<string>(a, 'data', cmd),
    perClass: opt.num(a, 'images-per-class') ?? 100,
    ...(classes ? { classes } : {}),
  });
  return { model, ...target };
}

/** The model and samples of a stored campaign, checked against the hashes it recorded. */
export async function loadCampaignTarget(
  config: CampaignConfig,
  where: string,
  a: ParsedArgs,
  ctx: CliContext,
  cmd: string,
  quiet: boolean,
): Promise<{ model: Model; input: ImageInput | SampleInput }> {
  const args: ParsedArgs = {
    positionals: [],
    options: {
      ...a.options,
      data: config.data.spec,
      split: config.data.split,
      'images-per-class': config.data.perClass,
      ...(config.data.limit !== undefined ? { limit: config.data.limit } : {}),
      model: config.model.spec,
    },
  };
  // loadTarget loads and hashes the model once; it is checked before the images are compared.
  const target = await loadTarget(args, ctx, cmd, quiet, config.data.classes);
  if (target.modelRef.hash !== config.model.hash) {
    throw new PrunefiError(
      'CAMPAIGN_CONFIG_MISMATCH',
      `${config.model.spec} has changed since the campaign in ${where} started (its content hash differs); use the original model file`,
    );
  }
  if (target.dataRef.hash !== config.data.hash) {
    throw new PrunefiError(
      'CAMPAIGN_CONFIG_MISMATCH',
      `the images of ${config.data.spec} (split ${config.data.split}) differ from those the campaign in ${where} started with; use the original dataset`,
    );
  }
  return { model: target.model, input: target.input };
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The CLI flag of a plan option, or undefined when the shared fault options set it. */
export function flagOf(key: string, flag: string | false | undefined): string | undefined {
  return flag === false ? undefined : (flag ?? kebab(key));
}

/**
 * `--plan` and every plan kind's own flags, read from `PLAN_KINDS` when a command's options are
 * read (so a kind registered at run time has its flags). A flag two kinds share is declared once.
 */
export function planOptions(defaultKind?: string): Record<string, OptionSpec> {
  const out: Record<string, OptionSpec> = {
    plan: {
      type: 'string',
      choices: PLAN_KINDS.names(),
      ...(defaultKind ? { default: defaultKind } : {}),
      description: `what experiments to run (see 'prunefi faults')${defaultKind ? '' : '; default exact-k'}`,
    },
  };
  for (const kind of PLAN_KINDS.list()) {
    for (const [key, o] of Object.entries(kind.options)) {
      const flag = flagOf(key, o.flag);
      if (flag === undefined || out[flag]) continue;
      const list = o.type === 'numbers' || o.type === 'ints';
      out[flag] = {
        type: list || o.type === 'fault-lists' ? 'string' : o.type === 'int' ? 'int' : 'number',
        description: o.description,
        ...(list ? { multiple: true } : {}),
        ...(o.placeholder ? { placeholder: o.placeholder } : {}),
        ...(o.cliDefault !== undefined ? { default: o.cliDefault } : {}),
        ...(o.min !== undefined && !list ? { min: o.min } : {}),
        ...(o.max !== undefined && !list ? { max: o.max } : {}),
      };
    }
  }
  return out;
}

/** The plan spec a command line describes (`--plan` and its kind's flags), checked. */
export function parsePlanArgs(cmd: string, a: ParsedArgs, kindName: string): PlanSpec {
  const kind = PLAN_KINDS.get(kindName);
  const values: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(kind.options)) {
    const flag = flagOf(key, o.flag);
    if (flag === undefined) continue;
    let v: unknown = a.options[flag] ?? o.cliDefault;
    if (v !== undefined && (o.type === 'numbers' || o.type === 'ints')) {
      const texts = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(','));
      v = texts.map((s) => {
        const n = Number(s);
        if (s.trim() === '' || !Number.isFinite(n)) throw usage(cmd, `--${flag} takes numbers, got '${s}'`);
        return n;
      });
      if ((v as number[]).length === 0) v = undefined;
    }
    if (v === undefined && o.required)
      throw usage(
        cmd,
        `--plan ${kind.name} needs --${flag}${o.placeholder ? ` ${o.placeholder}` : ''} (${o.description})`,
      );
    if (v !== undefined) values[key] = v;
  }
  const type = opt.str(a, 'fault-type') ?? 'bit-flip';
  const length = FAULT_TYPES.get(type).multiBit ? (opt.num(a, 'burst-length') ?? 2) : undefined;
  const bits = parseBits(cmd, opt.str(a, 'bits'));
  try {
    return checkPlanSpec(
      planFromCli(kind, values, {
        type,
        targeting: parseTargeting(cmd, a),
        ...(length !== undefined ? { length } : {}),
        ...(bits ? { bits } : {}),
      }),
    );
  } catch (err) {
    if (err instanceof PrunefiError && err.code === 'USAGE') throw usage(cmd, err.message);
    throw err;
  }
}
