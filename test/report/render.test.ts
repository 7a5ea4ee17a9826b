import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PRUNE_METHODS } from '../../src/prune/index.js';
import { GLANCE_VERDICTS } from '../../src/report/glance.js';
import { latexText } from '../../src/report/latex.js';
import type { NumberRow } from '../../src/report/ledger.js';
import type { ReportData } from '../../src/report/model.js';
import { buildReport, renderReport } from '../../src/report/render.js';
import { CELL_FORMATS, type CellFormat } from '../../src/report/tables.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { FLOAT32_CSR, FLOAT32_DENSE, syntheticReport } from './synthetic.js';

// Two models under two fault models (dense and CSR storage): four groups.
const data = syntheticReport({ trials: 8, bitExperiments: 60, faultModels: [FLOAT32_DENSE, FLOAT32_CSR] });
const opts = { bootstrap: 400 };
const dir = tempDir('prunefi-report-');
const out = renderReport(data, dir, opts);

/** Minimal RFC 4180 parser for the ledger CSV (quoted fields may hold commas, quotes, newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === '\n') {
      row.push(field);
      field = '';
      if (ch === '\n') {
        rows.push(row);
        row = [];
      }
    } else if (ch !== '\r') field += ch;
  }
  return rows;
}

function csvRows(): Map<string, NumberRow> {
  const [head, ...rows] = parseCsv(readFileSync(out.numbersCsv, 'utf8'));
  const num = (s: string): number | null => (s === '' ? null : Number(s));
  return new Map(
    rows.map((r) => {
      const o = Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])) as Record<string, string>;
      const row: NumberRow = {
        ...(o as unknown as NumberRow),
        value: num(o.value!),
        lo: num(o.lo!),
        hi: num(o.hi!),
        n: num(o.n!),
      };
      return [row.id, row];
    }),
  );
}

const unescapeHtml = (s: string): string =>
  s.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)));

test('writes one HTML file, the input JSON, the numbers as CSV and JSON, and one SVG per figure', () => {
  const html = readFileSync(out.html, 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  const figs = readdirSync(join(dir, 'figures')).sort();
  assert.equal(figs.length, out.figures.length);
  // The summary figure + 4 groups × (4 BER + 4 single-bit figures).
  assert.equal(figs.length, 33);
  for (const f of out.figures) {
    const svg = readFileSync(f, 'utf8');
    assert.match(
      svg,
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/,
    );
    const id = f.slice(f.lastIndexOf('/') + 1, -4);
    assert.match(html, new RegExp(`<figure id="fig-${id}"[ >]`), `figure ${id} inline in the HTML`);
    assert.match(svg, new RegExp(`<title id="${id}-title">`), 'accessible title');
    assert.match(svg, new RegExp(`<desc id="${id}-desc">[^<]{20,}`), 'accessible description');
  }
  assert.deepEqual(JSON.parse(readFileSync(out.data, 'utf8')), data);
  const numbers = JSON.parse(readFileSync(out.numbersJson, 'utf8')) as {
    numbers: NumberRow[];
    conclusions: unknown[];
  };
  assert.equal(numbers.numbers.length, csvRows().size);
  assert.equal(numbers.conclusions.length, 4);
});

test('the page is self-contained: nothing is fetched from anywhere', () => {
  const html = readFileSync(out.html, 'utf8');
  assert.doesNotMatch(html, /<(link|img|iframe|object|embed)\b/i);
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.doesNotMatch(html, /url\((?!#)/i, 'CSS and SVG url() only point at ids inside the page');
  assert.doesNotMatch(html, /@import|@font-face/i);
  assert.doesNotMatch(html.replace(/<script>[\s\S]*<\/script>/, ''), /NaN|undefined|Infinity/);
});

test('every number in every table is in the CSV, and its text is the formatted CSV value', () => {
  const html = readFileSync(out.html, 'utf8');
  const rows = csvRows();
  const labels = new Set(data.variants.map((v) => v.label));
  const cells = [...html.matchAll(/<td([^>]*)>(.*?)<\/td>/g)];
  assert.ok(cells.length > 500, `${cells.length} cells`);
  let numeric = 0;
  for (const [, attrs, body] of cells) {
    const ref = /data-ref="([^"]*)"/.exec(attrs!)?.[1];
    const v = unescapeHtml(/<span class="v">(.*?)<\/span>/.exec(body!)![1]!);
    const sub = unescapeHtml(/<span class="ci">(.*?)<\/span>/.exec(body!)?.[1] ?? '');
    if (!ref) {
      // Text cells hold labels and words, 'na' cells a dash: never a number that escaped the ledger.
      if (/class="na"/.test(attrs!)) assert.equal(v, '–');
      else {
        assert.match(attrs!, /class="text"/);
        assert.ok(
          labels.has(v) ||
            [
              'vs unpruned',
              'between pruned',
              'cross-check vs unpruned',
              'cross-check between pruned',
              'paired',
              'unpaired',
              // The glance table's judged-metric and verdict columns.
              'tolerable BER',
              'AUC',
              ...GLANCE_VERDICTS,
            ].includes(v),
          `text cell '${v}'`,
        );
      }
      continue;
    }
    numeric++;
    const row = rows.get(unescapeHtml(ref));
    assert.ok(row, `CSV row ${ref}`);
    const fmt = /data-fmt="([^"]*)"/.exec(attrs!)![1] as CellFormat;
    const expected = CELL_FORMATS[fmt](row);
    assert.equal(v, expected.text, `${ref}`);
    assert.equal(sub, expected.sub, `${ref} interval`);
  }
  assert.ok(numeric > 400);
  // The threshold of every sweep is in the CSV with its interval.
  for (const s of data.berSweeps) {
    const model = data.variants.find((v) => v.id === s.variantId)!.model;
    const r = rows.get(
      ['tolerance', model, s.faultModel.label, s.variantId, '', 'thresholdBer', ''].join('/'),
    );
    assert.ok(r && r.value !== null && r.lo !== null && r.hi !== null, `threshold of ${s.variantId}`);
  }
});

test('rendering is deterministic: the same input gives byte-identical files, also when re-rendered from report.json', async () => {
  const again = renderReport(data, tempDir('prunefi-report-'), opts);
  for (const k of ['html', 'data', 'numbersCsv', 'numbersJson'] as const) {
    assert.equal(readFileSync(again[k], 'utf8'), readFileSync(out[k], 'utf8'), k);
  }
  for (const [i, f] of again.figures.entries()) {
    assert.equal(readFileSync(f, 'utf8'), readFileSync(out.figures[i]!, 'utf8'));
  }
  // The CLI re-renders the saved input: same page.
  const cliDir = tempDir('prunefi-report-cli-');
  const r = await cli('report', out.data, '-o', join(cliDir, 'report.html'), '--bootstrap', '400');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Pruning improves the fault tolerance of resnet18-cifar/m);
  assert.match(r.stdout, /report: .*report\.html/);
  assert.equal(readFileSync(join(cliDir, 'report.html'), 'utf8'), readFileSync(out.html, 'utf8'));
  assert.equal(readFileSync(join(cliDir, 'report.json'), 'utf8'), readFileSync(out.data, 'utf8'));
});

test('the LaTeX tables carry the summary tables of the page cell for cell, in plain ASCII', () => {
  const tex = readFileSync(out.tables, 'utf8');
  const wide = [...tex].filter((c) => c.charCodeAt(0) > 127);
  assert.deepEqual(wide, [], 'ASCII only: pdflatex needs no Unicode set-up');
  // The across-models table, then tolerance, cost and accuracy for each of the four groups.
  const labels = [...tex.matchAll(/\\label\{tab:([^}]*)\}/g)].map((m) => m[1]);
  assert.equal(labels.length, 1 + 4 * 3);
  assert.equal(new Set(labels).size, labels.length);
  assert.equal(labels[0], 'table-across-models');
  assert.equal((tex.match(/\\begin\{table\}/g) ?? []).length, labels.length);
  // Each row of the first tolerance table, as the page shows it.
  const html = readFileSync(out.html, 'utf8');
  const id = labels[1]!;
  const table = html.slice(html.indexOf(`id="${id}"`), html.indexOf('</table>', html.indexOf(`id="${id}"`)));
  const rows = [...table.matchAll(/<tr><th scope="row"[^>]*>(.*?)<\/th>(.*?)<\/tr>/g)];
  assert.ok(rows.length > 2);
  for (const [, label, cells] of rows) {
    const texts = [
      ...cells!.matchAll(/<span class="v">(.*?)<\/span>(?:<span class="ci">(.*?)<\/span>)?/g),
    ].map(
      ([, v, ci]) =>
        `${latexText(unescapeHtml(v!))}${ci ? ` {\\scriptsize ${latexText(unescapeHtml(ci))}}` : ''}`,
    );
    assert.ok(
      tex.includes(`${[latexText(unescapeHtml(label!)), ...texts].join(' & ')} \\\\`),
      `row ${label}`,
    );
  }
});

test('the page leads with the question and the answer, then the evidence, then provenance', () => {
  const html = readFileSync(out.html, 'utf8');
  const at = (s: string): number => {
    const i = html.indexOf(s);
    assert.ok(i >= 0, s);
    return i;
  };
  assert.ok(at(`<p class="question">${data.question}</p>`) < at('<section id="answer">'));
  at('<p class="short">In short — ');
  // At a glance: the summary figure and table first, the prose answer folded below them.
  assert.ok(at('<section id="answer">') < at('<figure id="fig-glance" class="glance">'));
  assert.ok(at('<figure id="fig-glance"') < at('<table class="data sortable" id="table-glance">'));
  assert.ok(at('id="table-glance"') < at('<p class="short">'));
  assert.ok(at('<p class="short">') < at('<details class="prose" id="answer-prose"><summary>'));
  assert.ok(at('<details class="prose"') < at('<div class="answer verdict-'));
  assert.ok(
    at('<p class="short">') < at('<h3 id="across">'),
    'several models: the answer compares methods across them',
  );
  assert.ok(at('<h3 id="across">') < at('<section id="group-'));
  at('<a href="#across">Across models</a>');
  assert.ok(at('<section id="group-') < at('<section id="methods">'));
  assert.ok(at('<section id="methods">') < at('<section id="provenance">'));
  for (const s of [data.provenance.command, data.provenance.configHash, 'v20.20.2', '2 h 15 min 20 s']) at(s);
});

test('reports with only BER sweeps or only single-bit sweeps render their own figures', () => {
  const berOnly = { ...structuredClone(data), bitSweeps: [] };
  const bitsOnly = { ...structuredClone(data), berSweeps: [] };
  const a = buildReport(berOnly, opts);
  // 4 BER figures per group and the summary figure, which needs BER sweeps.
  assert.ok(a.figures.length === 17 && a.figures.every((f) => !f.id.startsWith('sdc-')));
  const b = buildReport(bitsOnly, opts);
  assert.ok(b.figures.length === 16 && b.figures.every((f) => f.id.startsWith('sdc-')));
  assert.match(b.conclusions[0]!.headline, /no BER sweeps/);
  assert.doesNotMatch(b.html.replace(/<script>[\s\S]*<\/script>/, ''), /NaN|undefined/);
});

test('a partial report (a study still running) says so, lists what is pending, and still renders', () => {
  const complete = readFileSync(out.html, 'utf8');
  assert.doesNotMatch(complete, /Partial report|class="partial"/);
  // The second model has not been measured yet: only the first model's variants are in.
  const first = data.variants[0]!.model;
  const partial: ReportData = {
    ...structuredClone(data),
    variants: data.variants.filter((v) => v.model === first),
    pending: ['prune alexnet-cifar/magnitude@0.5', 'eval alexnet-cifar/magnitude@0.5'],
  };
  const keep = new Set(partial.variants.map((v) => v.id));
  partial.berSweeps = partial.berSweeps.filter((s) => keep.has(s.variantId));
  partial.bitSweeps = partial.bitSweeps.filter((s) => keep.has(s.variantId));
  const r = buildReport(partial, opts);
  assert.match(r.html, /<div class="partial" role="note"><b>Partial report\.<\/b>[^<]*2 steps still to run/);
  assert.match(r.html, /<li>prune alexnet-cifar\/magnitude@0\.5<\/li>/);
  assert.match(r.html, /<p class="short">Partial study \(2 steps still to run\), so far: /);
  assert.match(r.html, /<dt>Written \(study not finished\)<\/dt>/);
  assert.ok(r.conclusions.length > 0 && r.conclusions.every((c) => c.key.startsWith(`${first}|`)));
  assert.doesNotMatch(r.html.replace(/<script>[\s\S]*<\/script>/, ''), /NaN|undefined/);
});

test('bad input: REPORT_INPUT errors name the file, the JSON path, what was expected and what was found', async () => {
  const bad = (mutate: (d: ReportData) => void, pattern: RegExp): void => {
    const d = structuredClone(data);
    mutate(d);
    assert.throws(
      () => buildReport(d),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'REPORT_INPUT', e.message);
        assert.match(e.message, pattern);
        return true;
      },
    );
  };
  bad((d) => {
    (d as unknown as Record<string, unknown>).title = 3;
  }, /\$\.title must be a string, got 3/);
  bad((d) => {
    d.berSweeps[0]!.points[0]!.ber = 0;
  }, /\$\.berSweeps\[0\]\.points\[0\]\.ber must be a bit error rate in \(0, 1\], got 0/);
  bad((d) => {
    d.berSweeps[1]!.points[2]!.trials[3]!.accuracy = 1.5;
  }, /\$\.berSweeps\[1\]\.points\[2\]\.trials\[3\]\.accuracy must be a number in \[0, 1\], got 1\.5/);
  bad((d) => {
    d.berSweeps[0]!.variantId = 'nope';
  }, /variantId must be the id of a variant in \$\.variants, got 'nope'/);
  bad((d) => {
    d.variants[1]!.id = d.variants[0]!.id;
  }, /\$\.variants\[1\]\.id must be unique among variants/);
  bad((d) => {
    d.variants[1]!.method = 'none';
  }, /\$\.variants\[1\]\.method must be 'none' for only one variant of model 'resnet18-cifar'/);
  bad((d) => {
    d.variants[0]!.nonzeroParams = d.variants[0]!.params + 1;
  }, /nonzeroParams must be at most params/);
  bad((d) => {
    d.bitSweeps[0]!.byBit[0]!.sdcExperiments = 10_000;
  }, /byBit\[0\]\.sdcExperiments must be at most experiments/);
  bad((d) => {
    d.berSweeps[2]!.faultModel = { ...FLOAT32_DENSE, storageFormat: 'csr' };
  }, /faultModel must be the same definition everywhere it is labelled 'float32 dense bit-flip'/);
  bad((d) => {
    d.berSweeps[0]!.points[1]!.ber = d.berSweeps[0]!.points[0]!.ber;
  }, /ber must be different from the other points of the sweep/);
  bad((d) => {
    d.berSweeps[0]!.points[0]!.trials = [];
  }, /trials must be a non-empty array, got an array of length 0/);
  bad((d) => {
    (d as unknown as Record<string, unknown>).pending = [3];
  }, /\$\.pending\[0\] must be a string \(a study step id\), got 3/);
  assert.throws(() => renderReport(data, ''), TypeError);
  assert.throws(() => renderReport(data, dir, { basename: '../x' }), {
    name: 'RangeError',
    message: /basename/,
  });
  // Every message tells the user what to do.
  assert.throws(
    () => buildReport({} as ReportData),
    /regenerate the report data with 'prunefi study' or fix the file/,
  );
});

test('every granularity a pruning method has (attention heads included) is a valid variant granularity', () => {
  // The study's vit preset prunes heads; its report was refused when the validator's list lagged
  // behind the pruning registry.
  for (const g of new Set(PRUNE_METHODS.list().map((m) => m.granularity))) {
    const d = structuredClone(data);
    d.variants[1]!.granularity = g;
    assert.doesNotThrow(() => buildReport(d, opts), `granularity ${g}`);
  }
  const d = structuredClone(data);
  (d.variants[1] as unknown as Record<string, unknown>).granularity = 'block';
  assert.throws(
    () => buildReport(d, opts),
    /\$\.variants\[1\]\.granularity must be one of none, unstructured, n:m, filter, head, got 'block'/,
  );
});

test('CLI: missing file, invalid JSON, invalid data and a non-HTML output are errors (exit 2) that write nothing', async () => {
  const tmp = tempDir('prunefi-report-bad-');
  const broken = join(tmp, 'broken.json');
  writeFileSync(broken, '{"title": ');
  const invalid = join(tmp, 'invalid.json');
  writeFileSync(invalid, JSON.stringify({ ...data, variants: 'x' }));
  const cases: [string[], RegExp][] = [
    [
      ['report', join(tmp, 'missing.json'), '-o', join(tmp, 'r.html')],
      /cannot read report data .*missing\.json: ENOENT/,
    ],
    [['report', broken, '-o', join(tmp, 'r.html')], /broken\.json is not valid JSON/],
    [['report', invalid, '-o', join(tmp, 'r.html')], /invalid\.json: \$\.variants must be an array, got 'x'/],
    [['report', out.data, '-o', join(tmp, 'r.txt')], /--output must name an \.html file, got/],
    [['report', out.data, '-o', join(tmp, 'r.html'), '--drop', '2'], /--drop must be at most 0\.99, got 2/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.deepEqual(readdirSync(tmp).sort(), ['broken.json', 'invalid.json']);
  // A folder holding report.json is accepted as input.
  const r = await cli('report', dir, '-o', join(tmp, 'again.html'), '--bootstrap', '400', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    html: string;
    figures: string[];
    conclusions: { verdict: string }[];
    acrossAnswer: string;
  };
  assert.equal(j.figures.length, 33);
  assert.equal(j.conclusions.length, 4);
  assert.match(
    j.acrossAnswer,
    /^Across resnet18-cifar \(float32 dense bit-flip\), resnet18-cifar \(float32 CSR bit-flip\), .*more tolerant on every model and fault model that ran it: /,
  );
});
