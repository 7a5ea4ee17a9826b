/** `prunefi methods`: the pruning methods registry, with what each needs and its options. */
import { PRUNE_METHODS } from '../../prune/registry.js';
import type { Command } from '../command.js';
import { opt } from '../command.js';
import { table } from '../format.js';

/** The `methods` command. */
export const methodsCommand: Command = {
  name: 'methods',
  summary: 'list the pruning methods, their granularity, what they need and their options',
  options: {
    json: { type: 'boolean', description: 'print the registry as JSON' },
  },
  async run(args, ctx) {
    const methods = PRUNE_METHODS.list();
    if (opt.bool(args, 'json')) {
      const rows = methods.map(({ run: _run, ...m }) => m);
      ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    const needs = (m: (typeof methods)[number]): string =>
      [m.needsData && 'data', m.needsGradients && 'gradients', m.needsTraining && 'training']
        .filter(Boolean)
        .join('+') || '-';
    ctx.stdout.write(
      `${table(
        ['method', 'granularity', 'scope', 'needs', 'description'],
        methods.map((m) => [m.name, m.granularity, m.scopes.join('|'), needs(m), m.description]),
      )}\n\n`,
    );
    for (const m of methods) {
      ctx.stdout.write(`${m.name}: ${m.reference}\n`);
      for (const [k, o] of Object.entries(m.options)) {
        const range = [
          o.min !== undefined && `>= ${o.min}`,
          o.max !== undefined && `<= ${o.max}`,
          o.choices?.join('|'),
        ]
          .filter(Boolean)
          .join(', ');
        ctx.stdout.write(
          `  --opt ${k}=<${o.type}>  ${o.description} (default ${o.default}${range ? `; ${range}` : ''})\n`,
        );
      }
    }
    return 0;
  },
};
