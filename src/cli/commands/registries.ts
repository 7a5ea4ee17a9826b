/** `prunefi models` and `prunefi datasets`: what the registries offer. */
import { datasetSources, normalizations } from '../../data/index.js';
import { ZOO } from '../../models/index.js';
import { type Command, opt } from '../command.js';
import { table } from '../format.js';
import { printJson } from '../shared.js';

const json = { json: { type: 'boolean' as const, description: 'print JSON' } };

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the built-in model architectures (use as zoo:<name>)',
  options: json,
  async run(a, ctx) {
    const entries = ZOO.list();
    if (opt.bool(a, 'json')) {
      printJson(
        ctx,
        entries.map((e) => ({
          name: e.name,
          description: e.description,
          reference: e.reference,
          inputShape: e.inputShape,
          numClasses: e.numClasses,
          dataset: e.dataset,
        })),
      );
      return 0;
    }
    const rows = entries.map((e) => [
      `zoo:${e.name}`,
      e.inputShape.join('×'),
      String(e.numClasses),
      e.description,
      e.reference,
    ]);
    ctx.stdout.write(`${table(['model', 'input', 'classes', 'description', 'reference'], rows)}\n`);
    return 0;
  },
};

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'list the dataset formats --data accepts, and the normalization presets',
  options: json,
  async run(a, ctx) {
    const sources = datasetSources.list();
    const norms = normalizations.list();
    if (opt.bool(a, 'json')) {
      printJson(ctx, {
        sources: sources.map((s) => ({
          name: s.name,
          description: s.description,
          reference: s.reference,
          usage: s.usage,
        })),
        normalizations: norms.map((n) => ({
          name: n.name,
          mean: n.mean,
          std: n.std,
          description: n.description,
        })),
      });
      return 0;
    }
    ctx.stdout.write(
      `${table(
        ['source', 'description', '--data'],
        sources.map((s) => [s.name, s.description, s.usage]),
      )}\n\n`,
    );
    ctx.stdout.write(
      `${table(
        ['normalization', 'mean', 'std'],
        norms.map((n) => [n.name, n.mean.join(', '), n.std.join(', ')]),
      )}\n`,
    );
    return 0;
  },
};
