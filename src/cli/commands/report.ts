/**
 * `prunefi report`: renders a report (HTML, CSV/JSON numbers, SVG figures) from saved ReportData
 * (a study's report.json) or from campaign databases.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { PrunefiError } from '../../core/errors.js';
import { loadReportData } from '../../report/load.js';
import type { ReportData } from '../../report/model.js';
import { renderReport } from '../../report/render.js';
import { reportDataFromCampaigns } from '../../study/campaign-report.js';
import { type CliContext, type Command, opt } from '../command.js';
import { printJson } from '../shared.js';

/** Whether `path` is an SQLite file (by its header, whatever its name). */
function isSqlite(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(16);
      readSync(fd, head, 0, 16, 0);
      return head.toString('latin1') === 'SQLite format 3\0';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Report data from one study folder / report.json, or from campaign databases. */
function readInput(inputs: readonly string[], command: string, ctx: CliContext, quiet: boolean): ReportData {
  const missing = inputs.find((i) => !existsSync(i));
  if (missing && (inputs.length > 1 || /\.(sqlite|db)$/i.test(missing)))
    throw new PrunefiError(
      'REPORT_INPUT',
      `report: '${missing}' does not exist; pass a study folder or its report.json, or campaign databases`,
    );
  const dbs = inputs.filter(isSqlite);
  if (dbs.length === 0) {
    if (inputs.length > 1)
      throw new PrunefiError(
        'USAGE',
        `report: give one study folder or report.json, or only campaign databases; got ${inputs.length} inputs, none a campaign database`,
      );
    return loadReportData(inputs[0]!);
  }
  if (dbs.length < inputs.length)
    throw new PrunefiError(
      'USAGE',
      `report: '${inputs.find((i) => !dbs.includes(i))}' is not a campaign database; report either campaign databases or one study, not both`,
    );
  const bar = ctx.progress('report', quiet);
  try {
    return reportDataFromCampaigns(dbs, command, (p) => bar.update(p));
  } finally {
    bar.done();
  }
}

export const reportCommand: Command = {
  name: 'report',
  summary:
    'render the HTML report, CSV/JSON numbers, LaTeX tables and SVG figures of a study or of campaign databases',
  positionals: [
    {
      name: 'input',
      description:
        'a study folder or its report.json; or one or more campaign databases (.sqlite), for example of an unpruned model and its pruned variants',
      required: true,
      variadic: true,
    },
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
    '         prunefi report base.sqlite a90.sqlite l1.sqlite -o campaigns.html',
    '',
    'Campaign databases are BER campaigns (--plan ber) and single-fault campaigns (single-bit,',
    'exhaustive) over the same images. Each model is loaded again from where its campaign found it;',
    "pruned models (written by 'prunefi prune') are grouped with the unpruned model they came from.",
    '',
    'Writes <name>.html (self-contained, opens offline), <name>.json (the input, to render again),',
    '<name>-numbers.csv and <name>-numbers.json (every number shown, with intervals), <name>-tables.tex',
    '(the summary tables as LaTeX, booktabs) and figures/*.svg.',
    'The same input and options always give the same files.',
  ].join('\n'),
  async run(a, ctx) {
    const out = opt.str(a, 'output') ?? 'report.html';
    if (extname(out).toLowerCase() !== '.html') {
      throw new PrunefiError(
        'USAGE',
        `--output must name an .html file, got '${out}' (see 'prunefi report --help')`,
      );
    }
    const data = readInput(
      a.positionals,
      `prunefi report ${process.argv.slice(3).join(' ')}`,
      ctx,
      opt.bool(a, 'json') ?? false,
    );
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
      `\nreport: ${r.html}\nnumbers: ${r.numbersCsv}\ntables (LaTeX): ${r.tables}\nfigures: ${r.figures.length} SVG files in ${dirname(r.figures[0] ?? r.html)}\n`,
    );
    return 0;
  },
};
