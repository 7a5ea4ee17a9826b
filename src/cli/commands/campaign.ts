/**
 * `prunefi campaign run|resume|status|export`: statistically planned fault-injection campaigns
 * stored in SQLite, resumable after any interruption. The option helpers here are shared with
 * `prunefi inject`.
 */
import { writeFileSync } from 'node:fs';
import { type CampaignConfig, prepareCampaign } from '../../campaign/config.js';
import { runCampaign, type StoppingSpec } from '../../campaign/engine.js';
import type { EvaluatorOptions, ImageInput, SampleInput } from '../../campaign/evaluator.js';
import type { PlanSpec } from '../../campaign/plan.js';
import { CampaignStore } from '../../campaign/store.js';
import { recordJson, recordsCsv, summarizeCampaign } from '../../campaign/summary.js';
import { PrunefiError } from '../../core/errors.js';
import { hashBytes, hashJson } from '../../core/hash.js';
import { firstPerClass, imagesToTensor, labelsOf } from '../../data/index.js';
import { readFaultList } from '../../fault/fault-list.js';
import type { Targeting } from '../../fault/fault-models.js';
import { FAULT_TYPES } from '../../fault/fault-types.js';
import { NUMBER_FORMATS } from '../../fault/number-formats.js';
import { STORAGE_FORMATS } from '../../fault/storage-formats.js';
import type { Model } from '../../onnx/ir.js';
import { encodeModel } from '../../onnx/proto.js';
import { type CliContext, type Command, type OptionSpec, opt, type ParsedArgs } from '../command.js';
import { formatPercent, table } from '../format.js';
import { dataOptions, loadDataArg, loadModelArg, loadTensorArg, printJson } from '../shared.js';
import { executeQueued, queueOptions } from './queued.js';

function usage(cmd: string, message: string): PrunefiError {
  return new PrunefiError('USAGE', `${message} (see 'prunefi ${cmd} --help')`);
}

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
  'fault-scales': { type: 'boolean', description: 'int8: make the per-channel scales faultable too' },
  'fold-bn': {
    type: 'string',
    choices: ['true', 'false'],
    default: 'true',
    description: 'fold BatchNorm into the preceding conv before storing (as accelerators do)',
  },
};

