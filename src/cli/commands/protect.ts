/**
 * `prunefi protect plan`: selective hardening from a single-bit campaign. Reads the campaign's
 * SDCs per (tensor, bit), plans which parts of memory a memory code covers under a budget of
 * check bits, and prints the plan against covering everything, with the `--protect-regions`
 * that measures it.
 */
import type { CampaignConfig } from '../../campaign/config.js';
import { storedModelOf } from '../../campaign/evaluator.js';
import { type HardeningPlan, planHardening, readHardeningTable } from '../../campaign/harden.js';
import { CampaignStore } from '../../campaign/store.js';
import { PrunefiError } from '../../core/errors.js';
import { hashBytes } from '../../core/hash.js';
import { formatProtection, parseProtections } from '../../fault/protect/registry.js';
import { encodeModel } from '../../onnx/proto.js';
import { type Command, opt, usageError } from '../command.js';
import { formatInt, formatPercent, table } from '../format.js';
import { loadModelArg, printJson } from '../shared.js';

const CMD = 'protect plan';

/** `--budget 5%`: a percentage of the data bits (the % sign may be left out). */
function parseBudget(text: string, dataBits: number): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  if (!m) throw usageError(CMD, `--budget takes a percentage of the data bits, e.g. 5%, got '${text}'`);
  return Math.floor((Number(m[1]) / 100) * dataBits);
}

/** The `protect plan` subcommand. */
const planCmd: Command = {
  name: 'plan',
  summary: 'choose the tensors and bits a memory code covers under a budget of check bits',
  options: {
    db: {
      type: 'string',
      placeholder: 'single.sqlite',
      description: 'a finished single-bit campaign database',
    },
    protection: {
      type: 'string',
      placeholder: 'name[:key=value]',
      default: 'exponent-tmr',
      description:
        "the memory code, in --protect's syntax; its options set what 'everything' covers (exponent-tmr:k=9:top=31: sign and exponent)",
    },
    'budget-bits': { type: 'int', min: 0, placeholder: 'N', description: 'check bits the plan may add' },
    budget: {
      type: 'string',
      placeholder: 'P%',
      description: 'check bits the plan may add, as % of the data bits',
    },
    confidence: { type: 'number', min: 0, max: 1, default: 0.95, description: 'interval confidence' },
    json: { type: 'boolean', description: 'print JSON' },
  },
  help: [
    'Example: prunefi protect plan --db single.sqlite --protection exponent-tmr:k=9:top=31 --budget 3%',
    'Then measure it: campaign run --plan single-bit --protect <the same> --protect-regions <the printed list>.',
    'Assumes one flip lands uniformly on the stored data bits; the reduction is estimated on the',
    'campaign that chose the plan (optimistic for it): another --seed measures it afresh.',
  ].join('\n'),
  async run(a, ctx) {
    const db = opt.required<string>(a, 'db', CMD);
    const json = opt.bool(a, 'json');
    const specs = parseProtections(opt.str(a, 'protection') ?? 'exponent-tmr');
    const spec = specs[0];
    if (!spec || specs.length !== 1)
      throw usageError(CMD, '--protection names one memory code (e.g. exponent-tmr, secded72, parity)');
    const bitsOpt = opt.num(a, 'budget-bits');
    const pctOpt = opt.str(a, 'budget');
    if ((bitsOpt === undefined) === (pctOpt === undefined))
      throw usageError(CMD, 'give the budget once: --budget-bits N or --budget P%');
    const store = CampaignStore.open(db, true);
    try {
      const config = store.config as CampaignConfig;
      const model = loadModelArg(config.model.spec);
      if (hashBytes(encodeModel(model)) !== config.model.hash)
        throw new PrunefiError(
          'CAMPAIGN_CONFIG_MISMATCH',
          `${config.model.spec} has changed since the campaign in ${db} ran (its content hash differs); use the original model file`,
        );
      const { memory } = storedModelOf(model, {
        numberFormat: config.memory.numberFormat,
        storage: config.memory.storage,
        faultScales: config.memory.faultScales,
        foldBn: config.memory.foldBn,
      });
      const data = readHardeningTable(store, memory);
      const dataBits = data.tensors.reduce((s, t) => s + t.words * data.wordBits, 0);
      const budget = bitsOpt ?? parseBudget(pctOpt ?? '', dataBits);
      const plan = planHardening(data, spec, budget, opt.num(a, 'confidence') ?? 0.95);
      const verify = verifyCommand(config, db, plan);
      if (json) printJson(ctx, { db: store.path, ...plan, protection: formatProtection(plan.spec), verify });
      else ctx.stdout.write(describe(store.path, plan, verify));
      return 0;
    } finally {
      store.close();
    }
  },
};

