/**
 * `renderReport`: ReportData in, a report folder out — one self-contained HTML file, the input
 * data as JSON (so the report can be rendered again), every shown number as CSV and JSON, and
 * every figure as an SVG file. Output depends only on the input and the options: no clocks, no
 * randomness beyond the seeded bootstrap, so re-rendering reproduces the same bytes.
 */

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { atomicWrite } from '../core/atomic.js';
import { nth } from '../core/checked.js';
import { errorMessage, fileErrorHint, PrunefiError } from '../core/errors.js';
import { acrossModels } from './across.js';
import type { Figure } from './charts/frame.js';
import { acrossAnswer, concludeReport, type GroupConclusion, shortAnswer } from './conclude.js';
import { type Derived, type DeriveOptions, deriveStatistics } from './derive.js';
import { groupFigures } from './figures.js';
import { glanceFigure, glanceTable } from './glance.js';
import { type GroupSection, renderHtml } from './html.js';
import { tablesLatex } from './latex.js';
import { ledgerCsv, type NumberRow } from './ledger.js';
import type { ReportData } from './model.js';
import { buildLedger } from './numbers.js';
import {
  accuracyTable,
  acrossTable,
  comparisonTable,
  costTable,
  durationsTable,
  groupSlug,
  seedsTable,
  toleranceTable,
} from './tables.js';
import { validateReportData } from './validate.js';

/** Options of `renderReport`. */
export interface RenderOptions extends DeriveOptions {
  /** File name stem: writes <basename>.html, .json, -numbers.csv/.json and -tables.tex. Default 'report'. */
  basename?: string;
}

/** What `renderReport` wrote (absolute paths) and what it concluded. */
export interface RenderResult {
  html: string;
  /** The input ReportData, from which `prunefi report` renders the report again. */
  data: string;
  numbersCsv: string;
  numbersJson: string;
  /** The summary tables as LaTeX (booktabs). */
  tables: string;
  figures: string[];
  conclusions: GroupConclusion[];
  /** With several models: which methods are more tolerant on all of them (null otherwise). */
  acrossAnswer: string | null;
}

/** The derived content of a report, before any file is written (for callers that embed it). */
export interface ReportContent {
  derived: Derived;
  conclusions: GroupConclusion[];
  acrossAnswer: string | null;
  numbers: NumberRow[];
  figures: Figure[];
  html: string;
  /** The summary tables as LaTeX. */
  tex: string;
}

/**
 * Computes everything a report shows and the HTML page, without touching the file system.
 * `basename` only affects the links the page makes to its companion files.
 */
