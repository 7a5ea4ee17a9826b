/** `prunefi protections`: the protections a campaign may name with --protect, and their options. */
import { PROTECTIONS } from '../../fault/protect/registry.js';
import type { Protection } from '../../fault/protect/types.js';
import { type Command, opt } from '../command.js';
import { table } from '../format.js';
import { printJson } from '../shared.js';

/** What each stage of protection acts on, as the table says it. */
const ACTS_ON: Readonly<Record<Protection['stage'], string>> = {
  bits: 'stored bits',
  values: 'decoded weights',
  graph: 'activations (graph)',
};

/** The `protections` command. */
export const protectionsCommand: Command = {
  name: 'protections',
  summary: 'list the protections campaigns may apply (--protect) and their options',
  options: { json: { type: 'boolean', description: 'print JSON' } },
  help: 'Example: prunefi campaign run --db p.sqlite --model zoo:lenet5 --data mnist --plan ber --rates 1e-5 --protect secded72:interleave=2,clip,ranger',
  async run(a, ctx) {
    const list = PROTECTIONS.list().map((p) => ({
      name: p.name,
      stage: p.stage,
      region: p.region ?? null,
      // What `protect plan` and --protect-regions may give it: bit ranges, or whole words.
      covers: p.hardening ? { what: p.hardening.covers, maxBits: p.hardening.maxBits ?? null } : null,
      description: p.description,
      reference: p.reference,
      options: Object.entries(p.options).map(([key, o]) => ({
        key,
        type: o.type,
        default: o.default ?? null,
        ...(o.choices ? { choices: o.choices } : {}),
        ...(o.min !== undefined ? { min: o.min } : {}),
        ...(o.max !== undefined ? { max: o.max } : {}),
        description: o.description,
      })),
    }));
    if (opt.bool(a, 'json')) {
      printJson(ctx, list);
      return 0;
    }
    ctx.stdout.write(
      `${table(
        ['protection', 'acts on', 'check words', 'protect plan covers', 'description', 'reference'],
        list.map((p) => [
          p.name,
          ACTS_ON[p.stage],
          p.region ?? '-',
          !p.covers
            ? '-'
            : p.covers.what === 'word'
              ? 'whole words'
              : `bit ranges (<= ${p.covers.maxBits} bits)`,
          p.description,
          p.reference || '-',
        ]),
      )}\n\n`,
    );
    ctx.stdout.write(
      `${table(
        ['option', 'values', 'default', 'description'],
        list.flatMap((p) =>
          p.options.map((o) => [
            `${p.name}:${o.key}`,
            o.choices ? o.choices.join('|') : `${o.min ?? ''}..${o.max ?? ''}`,
            o.default === null ? '(format)' : String(o.default),
            o.description,
          ]),
        ),
      )}\n\n`,
    );
    ctx.stdout.write(
      'Memory codes decode the stored bits first (in the order given), then value guards act on the decoded weights, then graph protections on the activations.\n',
    );
    return 0;
  },
};
