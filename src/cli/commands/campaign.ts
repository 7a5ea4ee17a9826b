/**
 * `prunefi campaign run|resume|status|export|predict`: statistically planned fault-injection campaigns
 * stored in SQLite, resumable after any interruption.
 */
import { type CleanCost, ensureCleanCost } from '../../campaign/clean-cost.js';
import { type CampaignConfig, campaignConfig, prepareCampaign } from '../../campaign/config.js';
import { runCampaign, type StoppingSpec } from '../../campaign/engine.js';
import type { ImageInput, SampleInput } from '../../campaign/evaluator.js';
import type { DropStats } from '../../campaign/safe-drop.js';
import { CampaignStore } from '../../campaign/store.js';
import { recordJson, recordsCsv, summarizeCampaign } from '../../campaign/summary.js';
import { describeHolder, holderState } from '../../campaign/writer-lock.js';
import { atomicWrite } from '../../core/atomic.js';
import { PrunefiError } from '../../core/errors.js';
import { hasMemoryCode } from '../../fault/protect/registry.js';
import type { Model } from '../../onnx/ir.js';
import {
  engineOptions,
  loadCampaignTarget,
  loadTarget,
  memoryOptions,
  parseEngine,
  parseMemory,
  parsePlanArgs,
  planOptions,
  profileRangerArg,
  targetOptions,
} from '../campaign-options.js';
import {
  type CliContext,
  type Command,
  type OptionSpec,
  opt,
  type ParsedArgs,
  usageError,
} from '../command.js';
import { formatInt, formatPercent, table } from '../format.js';
import { dataOptions, printJson } from '../shared.js';
import { predictCmd } from './campaign-predict.js';
import { executeQueued, queueOptions } from './queued.js';

