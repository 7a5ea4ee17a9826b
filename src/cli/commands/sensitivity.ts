/**
 * `prunefi sensitivity`: accuracy with each layer pruned alone at increasing sparsity (no
 * fine-tuning), to choose per-layer ratios for `prunefi prune --layer`.
 */

import { atomicWrite } from '../../core/atomic.js';
import { PrunefiError } from '../../core/errors.js';
import { resolveModel } from '../../models/zoo.js';
import { PRUNE_METHODS } from '../../prune/registry.js';
import { sensitivity } from '../../prune/sensitivity.js';
import { type Command, opt } from '../command.js';
import { EVAL_OPTIONS, evalAccuracy, evalSet } from '../evaluation.js';
import { formatPercent, table } from '../format.js';
import { checkOutputPath } from '../shared.js';

/** The `sensitivity` command. */
export const sensitivityCommand: Command = {
  name: 'sensitivity',
  summary: 'accuracy with each layer pruned alone at several sparsities (no fine-tuning)',
  positionals: [{ name: 'model', description: 'an .onnx file or zoo:<name>', required: true }],
  options: {
    method: {
      type: 'string',
      short: 'm',
      default: 'magnitude',
      description: 'pruning method (magnitude, random, l1-filter, ...)',
    },
    sparsity: {
      type: 'number',
      multiple: true,
      min: 0,
      max: 0.999,
      description: 'sparsities to try (default 0.1 … 0.9)',
    },
    layer: {
      type: 'string',
      multiple: true,
      placeholder: 'weight',
      description: 'analyze only these weights',
    },
    seed: { type: 'int', default: 0, description: 'seed of random choices' },
    output: {
      type: 'string',
      short: 'o',
      placeholder: 'file.json',
      description: 'also write the rows as JSON',
    },
    ...EVAL_OPTIONS,
  },
  help: 'example:\n  prunefi sensitivity ../shared/models/alexnet_cifar.onnx --data ../shared/datasets/cifar10-jpeg --limit 1000',
  async run(args, ctx) {
    const method = PRUNE_METHODS.get(opt.str(args, 'method') ?? 'magnitude');
    if (!opt.str(args, 'data')) {
      throw new PrunefiError(
        'USAGE',
        "sensitivity measures accuracy: pass --data (see 'prunefi sensitivity --help')",
      );
    }
    const out = opt.str(args, 'output');
    if (out) checkOutputPath(out, '--output');
    const model = resolveModel(args.positionals[0]!, { seed: opt.num(args, 'seed') ?? 0 });
    const set = (await evalSet(args, ctx, 'sensitivity', model, args.positionals[0]!))!;
    const bar = ctx.progress('sensitivity');
    const sparsities = opt.nums(args, 'sparsity');
    const layers = opt.strs(args, 'layer');
    const r = await sensitivity(model, {
      method: method.name,
      ...(sparsities.length ? { sparsities } : {}),
      ...(layers.length ? { layers } : {}),
      seed: opt.num(args, 'seed') ?? 0,
      signal: ctx.signal,
      evaluate: evalAccuracy(args, ctx, set),
      onRow: (_row, done, total) => bar.update({ unit: 'evaluations', done, total }),
    });
    bar.done();
    const cols = [...new Set(r.rows.map((x) => x.sparsity))];
    const units = [...new Set(r.rows.map((x) => x.layers.join(' + ')))];
    const rows = units.map((u) => [
      u,
      ...cols.map((s) =>
        formatPercent(r.rows.find((x) => x.layers.join(' + ') === u && x.sparsity === s)!.accuracy),
      ),
    ]);
    ctx.stdout.write(
      `${method.name}, accuracy on ${set.count} images of ${set.name} (dense: ${formatPercent(r.baseline)})\n\n${table(
        ['layer', ...cols.map((s) => formatPercent(s, 0))],
        rows,
      )}\n`,
    );
    if (out) {
      atomicWrite(
        out,
        `${JSON.stringify({ method: method.name, dataset: set.name, images: set.count, ...r }, null, 2)}\n`,
      );
      ctx.stdout.write(`wrote ${out}\n`);
    }
    return 0;
  },
};
