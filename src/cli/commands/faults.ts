/** `prunefi faults`: the plan kinds, fault models, fault types, number formats and storage formats. */
import { PLAN_KINDS } from '../../campaign/plan.js';
import { FAULT_MODELS } from '../../fault/fault-models.js';
import { FAULT_TYPES } from '../../fault/fault-types.js';
import { NUMBER_FORMATS } from '../../fault/number-formats.js';
import { STORAGE_FORMATS } from '../../fault/storage-formats.js';
import { flagOf } from '../campaign-options.js';
import { type Command, opt } from '../command.js';
import { table } from '../format.js';
import { printJson } from '../shared.js';

/** The `faults` command. */
export const faultsCommand: Command = {
  name: 'faults',
  summary: 'list campaign plan kinds, fault models, fault types, number formats and storage formats',
  options: { json: { type: 'boolean', description: 'print JSON' } },
  async run(a, ctx) {
    const strip = <T extends { name: string; description: string; reference: string }>(xs: T[]) =>
      xs.map((x) => ({ name: x.name, description: x.description, reference: x.reference }));
    const lists = {
      planKinds: PLAN_KINDS.list().map((k) => ({
        ...strip([k])[0]!,
        options: Object.entries(k.options).map(([key, o]) => ({
          key,
          flag: flagOf(key, o.flag) ?? null,
          type: o.type,
          required: o.required ?? false,
          description: o.description,
        })),
      })),
      faultModels: strip(FAULT_MODELS.list()),
      faultTypes: strip(FAULT_TYPES.list()),
      numberFormats: NUMBER_FORMATS.list().map((f) => ({ ...strip([f])[0]!, bits: f.bits })),
      storageFormats: STORAGE_FORMATS.list().map((s) => ({ ...strip([s])[0]!, sparse: s.sparse })),
    };
    if (opt.bool(a, 'json')) {
      printJson(ctx, lists);
      return 0;
    }
    const section = (
      title: string,
      rows: { name: string; description: string; reference: string }[],
    ): string =>
      `${table(
        [title, 'description', 'reference'],
        rows.map((r) => [r.name, r.description, r.reference || '-']),
      )}\n\n`;
    ctx.stdout.write(
      `${table(
        ['plan kind', 'description', 'flags (campaign run, inject)'],
        lists.planKinds.map((k) => [
          k.name,
          k.description,
          k.options.flatMap((o) => (o.flag ? [`--${o.flag}${o.required ? '' : '?'}`] : [])).join(' ') || '-',
        ]),
      )}\n\n`,
    );
    ctx.stdout.write(section('fault model', lists.faultModels));
    ctx.stdout.write(section('fault type', lists.faultTypes));
    ctx.stdout.write(
      `${table(
        ['number format', 'bits', 'description'],
        lists.numberFormats.map((f) => [f.name, String(f.bits), f.description]),
      )}\n\n`,
    );
    ctx.stdout.write(section('storage format', lists.storageFormats));
    return 0;
  },
};
