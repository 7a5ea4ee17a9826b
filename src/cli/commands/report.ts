/** `prunefi report`: renders a report (HTML, CSV/JSON numbers, SVG figures) from saved ReportData. */
import { basename, dirname, extname } from 'node:path';
import { PrunefiError } from '../../core/errors.js';
import { loadReportData } from '../../report/load.js';
import { renderReport } from '../../report/render.js';
import { type Command, opt } from '../command.js';
import { printJson } from '../shared.js';

export const reportCommand: Command = {
  name: 'report',
  summary: 'render the HTML report, CSV/JSON numbers and SVG figures from saved report data',
  positionals: [
    { name: 'input', description: 'report data: a report.json, or a folder holding one', required: true },
  ],
  options: {
    output: {
      type: 'string',
      short: 'o',
      placeholder: 'file.html',
      default: 'report.html',
      description: 'the HTML file to write; companion files go next to it',
    },
    drop: {
      type: 'number',
      min: 0.001,
      max: 0.99,
      default: 0.05,
      description: 'accuracy drop (fraction) that defines the tolerable BER',
    },
    confidence: {
      type: 'number',
      min: 0.5,
      max: 0.999,
      default: 0.95,
      description: 'confidence level of every interval',
    },
    alpha: {
      type: 'number',
      min: 0.001,
      max: 0.5,
      default: 0.05,
      description: 'family-wise error rate of the Holm-corrected comparisons',
    },
    bootstrap: {
      type: 'int',
      min: 200,
      max: 1_000_000,
      default: 4000,
      description: 'minimum bootstrap replicates',
    },
    seed: { type: 'string', default: 'prunefi-report', description: 'seed of the bootstrap' },
    'max-clean-loss': {
      type: 'number',
      min: 0.001,
      max: 1,
      default: 0.1,
      description: 'clean-accuracy loss (fraction) beyond which a pruned variant is not ranked for tolerance',
    },
    json: { type: 'boolean', description: 'print the written files and conclusions as JSON' },
  },
  help: [
    'Example: prunefi report out/study/report.json -o out/study/report.html',
    '',
    'Writes <name>.html (self-contained, opens offline), <name>.json (the input, to render again),',
    '<name>-numbers.csv and <name>-numbers.json (every number shown, with intervals) and figures/*.svg.',
    'The same input and options always give the same files.',
  ].join('\n'),
  async run(a, ctx) {
    const input = a.positionals[0]!;
    const out = opt.str(a, 'output') ?? 'report.html';
    if (extname(out).toLowerCase() !== '.html') {
      throw new PrunefiError(
        'USAGE',
        `--output must name an .html file, got '${out}' (see 'prunefi report --help')`,
      );
    }
    const data = loadReportData(input);
    const r = renderReport(data, dirname(out), {
      basename: basename(out, extname(out)),
      drop: opt.num(a, 'drop'),
      confidence: opt.num(a, 'confidence'),
      alpha: opt.num(a, 'alpha'),
      bootstrap: opt.num(a, 'bootstrap'),
      seed: opt.str(a, 'seed'),
      maxCleanLoss: opt.num(a, 'max-clean-loss'),
    });
    if (opt.bool(a, 'json')) {
      printJson(ctx, {
        ...r,
        conclusions: r.conclusions.map((c) => ({ key: c.key, verdict: c.verdict, headline: c.headline })),
      });
      return 0;
    }
    for (const c of r.conclusions) ctx.stdout.write(`${c.headline}\n`);
    if (r.acrossAnswer) ctx.stdout.write(`${r.acrossAnswer}\n`);
    ctx.stdout.write(
      `\nreport: ${r.html}\nnumbers: ${r.numbersCsv}\nfigures: ${r.figures.length} SVG files in ${dirname(r.figures[0] ?? r.html)}\n`,
    );
    return 0;
  },
};
