import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latexText, tableLatex } from '../../src/report/latex.js';
import type { Table } from '../../src/report/tables.js';

test('report text becomes ASCII LaTeX: specials escaped, scientific notation and glyphs in math mode', () => {
  assert.equal(latexText('1.2×10⁻⁶'), '$1.2\\times10^{-6}$');
  assert.equal(latexText('[≤ 1.0×10⁻⁸, 3.3×10¹²]'), '[$\\leq$ $1.0\\times10^{-8}$, $3.3\\times10^{12}$]');
  assert.equal(latexText('≥ 23×'), '$\\geq$ 23$\\times$');
  assert.equal(latexText('−2.0 pt'), '$-$2.0 pt');
  assert.equal(
    latexText('50% & 1_000 #1 {x} $5 ~ ^ \\'),
    '50\\% \\& 1\\_000 \\#1 \\{x\\} \\$5 \\textasciitilde{} \\textasciicircum{} \\textbackslash{}',
  );
  assert.equal(latexText('> 1.0×10⁻⁵ or < 2'), '$>$ $1.0\\times10^{-5}$ or $<$ 2');
  assert.equal(latexText('Δ vs unpruned, α, 1–2, it’s'), "$\\Delta$ vs unpruned, $\\alpha$, 1--2, it's");
});

test('a table becomes a booktabs table with one row per row and intervals in small type', () => {
  const t: Table = {
    id: 'table-x',
    caption: 'Cost: net',
    rowHead: 'Variant',
    columns: [
      { label: 'Clean accuracy', tip: '' },
      { label: 'Δ vs unpruned', tip: '' },
    ],
    rows: [
      {
        label: 'magnitude 90%',
        cells: [
          { text: '88.0%', sub: '[87.4%, 88.6%]', sort: 0.88 },
          { text: '−2.0 pt', sub: '', sort: -0.02 },
        ],
      },
    ],
    note: 'Intervals are 95%.',
  };
  assert.equal(
    tableLatex(t),
    [
      '\\begin{table}[ht]',
      '\\centering',
      '\\small',
      '\\caption{Cost: net}',
      '\\label{tab:table-x}',
      '\\begin{tabular}{lrr}',
      '\\toprule',
      'Variant & Clean accuracy & $\\Delta$ vs unpruned \\\\',
      '\\midrule',
      'magnitude 90\\% & 88.0\\% {\\scriptsize [87.4\\%, 88.6\\%]} & $-$2.0 pt \\\\',
      '\\bottomrule',
      '\\end{tabular}',
      '',
      '\\smallskip',
      '{\\footnotesize Intervals are 95\\%.\\par}',
      '\\end{table}',
    ].join('\n'),
  );
});
