/** `prunefi inject`: one fault-injection experiment, printing its faults and outcome. */
import type { CampaignConfig } from '../../campaign/config.js';
import { Evaluator, type ImageInput, type SampleInput } from '../../campaign/evaluator.js';
import { protectedGraph } from '../../campaign/graph-protect.js';
import type { Outcome } from '../../campaign/outcome.js';
import { buildPlan, type PlanSpec } from '../../campaign/plan.js';
import { CampaignStore, STORED_FAULTS } from '../../campaign/store.js';
import { PrunefiError } from '../../core/errors.js';
import { canonicalJson } from '../../core/hash.js';
import { checkFaultList, readFaultList } from '../../fault/fault-list.js';
import type { Fault } from '../../fault/memory.js';
import { hasMemoryCode } from '../../fault/protect/registry.js';
import type { RegionName } from '../../fault/storage-formats.js';
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
import { type CliContext, type Command, type OptionSpec, opt, type ParsedArgs } from '../command.js';
import { formatPercent } from '../format.js';
import { printJson } from '../shared.js';

const CMD = 'inject';

/** Parses `--fault tensor:index:bit[:type[:region[:length]]]`. */
function parseFault(s: string): Fault {
  const [tensor, index, bit, type = 'bit-flip', region = 'values', length] = s.split(':');
  if (!tensor || index === undefined || bit === undefined || !/^\d+$/.test(index) || !/^\d+$/.test(bit)) {
    throw new PrunefiError(
      'USAGE',
      `--fault must be tensor:index:bit[:type[:region[:length]]], e.g. features.0.weight:12:30, got '${s}' (see 'prunefi inject --help')`,
    );
  }
  const f: Fault = { tensor, index: Number(index), bit: Number(bit), type, region: region as RegionName };
  if (length !== undefined) f.length = Number(length);
  return f;
}

function chooseFaults(a: ParsedArgs, ev: Evaluator, campaign: CampaignConfig | undefined): Chosen {
  const given = opt.strs(a, 'fault');
  if (given.length) return { faults: given.map(parseFault), how: 'given' };
  const index = opt.num(a, 'index') ?? 0;
  if (campaign)
    return planFaults(campaign.plan, ev, campaign.seed, index, `${opt.str(a, 'db')}, experiment ${index}`);
  const file = opt.str(a, 'faults');
  if (file && opt.str(a, 'plan') === undefined) {
    const list = readFaultList(file);
    checkFaultList(list, ev.memory);
    const i = opt.num(a, 'experiment') ?? 0;
    const e = list.experiments.find((x) => x.index === i);
    if (!e)
      throw new PrunefiError(
        'FAULT_LIST',
        `${file} has no experiment ${i} (it has ${list.experiments.length})`,
      );
    return { faults: e.faults, how: `${file}, experiment ${i}` };
  }
  const seed = opt.num(a, 'seed') ?? 1;
  const ber = opt.num(a, 'ber');
  // --ber p is short for a one-rate BER plan; its trial count only bounds the index.
  const spec =
    ber !== undefined
      ? parsePlanArgs(
          CMD,
          { ...a, options: { ...a.options, rates: [String(ber)], trials: index + 1 } },
          'ber',
        )
      : parsePlanArgs(CMD, a, opt.str(a, 'plan') ?? 'exact-k');
  return planFaults(spec, ev, seed, index, `seed ${seed}, experiment ${index}`);
}

/** Experiment `index` of a plan, exactly as a campaign with that plan and seed ran it. */
function planFaults(spec: PlanSpec, ev: Evaluator, seed: number, index: number, how: string): Chosen {
  const plan = buildPlan(spec, ev.memory, seed);
  if (index >= plan.size)
    throw new PrunefiError(
      'USAGE',
      `--index ${index} is outside the ${spec.kind} plan's ${plan.size} experiments (0..${plan.size - 1}); the plan's options set its size`,
    );
  return { faults: plan.faults(index), how: `${how}, ${spec.kind} plan, ${plan.stratum(index)}` };
}

interface Chosen {
  faults: Fault[];
  how: string;
}

/** The outcome fields a replay must reproduce exactly (timings and logit deviations aside). */
const REPLAYED = [
  'correct',
  'sdc',
  'criticalSdc',
  'tokenCorrect',
  'tokenSdc',
  'nanImages',
  'infImages',
  'corrected',
  'detected',
] as const;

/** How a replayed experiment compares with the campaign's stored one. */
interface Replay {
  /** False when the campaign has not run this experiment yet. */
  stored: boolean;
  /** Fields that differ ('faults' when the stored fault list differs). */
  differs: string[];
}

function compareStored(store: CampaignStore, index: number, faults: Fault[], o: Outcome): Replay {
  const r = store.record(index);
  if (!r) return { stored: false, differs: [] };
  const differs: string[] = REPLAYED.filter((k) => r[k] !== o[k]);
  if (canonicalJson(r.faults) !== canonicalJson(faults.slice(0, STORED_FAULTS))) differs.unshift('faults');
  return { stored: true, differs };
}

function replayLine(r: Replay): string {
  if (!r.stored) return 'the campaign has not stored this experiment yet';
  return r.differs.length
    ? `differs from the stored experiment in ${r.differs.join(', ')} (another prunefi version, or the model or data changed)`
    : 'matches the stored experiment (faults and outcome)';
}