/** The clean-accuracy cost of graph protections, with its paired interval and the time overhead. */
function cleanCostLine(c: CleanCost): string {
  const d = c.difference;
  const points = (v: number): string => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}`;
  const ms = (seconds: number): string => (1000 * seconds).toPrecision(3);
  return `clean-accuracy cost of ${c.protections.join(', ')}: ${formatPercent(c.protectedAccuracy, 2)} protected vs ${formatPercent(c.unprotectedAccuracy, 2)} unprotected on ${formatInt(c.samples)} images, ${points(d.estimate)} points [${points(d.lower)}, ${points(d.upper)}] (95% paired bootstrap); inference ${ms(c.protectedSeconds)} vs ${ms(c.unprotectedSeconds)} ms/image (one pass each, same run)`;
}

/** Stored bits, and the share of them that protections' check words take. */
function memoryLine(bits: number, checkBits: number): string {
  return `${formatInt(bits)} stored bits${checkBits ? ` (${formatInt(checkBits)} of them check bits, +${formatPercent(checkBits / (bits - checkBits), 2)} over the data)` : ''}`;
}

function parseRange(a: ParsedArgs): [number, number] | undefined {
  const r = opt.str(a, 'range');
  if (r === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(r);
  if (!m)
    throw usageError(
      'campaign run',
      `--range must be from:to (experiment indices, to exclusive), got '${r}'`,
    );
  return [Number(m[1]), Number(m[2])];
}

/** What proven-safe dropping did per bit: the share of images and of experiments it decided. */
function dropTable(stats: readonly DropStats[]): string {
  const rows = stats.map((s) => [
    String(s.bit),
    formatInt(s.experiments),
    formatPercent(s.imagesDropped / s.images),
    formatPercent(s.experimentsDropped / s.experiments),
  ]);
  return `proven-safe dropping (images and experiments decided without inference):\n${table(['bit', 'experiments', 'images dropped', 'experiments dropped'], rows)}\n`;
}

async function execute(
  a: ParsedArgs,
  ctx: CliContext,
  store: CampaignStore,
  config: CampaignConfig,
  model: Model,
  input: ImageInput | SampleInput,
): Promise<number> {
  const json = opt.bool(a, 'json');
  const threads = opt.num(a, 'threads');
  const cost = await ensureCleanCost(store, model, input, {
    batch: opt.num(a, 'batch') ?? 250,
    ...(threads !== undefined ? { threads } : {}),
  });
  if (cost && !json) ctx.stdout.write(`${cleanCostLine(cost)}\n`);
  if (opt.str(a, 'queue') !== undefined) {
    if (opt.bool(a, 'safe-drop'))
      throw new PrunefiError('USAGE', '--safe-drop runs in-process only: use it without --queue');
    return executeQueued(a, ctx, store, config, model, input, parseRange(a));
  }
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
      memoryBits: prepared.evaluator.memory.bits,
      checkBits: prepared.evaluator.memory.checkBits,
      // Proven-safe dropping, per bit of this call's single-fault experiments (empty when off).
      dropped: prepared.evaluator.dropStats,
      ...(cost ? { cleanCost: cost } : {}),
    };
    if (json) printJson(ctx, line);
    else {
      ctx.stdout.write(
        `${r.done}/${r.planned} experiments stored in ${store.path} (${r.ranNow} now, ${r.seconds.toFixed(1)} s)${r.stoppedEarly ? '; stopped early: every SDC-rate interval is narrow enough' : ''}\n`,
      );
      ctx.stdout.write(`memory: ${memoryLine(line.memoryBits, line.checkBits)}\n`);
      if (line.dropped.length) ctx.stdout.write(dropTable(line.dropped));
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
  // A getter: plan kinds registered after this module loaded still get their flags.
  get options(): Record<string, OptionSpec> {
    return {
      db: {
        type: 'string',
        placeholder: 'file.sqlite',
        description: 'the campaign database (created, or continued if same config)',
      },
      ...memoryOptions,
      ...planOptions('single-bit'),
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
    };
  },
  help: 'Example: prunefi campaign run --db alexnet.sqlite --model ../shared/models/alexnet_cifar.onnx --data ../shared/datasets/cifar10-jpeg/test.tar.gz --plan single-bit --per-bit 100',
  async run(a, ctx) {
    const db = opt.required<string>(a, 'db', 'campaign run');
    const { model, input, modelRef, dataRef } = await loadTarget(a, ctx, 'campaign run', opt.bool(a, 'json'));
    let stopping: StoppingSpec | undefined;
    const hw = opt.num(a, 'stop-half-width');
    if (hw !== undefined) {
      stopping = { halfWidth: hw, every: opt.num(a, 'stop-every') ?? 320 };
      const c = opt.num(a, 'confidence');
      if (c !== undefined) stopping.confidence = c;
    }
    const memory = parseMemory(a);
    const plan = parsePlanArgs('campaign run', a, opt.str(a, 'plan') ?? 'single-bit');
    const ranger = await profileRangerArg(a, ctx, 'campaign run', model, memory, opt.bool(a, 'json'));
    const config = campaignConfig({ modelRef, dataRef }, plan, {
      seed: opt.num(a, 'seed') ?? 1,
      memory,
      ...(ranger ? { ranger } : {}),
      ...(stopping ? { stopping } : {}),
    });
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
      const { model, input } = await loadCampaignTarget(
        config,
        store.path,
        a,
        ctx,
        'campaign resume',
        opt.bool(a, 'json'),
      );
      return await execute(a, ctx, store, config, model, input);
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
      const golden = store.metaJson('golden', {}) as {
        accuracy?: number;
        images?: number;
        tokens?: number;
        tokenCorrect?: number;
      };
      // A sequence output scores tokens: its accuracy and SDC rates are also shown per token.
      const perToken = golden.tokens !== undefined && golden.tokens !== golden.images;
      const stopped = store.meta('stopped');
      const m = store.metaJson('memory', null) as { bits?: unknown; checkBits?: unknown } | null;
      const memory =
        m && typeof m.bits === 'number' && typeof m.checkBits === 'number'
          ? { bits: m.bits, checkBits: m.checkBits }
          : null;
      const protect = (store.config as CampaignConfig).memory.protect ?? [];
      const protectedBy = protect.map((p) => p.name).join(', ');
      // Corrections and DUEs come from memory codes; a graph protection alone has neither.
      const codes = hasMemoryCode(protect);
      const cost = store.metaJson('cleanCost', null) as CleanCost | null;
      const writer = store.writer();
      const writerState = writer && holderState(writer);
      if (opt.bool(a, 'json')) {
        printJson(ctx, {
          db: store.path,
          config: store.config,
          golden,
          stopped: stopped ? store.metaJson('stopped', null) : null,
          memory,
          cleanCost: cost,
          writer: writer ? { ...writer, state: writerState } : null,
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
      if (memory)
        ctx.stdout.write(
          `memory: ${memoryLine(memory.bits, memory.checkBits)}${protect.length ? `, protected by ${protectedBy}` : ''}\n`,
        );
      if (cost) ctx.stdout.write(`${cleanCostLine(cost)}\n`);
      else if (protect.length)
        ctx.stdout.write(
          "clean-accuracy cost: none by construction (fault-free words decode to themselves; a clip range is the fault-free weights' own)\n",
        );
      if (writer)
        ctx.stdout.write(
          writerState === 'live'
            ? `being written by ${describeHolder(writer)} (last renewed ${writer.renewed})\n`
            : `writer lock left by ${describeHolder(writer)} (${writerState}): the next run or resume takes it over\n`,
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
            ...(codes ? ['corrected', 'DUE rate [95% CI]'] : []),
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
            ...(codes ? [String(r.correctedExperiments), iv(r.dueRate)] : []),
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
          ? `${JSON.stringify({ config: store.config, configHash: store.configHash, golden: store.metaJson('golden', null), experiments: records.map(recordJson) }, null, 1)}\n`
          : recordsCsv(records);
      const out = opt.str(a, 'out');
      if (out) atomicWrite(out, text);
      else ctx.stdout.write(text);
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
  subcommands: [runCmd, resumeCmd, statusCmd, exportCmd, predictCmd],
};