export function buildReport(data: ReportData, options: RenderOptions = {}): ReportContent {
  validateReportData(data, 'renderReport data');
  const base = options.basename ?? 'report';
  const derived = deriveStatistics(data, options);
  const conclusions = concludeReport(data, derived);
  const ledger = buildLedger(data, derived);
  const glance = { figure: glanceFigure(data, derived), table: glanceTable(data, derived, ledger) };
  // The summary figure first: the page shows it first and the files list follows page order.
  const figures: Figure[] = glance.figure ? [glance.figure] : [];
  const groups: GroupSection[] = derived.groups.map((g, i) => {
    const f = groupFigures(data, derived, g);
    figures.push(...f.ber, ...f.bits);
    return {
      id: `group-${groupSlug(g)}`,
      heading: `${g.model} — ${g.faultModel.label}`,
      conclusion: nth(conclusions, i),
      tolerance: toleranceTable(data, g, ledger, derived.options.drop),
      cost: costTable(data, g, ledger),
      accuracy: g.sweeps.length ? accuracyTable(data, g, ledger) : null,
      comparisons: g.comparisons.length ? comparisonTable(data, g, ledger) : null,
      berFigures: f.ber,
      bitFigures: f.bits,
    };
  });
  const across = acrossModels(data, derived);
  const answer = across && acrossAnswer(across);
  const acrossTab = across && acrossTable(across, ledger);
  // The tables a paper would carry: methods across models, then each group's tolerance, cost and accuracy.
  const paperTables = [
    ...(acrossTab ? [acrossTab] : []),
    ...groups.flatMap((g) => [g.tolerance, g.cost, ...(g.accuracy ? [g.accuracy] : [])]),
  ];
  const html = renderHtml({
    data,
    derived,
    groups,
    across: acrossTab && { answer: answer!, table: acrossTab },
    shortAnswer: shortAnswer(data, conclusions, across),
    glance,
    provenance: [seedsTable(data, ledger), durationsTable(data, ledger)],
    files: [
      { href: `${base}.json`, what: 'the input data of this report; `prunefi report` renders it again' },
      { href: `${base}-numbers.csv`, what: 'every number shown, one per row, with intervals and notes' },
      {
        href: `${base}-numbers.json`,
        what: 'the same numbers plus the derived statistics and conclusions, as JSON',
      },
      { href: `${base}-tables.tex`, what: 'the summary tables as LaTeX (booktabs), for a paper' },
      ...figures.map((f) => ({ href: `figures/${f.id}.svg`, what: f.title })),
    ],
  });
  const tex = tablesLatex(
    paperTables,
    `${data.title}: report tables (prunefi ${data.provenance.prunefiVersion})`,
  );
  return { derived, conclusions, acrossAnswer: answer, numbers: ledger.rows, figures, html, tex };
}

/**
 * Renders the report for `data` into `outDir` (created if missing). `data` is validated first
 * (`PrunefiError('REPORT_INPUT')`); a file that cannot be written is `PrunefiError('IO')`.
 */
export function renderReport(data: ReportData, outDir: string, options: RenderOptions = {}): RenderResult {
  if (typeof outDir !== 'string' || outDir === '')
    throw new TypeError(`renderReport: outDir must be a folder path, got ${String(outDir)}`);
  const base = options.basename ?? 'report';
  if (!/^[\w.-]+$/.test(base))
    throw new RangeError(
      `renderReport: basename must be a plain file name stem (letters, digits, . _ -), got '${base}'`,
    );
  const content = buildReport(data, options);
  const dir = resolve(outDir);
  const figDir = join(dir, 'figures');
  // Atomic: a full disk or a removed folder leaves every file of an earlier report whole.
  const write = (path: string, text: string): string => {
    atomicWrite(path, text, { what: `report file ${path}` });
    return path;
  };
  try {
    mkdirSync(figDir, { recursive: true });
  } catch (err) {
    throw new PrunefiError(
      'IO',
      `cannot create report folder ${figDir}: ${errorMessage(err)}; ${fileErrorHint(err)}`,
      { cause: err },
    );
  }
  const figures = content.figures.map((f) =>
    write(join(figDir, `${f.id}.svg`), `<?xml version="1.0" encoding="UTF-8"?>\n${f.svg}\n`),
  );
  const numbersJson = {
    format: 'prunefi-report-numbers',
    version: 1,
    options: content.derived.options,
    conclusions: content.conclusions,
    acrossAnswer: content.acrossAnswer,
    numbers: content.numbers,
    derived: content.derived.groups,
  };
  const files = {
    data: write(join(dir, `${base}.json`), `${JSON.stringify(data, null, 2)}\n`),
    numbersCsv: write(join(dir, `${base}-numbers.csv`), ledgerCsv(content.numbers)),
    numbersJson: write(
      join(dir, `${base}-numbers.json`),
      `${JSON.stringify(numbersJson, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
    ),
    tables: write(join(dir, `${base}-tables.tex`), content.tex),
  };
  return {
    // The page that links the others last: a report that failed halfway keeps its old page.
    html: write(join(dir, `${base}.html`), content.html),
    ...files,
    figures,
    conclusions: content.conclusions,
    acrossAnswer: content.acrossAnswer,
  };
}