/** The model, samples and memory of the run: a stored campaign's (--db) or the options'. */
async function target(
  a: ParsedArgs,
  ctx: CliContext,
  json: boolean,
): Promise<{
  model: Model;
  input: ImageInput | SampleInput;
  campaign?: { config: CampaignConfig; store: CampaignStore };
}> {
  const db = opt.str(a, 'db');
  if (db === undefined) return loadTarget(a, ctx, CMD, json);
  const store = CampaignStore.open(db, true);
  try {
    const config = store.config as CampaignConfig;
    return { ...(await loadCampaignTarget(config, db, a, ctx, CMD, json)), campaign: { config, store } };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** The `inject` command. */
export const injectCommand: Command = {
  name: 'inject',
  summary: 'run one fault-injection experiment and print its faults and outcome',
  // A getter: plan kinds registered after this module loaded still get their flags.
  get options(): Record<string, OptionSpec> {
    return {
      ...planOptions(),
      ...memoryOptions,
      fault: {
        type: 'string',
        multiple: true,
        placeholder: 'tensor:index:bit[:type[:region[:length]]]',
        description: 'a fault to inject (repeatable); otherwise drawn from --seed/--index',
      },
      faults: {
        type: 'string',
        placeholder: 'file.json',
        description: 'take the faults from a fault list (prunefi or torch_baseline.py)',
      },
      experiment: { type: 'int', min: 0, default: 0, description: 'which experiment of --faults' },
      db: {
        type: 'string',
        placeholder: 'file.sqlite',
        description: 'replay experiment --index of this campaign (its model, images, memory, plan and seed)',
      },
      seed: { type: 'int', min: 0, default: 1, description: 'seed of drawn faults (as in a campaign)' },
      index: {
        type: 'int',
        min: 0,
        default: 0,
        description: 'experiment index of drawn faults (as in a campaign)',
      },
      ber: {
        type: 'number',
        description: 'drawn faults: bit error rate per stored bit, in (0, 1) (a one-rate ber plan)',
      },
      ...targetOptions,
      ...engineOptions,
      json: { type: 'boolean', description: 'print JSON' },
    };
  },
  help: 'Example: prunefi inject --model ../shared/models/alexnet_cifar.onnx --data ../shared/datasets/cifar10-jpeg/test.tar.gz --fault features.0.weight:12:30',
  async run(a, ctx) {
    const json = opt.bool(a, 'json');
    const { model, input, campaign } = await target(a, ctx, json);
    const memory = campaign?.config.memory ?? parseMemory(a);
    // A stored campaign's Ranger bounds are its config's; a command line's are profiled now.
    const ranger = campaign
      ? campaign.config.ranger
      : await profileRangerArg(a, ctx, CMD, model, memory, json);
    const run = protectedGraph(model, { memory, ...(ranger ? { ranger } : {}) });
    const ev = await Evaluator.create(run, input, { ...memory, ...parseEngine(a, ctx, json) }).catch(
      (err) => {
        campaign?.store.close();
        throw err;
      },
    );
    try {
      const { faults, how } = chooseFaults(a, ev, campaign?.config);
      const o = await ev.evaluate(faults);
      const replay = campaign
        ? compareStored(campaign.store, opt.num(a, 'index') ?? 0, faults, o)
        : undefined;
      const golden =
        ev.golden.predictions.reduce((s, p, i) => s + (p === input.labels[i] ? 1 : 0), 0) / ev.images;
      if (json) {
        printJson(ctx, {
          faults,
          source: how,
          goldenAccuracy: golden,
          outcome: {
            ...o,
            maxLogitDeviation: Number.isFinite(o.maxLogitDeviation) ? o.maxLogitDeviation : 'Infinity',
          },
          ...(replay ? { stored: replay } : {}),
        });
        return 0;
      }
      const shown = faults.slice(0, 20).map((f) => {
        const t = ev.memory.tensor(f.tensor);
        const old = f.region === 'values' && t.valuePositions === null ? ` (was ${t.golden[f.index]})` : '';
        return `  ${f.tensor} ${f.region}[${f.index}] bit ${f.bit}${f.length ? `+${f.length}` : ''} ${f.type}${old}`;
      });
      ctx.stdout.write(
        `${faults.length} fault(s) (${how}):\n${shown.join('\n')}${faults.length > 20 ? '\n  ...' : ''}\n`,
      );
      ctx.stdout.write(
        `accuracy ${formatPercent(o.accuracy, 2)} (golden ${formatPercent(golden, 2)}), SDC ${o.sdc}/${o.images} images (critical ${o.criticalSdc}), NaN ${o.nanImages}, Inf ${o.infImages}, max logit deviation ${o.maxLogitDeviation.toPrecision(3)}; ${o.effect === 'run' ? `${o.imagesRun} images inferred` : `no inference needed (${o.effect})`}\n`,
      );
      if (hasMemoryCode(ev.memory.protect))
        ctx.stdout.write(
          `protections ${ev.memory.protect.map((p) => p.name).join(', ')}: ${o.corrected} code word(s) corrected, ${o.detected} detected uncorrectable (DUE)\n`,
        );
      if (replay) ctx.stdout.write(`${replayLine(replay)}\n`);
      return 0;
    } finally {
      await ev.release();
      campaign?.store.close();
    }
  },
};
