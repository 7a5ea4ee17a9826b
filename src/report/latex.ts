/**
 * The report's tables as LaTeX, for papers: the same cells as the HTML page (each number
 * formatted from the ledger), in booktabs tables whose text is plain ASCII, so pdflatex takes
 * the file with no package beyond booktabs and no Unicode set-up.
 */
import type { Table } from './tables.js';

const SUPERSCRIPT: Record<string, string> = {
  '⁻': '-',
  '⁰': '0',
  '¹': '1',
  '²': '2',
  '³': '3',
  '⁴': '4',
  '⁵': '5',
  '⁶': '6',
  '⁷': '7',
  '⁸': '8',
  '⁹': '9',
};

/** The glyphs the report's formatters and texts use, as LaTeX. */
const GLYPHS: [RegExp, string][] = [
  [/×/g, '$\\times$'],
  [/−/g, '$-$'],
  [/±/g, '$\\pm$'],
  [/≥/g, '$\\geq$'],
  [/≤/g, '$\\leq$'],
  [/α/g, '$\\alpha$'],
  [/Δ/g, '$\\Delta$'],
  [/·/g, '$\\cdot$'],
  [/—/g, '---'],
  [/–/g, '--'],
  [/’/g, "'"],
  [/…/g, '\\ldots{}'],
];

/** Text as LaTeX: special characters escaped, scientific notation and the report's glyphs in math mode. */
export function latexText(s: string): string {
  let out = s.replace(/[\\&%$#_{}~^<>]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\textbackslash{}';
      case '~':
        return '\\textasciitilde{}';
      case '^':
        return '\\textasciicircum{}';
      case '<':
        return '$<$';
      case '>':
        return '$>$';
      default:
        return `\\${c}`;
    }
  });
  // 1.2×10⁻⁶ → $1.2\times10^{-6}$ (before the lone × becomes $\times$).
  out = out.replace(
    /(\d+(?:\.\d+)?)×10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)/g,
    (_m, mant: string, exp: string) => `$${mant}\\times10^{${[...exp].map((c) => SUPERSCRIPT[c]).join('')}}$`,
  );
  for (const [re, tex] of GLYPHS) out = out.replace(re, tex);
  return out;
}

/** One table as a LaTeX table environment (booktabs), labelled `tab:<table id>`. */
export function tableLatex(t: Table): string {
  const row = (cells: string[]): string => `${cells.join(' & ')} \\\\`;
  const lines = [
    '\\begin{table}[ht]',
    '\\centering',
    '\\small',
    `\\caption{${latexText(t.caption)}}`,
    `\\label{tab:${t.id}}`,
    `\\begin{tabular}{l${'r'.repeat(t.columns.length)}}`,
    '\\toprule',
    row([latexText(t.rowHead), ...t.columns.map((c) => latexText(c.label))]),
    '\\midrule',
    ...t.rows.map((r) =>
      row([
        latexText(r.label),
        ...r.cells.map((c) => `${latexText(c.text)}${c.sub ? ` {\\scriptsize ${latexText(c.sub)}}` : ''}`),
      ]),
    ),
    '\\bottomrule',
    '\\end{tabular}',
  ];
  if (t.note) lines.push('', '\\smallskip', `{\\footnotesize ${latexText(t.note)}\\par}`);
  lines.push('\\end{table}');
  return lines.join('\n');
}

/** A file of tables to \input into a paper, with a header saying what it needs and where it came from. */
export function tablesLatex(tables: readonly Table[], source: string): string {
  return `${[
    `% ${source}`,
    '% Tables of the prunefi report, numbers as in its HTML page and CSV (intervals in brackets).',
    '% Needs \\usepackage{booktabs}; \\input this file where the tables belong. Wide tables fit a column',
    '% inside \\resizebox{\\linewidth}{!}{...} (graphicx); labels are tab:<table id>.',
    '',
    ...tables.map(tableLatex).flatMap((t) => [t, '']),
  ].join('\n')}`;
}