/** The campaign that measures the plan: the planning campaign's own, with the plan's protection. */
function verifyCommand(config: CampaignConfig, db: string, plan: HardeningPlan): string | null {
  if (plan.regions === '') return null;
  const d = config.data;
  const m = config.memory;
  // Every plan option the sweep stored (per-bit, or margin and confidence), as its flag.
  const planFlags = (['perBit', 'margin', 'confidence'] as const).flatMap((k) => {
    const v = config.plan[k];
    return typeof v === 'number' ? [`--${k === 'perBit' ? 'per-bit' : k}`, String(v)] : [];
  });
  return [
    'prunefi campaign run --db',
    db.replace(/(\.sqlite)?$/, '-hardened.sqlite'),
    '--model',
    config.model.spec,
    '--data',
    d.spec,
    ...(d.split !== 'test' && d.split !== 'tensors' ? ['--split', d.split] : []),
    ...(d.perClass > 0 ? ['--images-per-class', String(d.perClass)] : []),
    ...(d.limit !== undefined ? ['--limit', String(d.limit)] : []),
    ...(d.classes ? ['--classes', d.classes.join(',')] : []),
    ...(m.numberFormat !== 'float32' ? ['--number-format', m.numberFormat] : []),
    ...(m.foldBn ? [] : ['--fold-bn', 'false']),
    '--plan single-bit',
    ...planFlags,
    '--seed',
    String(config.seed),
    '--protect',
    formatProtection(plan.spec),
    '--protect-regions',
    plan.regions,
  ].join(' ');
}

function describe(path: string, plan: HardeningPlan, verify: string | null): string {
  const pct = (x: number): string => formatPercent(x, 3);
  const iv = (x: { estimate: number; lower: number; upper: number }): string =>
    `${pct(x.estimate)} [${pct(x.lower)}, ${pct(x.upper)}]`;
  const share = (bits: number): string => formatPercent(bits / plan.dataBits, 2);
  const of = (r: number): string =>
    plan.baseline.estimate > 0 ? ` (${formatPercent(r / plan.baseline.estimate, 1)} of all SDCs)` : '';
  const ci = formatPercent(plan.baseline.confidence, 0);
  const lines = [
    `${path}: ${formatInt(plan.dataBits)} data bits; SDCs per uniformly drawn flip ${iv(plan.baseline)} (${ci} CI)`,
    `${formatProtection(plan.spec)}, budget ${formatInt(plan.budgetBits)} check bits (${share(plan.budgetBits)} of the data bits); exact search, ${formatInt(plan.states)} states at most`,
  ];
  if (plan.chosen.length === 0) lines.push('nothing fits the budget that removes an observed SDC');
  else
    lines.push(
      table(
        ['tensor', 'bits', 'words', 'check bits', 'SDC flips', 'SDCs per flip removed'],
        plan.chosen.map((c) => [
          c.tensor,
          c.bits[0] === c.bits[1] ? String(c.bits[0]) : `${c.bits[0]}-${c.bits[1]}`,
          formatInt(c.words),
          formatInt(c.checkBits),
          `${c.sdc}/${c.experiments}`,
          pct(c.reduction),
        ]),
      ),
    );
  lines.push(
    `plan:       +${formatInt(plan.checkBits)} check bits (${share(plan.checkBits)}), SDCs per flip removed ${iv(plan.reduction)}${of(plan.reduction.estimate)}`,
    `everything: +${formatInt(plan.everything.checkBits)} check bits (${share(plan.everything.checkBits)}), SDCs per flip removed ${iv(plan.everything.reduction)}${of(plan.everything.reduction.estimate)}`,
  );
  if (plan.singleBit === 'zeroed')
    lines.push(
      `${plan.spec.name} zeroes a detected weight; what the zero does is not in single-bit data, so these reductions are upper bounds`,
    );
  if (verify)
    lines.push(
      `--protect-regions ${plan.regions}`,
      `measure it (same seed: paired with this campaign; another --seed: a fresh estimate):`,
      `  ${verify}`,
    );
  return `${lines.join('\n')}\n`;
}

/** The `protect` command group. */
export const protectCommand: Command = {
  name: 'protect',
  summary: 'selective hardening: plan which tensors and bits a memory code covers',
  subcommands: [planCmd],
};