/** Options that change speed, never results. */
export const engineOptions: Record<string, OptionSpec> = {
  naive: { type: 'boolean', description: 'full inference per experiment (for comparison; same outcomes)' },
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

/** The memory part of a campaign config. */
export function parseMemory(a: ParsedArgs): CampaignConfig['memory'] {
  return {
    numberFormat: opt.str(a, 'number-format') ?? 'float32',
    storage: opt.str(a, 'storage') ?? 'dense',
    faultScales: opt.bool(a, 'fault-scales'),
    foldBn: (opt.str(a, 'fold-bn') ?? 'true') === 'true',
  };
}

/** Evaluator options from the engine options. */
export function parseEngine(a: ParsedArgs, ctx: CliContext, quiet: boolean): Partial<EvaluatorOptions> {
  const bar = ctx.progress('golden', quiet);
  const o: Partial<EvaluatorOptions> = {
    mode: opt.bool(a, 'naive') ? 'naive' : 'fast',
    batch: opt.num(a, 'batch') ?? 250,
    cacheMiB: opt.num(a, 'cache-mib') ?? 4096,
    onProgress: (p) => bar.update(p),
  };
  const threads = opt.num(a, 'threads');
  if (threads !== undefined) o.threads = threads;
  return o;
}

/** Loads the model and the fixed image subset, with the content hashes a config records. */
export async function loadTarget(
  a: ParsedArgs,
  ctx: CliContext,
  cmd: string,
  quiet: boolean,
): Promise<{
  model: Model;
  input: ImageInput | SampleInput;
  modelRef: CampaignConfig['model'];
  dataRef: CampaignConfig['data'];
}> {
  const spec = opt.required<string>(a, 'model', cmd);
  const model = loadModelArg(spec);
  const modelRef = { spec, hash: hashBytes(encodeModel(model)) };
  const tensors = loadTensorArg(a, model, spec);
  if (tensors) {
    const limit = opt.num(a, 'limit');
    return {
      model,
      input: { feeds: tensors.feeds, labels: tensors.set.labels.data },
      modelRef,
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
  const set = await loadDataArg(a, ctx, cmd, opt.str(a, 'split'), quiet);
  const perClass = opt.num(a, 'images-per-class') ?? 100;
  const idx = firstPerClass(set, perClass);
  return {
    model,
    input: { x: imagesToTensor(set, idx), labels: labelsOf(set, idx) },
    modelRef,
    dataRef: {
      spec: opt.required<string>(a, 'data', cmd),
      split: set.split,
      perClass,
      hash: hashJson([set.hash, perClass]),
    },
  };
}

function parsePlan(a: ParsedArgs): PlanSpec {
  const cmd = 'campaign run';
  const kind = opt.str(a, 'plan') ?? 'single-bit';
  const targeting = parseTargeting(cmd, a);
  const type = opt.str(a, 'fault-type') ?? 'bit-flip';
  const length = FAULT_TYPES.get(type).multiBit ? (opt.num(a, 'burst-length') ?? 2) : undefined;
  const common = { type, ...(Object.keys(targeting).length ? { targeting } : {}) };
  switch (kind) {
    case 'single-bit': {
      const bits = parseBits(cmd, opt.str(a, 'bits'));
      const { bits: _b, ...rest } = targeting;
      const spec: PlanSpec = {
        kind: 'single-bit',
        type,
        ...(Object.keys(rest).length ? { targeting: rest } : {}),
      };
      if (bits) spec.bits = bits;
      const perBit = opt.num(a, 'per-bit');
      if (perBit !== undefined) spec.perBit = perBit;
      else {
        spec.margin = opt.num(a, 'margin') ?? 0.05;
        spec.confidence = opt.num(a, 'confidence') ?? 0.95;
      }
      return spec;
    }
    case 'exhaustive':
      if (!targeting.layers)
        throw usage(cmd, '--plan exhaustive needs --layers (every bit of those layers is one experiment)');
      return { kind: 'exhaustive', type, targeting };
    case 'ber': {
      const rates = opt
        .strs(a, 'rates')
        .flatMap((r) => r.split(','))
        .map(Number);
      if (rates.length === 0) throw usage(cmd, '--plan ber needs --rates, e.g. --rates 1e-7,1e-6');
      return {
        kind: 'ber',
        rates,
        trials: opt.num(a, 'trials') ?? 30,
        ...common,
        ...(length ? { length } : {}),
      };
    }
    case 'exact-k':
      return {
        kind: 'exact-k',
        k: opt.num(a, 'k') ?? 1,
        experiments: opt.num(a, 'experiments') ?? 1000,
        ...common,
        ...(length ? { length } : {}),
      };
    case 'fault-list': {
      const file = opt.required<string>(a, 'faults', cmd);
      return { kind: 'fault-list', experiments: readFaultList(file).experiments.map((e) => e.faults) };
    }
    default:
      throw usage(cmd, `--plan must be single-bit, exhaustive, ber, exact-k or fault-list, got '${kind}'`);
  }
}

function parseRange(a: ParsedArgs): [number, number] | undefined {
  const r = opt.str(a, 'range');
  if (r === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(r);
  if (!m)
    throw usage('campaign run', `--range must be from:to (experiment indices, to exclusive), got '${r}'`);
  return [Number(m[1]), Number(m[2])];
}

async function execute(
  a: ParsedArgs,
  ctx: CliContext,
  store: CampaignStore,
  config: CampaignConfig,
  model: Model,
  input: ImageInput | SampleInput,
): Promise<number> {
  if (opt.str(a, 'queue') !== undefined)
    return executeQueued(a, ctx, store, config, model, input, parseRange(a));
  const json = opt.bool(a, 'json');
  const prepared = await prepareCampaign(config, model, input, parseEngine(a, ctx, json));
  const bar = ctx.progress('campaign', json);
  try {
    const range = parseRange(a);
    const r = await runCampaign({
      store,
      evaluator: prepared.evaluator,
      plan: prepared.plan,
      ...(config.stopping ? { stopping: config.stopping } : {}),
      ...(range ? { range } : {}),
      signal: ctx.signal,
      onProgress: (p) => bar.update(p),
    });
    bar.done();
    const line = {
      db: store.path,
      planned: r.planned,
      done: r.done,
      ranNow: r.ranNow,
      stoppedEarly: r.stoppedEarly,
      interrupted: r.interrupted,
      seconds: r.seconds,
      setupSeconds: prepared.evaluator.setupSeconds,
    };
    if (json) printJson(ctx, line);
    else {
      ctx.stdout.write(
        `${r.done}/${r.planned} experiments stored in ${store.path} (${r.ranNow} now, ${r.seconds.toFixed(1)} s)${r.stoppedEarly ? '; stopped early: every SDC-rate interval is narrow enough' : ''}\n`,
      );
      if (r.interrupted)
        ctx.stdout.write(`interrupted: continue with 'prunefi campaign resume ${store.path}'\n`);
    }
    return r.interrupted ? 130 : 0;
  } finally {
    bar.done();
    await prepared.evaluator.release();
  }
}

const runCmd: Command = {
  name: 'run',
  summary: 'plan and run a campaign into a SQLite database',
  options: {
    db: {
      type: 'string',
      placeholder: 'file.sqlite',
      description: 'the campaign database (created, or continued if same config)',
    },
    ...memoryOptions,
    plan: {
      type: 'string',
      choices: ['single-bit', 'exhaustive', 'ber', 'exact-k', 'fault-list'],
      default: 'single-bit',
      description: 'what experiments to run',
    },
    'per-bit': {
      type: 'int',
      min: 1,
      placeholder: 'N',
      description: 'single-bit: experiments per bit (default: Leveugle)',
    },
    margin: {
      type: 'number',
      min: 0,
      max: 1,
      description: 'single-bit: error margin for the Leveugle sample size (default 0.05)',
    },
    confidence: {
      type: 'number',
      min: 0,
      max: 1,
      description: 'confidence of the sample size (default 0.95)',
    },
    rates: { type: 'string', multiple: true, placeholder: 'p,p', description: 'ber: bit error rates' },
    trials: { type: 'int', min: 1, default: 30, description: 'ber: experiments per rate' },
    k: { type: 'int', min: 1, default: 1, description: 'exact-k: faults per experiment' },
    experiments: { type: 'int', min: 1, default: 1000, description: 'exact-k: number of experiments' },
    faults: {
      type: 'string',
      placeholder: 'file.json',
      description: 'fault-list: a prunefi or torch_baseline.py fault list',
    },
    ...targetOptions,
    seed: {
      type: 'int',
      min: 0,
      default: 1,
      description: 'campaign seed (experiment i replays from seed and i)',
    },
    'stop-half-width': {
      type: 'number',
      min: 0,
      description: 'sequential stopping: stop when every SDC-rate ± is below this',
    },
    'stop-every': {
      type: 'int',
      min: 1,
      default: 320,
      description: 'sequential stopping: experiments between looks',
    },
    range: {
      type: 'string',
      placeholder: 'from:to',
      description: 'run only experiments from..to-1 (a shard)',
    },
    ...engineOptions,
    ...queueOptions,
    json: { type: 'boolean', description: 'print JSON' },
  },
  help: 'Example: prunefi campaign run --db alexnet.sqlite --model ../shared/models/alexnet_cifar.onnx --data ../shared/datasets/cifar10-jpeg/test.tar.gz --plan single-bit --per-bit 100',
  async run(a, ctx) {
    const db = opt.required<string>(a, 'db', 'campaign run');
    const { model, input, modelRef, dataRef } = await loadTarget(a, ctx, 'campaign run', opt.bool(a, 'json'));
    const config: CampaignConfig = {
      model: modelRef,
      data: dataRef,
      memory: parseMemory(a),
      plan: parsePlan(a),
      seed: opt.num(a, 'seed') ?? 1,
    };
    const hw = opt.num(a, 'stop-half-width');
    if (hw !== undefined) {
      const stopping: StoppingSpec = { halfWidth: hw, every: opt.num(a, 'stop-every') ?? 320 };
      const c = opt.num(a, 'confidence');
      if (c !== undefined) stopping.confidence = c;
      config.stopping = stopping;
    }
    const store = CampaignStore.openOrCreate(db, config);
    try {
      return await execute(a, ctx, store, config, model, input);
    } finally {
      store.close();
    }
  },
};

const resumeCmd: Command = {
  name: 'resume',
  summary: 'continue a campaign from its database (runs exactly the missing experiments)',
  positionals: [{ name: 'db', description: 'the campaign database', required: true }],
  options: {
    ...engineOptions,
    range: runCmd.options!.range!,
    'cache-dir': dataOptions['cache-dir']!,
    ...queueOptions,
    json: { type: 'boolean', description: 'print JSON' },
  },
  async run(a, ctx) {
    const store = CampaignStore.open(a.positionals[0]!);
    try {
      const config = store.config as CampaignConfig;
      const model = loadModelArg(config.model.spec);
      if (hashBytes(encodeModel(model)) !== config.model.hash) {
        throw new PrunefiError(
          'CAMPAIGN_CONFIG_MISMATCH',
          `${config.model.spec} has changed since the campaign in ${store.path} started (its content hash differs); resume with the original model file`,
        );
      }
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
      const target = await loadTarget(args, ctx, 'campaign resume', opt.bool(a, 'json'));
      if (target.dataRef.hash !== config.data.hash) {
        throw new PrunefiError(
          'CAMPAIGN_CONFIG_MISMATCH',
          `the images of ${config.data.spec} (split ${config.data.split}) differ from those the campaign in ${store.path} started with; resume with the original dataset`,
        );
      }
      return await execute(a, ctx, store, config, model, target.input);
    } finally {
      store.close();
    }
  },
};

const statusCmd: Command = {
  name: 'status',
  summary: 'progress and SDC rates (with intervals) of a campaign',
  positionals: [{ name: 'db', description: 'the campaign database', required: true }],
  options: {
    by: {
      type: 'string',
      choices: ['stratum', 'layer', 'effect'],
      default: 'stratum',
      description: 'breakdown',
    },
    confidence: { type: 'number', min: 0, max: 1, default: 0.95, description: 'interval confidence' },
    json: { type: 'boolean', description: 'print JSON' },
  },
  async run(a, ctx) {
    const store = CampaignStore.open(a.positionals[0]!, true);
    try {
      const records = store.records();
      const by = opt.str(a, 'by') ?? 'stratum';
      const rows = summarizeCampaign(
        records,
        (r) => (by === 'layer' ? r.layer : by === 'effect' ? r.effect : r.stratum),
        opt.num(a, 'confidence') ?? 0.95,
      );
      const golden = JSON.parse(store.meta('golden') ?? '{}') as {
        accuracy?: number;
        images?: number;
        tokens?: number;
        tokenCorrect?: number;
      };
      // A sequence output scores tokens: its accuracy and SDC rates are also shown per token.
      const perToken = golden.tokens !== undefined && golden.tokens !== golden.images;
      const stopped = store.meta('stopped');
      if (opt.bool(a, 'json')) {
        printJson(ctx, {
          db: store.path,
          config: store.config,
          golden,
          stopped: stopped ? JSON.parse(stopped) : null,
          done: records.length,
          groups: rows,
        });
        return 0;
      }
      const iv = (x: { estimate: number; lower: number; upper: number }): string =>
        `${formatPercent(x.estimate)} [${formatPercent(x.lower)}, ${formatPercent(x.upper)}]`;
      ctx.stdout.write(
        `${store.path}: ${records.length} experiments stored${golden.accuracy !== undefined ? `, golden accuracy ${formatPercent(golden.accuracy, 2)}` : ''}${perToken ? ` (whole sequences; per token ${formatPercent(golden.tokenCorrect! / golden.tokens!, 2)} of ${golden.tokens})` : ''}${stopped ? ', stopped early (sequential stopping)' : ''}\n`,
      );
      ctx.stdout.write(
        `${table(
          [
            by,
            'n',
            'SDC exp.',
            'SDC rate [95% CI]',
            'critical',
            'mean acc.',
            ...(perToken ? ['token SDC'] : []),
            'NaN/Inf',
            'no effect',
          ],
          rows.map((r) => [
            r.group,
            String(r.experiments),
            String(r.sdcExperiments),
            iv(r.sdcRate),
            String(r.criticalExperiments),
            r.meanAccuracy ? formatPercent(r.meanAccuracy.estimate, 2) : '-',
            ...(perToken ? [formatPercent(r.meanTokenSdcRate, 3)] : []),
            String(r.nonFiniteExperiments),
            String(r.noEffect),
          ]),
        )}\n`,
      );
      return 0;
    } finally {
      store.close();
    }
  },
};

const exportCmd: Command = {
  name: 'export',
  summary: 'write every experiment as CSV or JSON',
  positionals: [{ name: 'db', description: 'the campaign database', required: true }],
  options: {
    format: { type: 'string', choices: ['csv', 'json'], default: 'csv', description: 'output format' },
    out: { type: 'string', placeholder: 'file', description: 'output file (default: stdout)' },
  },
  async run(a, ctx) {
    const store = CampaignStore.open(a.positionals[0]!, true);
    try {
      const records = store.records();
      const text =
        opt.str(a, 'format') === 'json'
          ? `${JSON.stringify({ config: store.config, configHash: store.configHash, golden: JSON.parse(store.meta('golden') ?? 'null'), experiments: records.map(recordJson) }, null, 1)}\n`
          : recordsCsv(records);
      const out = opt.str(a, 'out');
      if (out) {
        try {
          writeFileSync(out, text);
        } catch (err) {
          throw new PrunefiError('IO', `cannot write ${out}: ${(err as Error).message}`, { cause: err });
        }
      } else ctx.stdout.write(text);
      return 0;
    } finally {
      store.close();
    }
  },
};

/** The `campaign` command group. */
export const campaignCommand: Command = {
  name: 'campaign',
  summary: 'statistically planned, resumable fault-injection campaigns (SQLite)',
  subcommands: [runCmd, resumeCmd, statusCmd, exportCmd],
};
