/** `prunefi inject`: one fault-injection experiment, printing its faults and outcome. */
import { Evaluator } from '../../campaign/evaluator.js';
import { PrunefiError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { checkFaultList, readFaultList } from '../../fault/fault-list.js';
import { FaultSpace, sampleFaults } from '../../fault/fault-models.js';
import { FAULT_TYPES } from '../../fault/fault-types.js';
import type { Fault } from '../../fault/memory.js';
import type { RegionName } from '../../fault/storage-formats.js';
import { type Command, opt, type ParsedArgs } from '../command.js';
import { formatPercent } from '../format.js';
import { printJson } from '../shared.js';
import {
  engineOptions,
  loadTarget,
  memoryOptions,
  parseEngine,
  parseMemory,
  parseTargeting,
  targetOptions,
} from './campaign.js';

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

function chooseFaults(a: ParsedArgs, ev: Evaluator): { faults: Fault[]; how: string } {
  const given = opt.strs(a, 'fault');
  if (given.length) return { faults: given.map(parseFault), how: 'given' };
  const file = opt.str(a, 'faults');
  if (file) {
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
  const index = opt.num(a, 'index') ?? 0;
  const type = opt.str(a, 'fault-type') ?? 'bit-flip';
  const length = FAULT_TYPES.get(type).multiBit ? (opt.num(a, 'burst-length') ?? 2) : undefined;
  const space = new FaultSpace(ev.memory, parseTargeting(CMD, a), type, length);
  const ber = opt.num(a, 'ber');
  const spec =
    ber !== undefined ? { model: 'ber', ber, type } : { model: 'exact-k', k: opt.num(a, 'k') ?? 1, type };
  return {
    faults: sampleFaults(space, spec, Rng.seeded(seed).split('experiment', index)),
    how: `seed ${seed}, experiment ${index}`,
  };
}

/** The `inject` command. */
export const injectCommand: Command = {
  name: 'inject',
  summary: 'run one fault-injection experiment and print its faults and outcome',
  options: {
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
    seed: { type: 'int', min: 0, default: 1, description: 'seed of drawn faults' },
    index: {
      type: 'int',
      min: 0,
      default: 0,
      description: 'experiment index of drawn faults (as in a campaign)',
    },
    k: { type: 'int', min: 1, default: 1, description: 'drawn faults: exactly k' },
    ber: { type: 'number', description: 'drawn faults: bit error rate per stored bit, in (0, 1)' },
    ...targetOptions,
    ...engineOptions,
    json: { type: 'boolean', description: 'print JSON' },
  },
  help: 'Example: prunefi inject --model ../shared/models/alexnet_cifar.onnx --data ../shared/datasets/cifar10-jpeg/test.tar.gz --fault features.0.weight:12:30',
  async run(a, ctx) {
    const json = opt.bool(a, 'json');
    const { model, input } = await loadTarget(a, ctx, CMD, json);
    const ev = await Evaluator.create(model, input, { ...parseMemory(a), ...parseEngine(a, ctx, json) });
    try {
      const { faults, how } = chooseFaults(a, ev);
      const o = await ev.evaluate(faults);
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
      return 0;
    } finally {
      await ev.release();
    }
  },
};
