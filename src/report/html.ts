/**
 * Assembles the single self-contained HTML page: inline CSS, inline SVG figures, no external
 * resources of any kind, so it opens offline and can be mailed or archived as one file. The small
 * script only adds table sorting; everything is readable without it. The page leads with the
 * question and the computed answer, then gives the evidence per model and fault model, then how
 * the numbers were computed and how to rerun the study.
 */
import { nth } from '../core/checked.js';
import type { Figure } from './charts/frame.js';
import { esc } from './charts/svg.js';
import type { GroupConclusion } from './conclude.js';
import type { Derived } from './derive.js';
import { fmtSci } from './format.js';
import type { ReportData } from './model.js';
import type { Table } from './tables.js';

/** One (model, fault model) section of the page. */
export interface GroupSection {
  id: string;
  heading: string;
  conclusion: GroupConclusion;
  tolerance: Table;
  cost: Table;
  accuracy: Table | null;
  comparisons: Table | null;
  berFigures: Figure[];
  bitFigures: Figure[];
}

/** Everything the page shows. */
export interface PageContent {
  data: ReportData;
  derived: Derived;
  groups: GroupSection[];
  /** With several groups: which methods are more tolerant in all of them, and the numbers. */
  across: { answer: string; table: Table } | null;
  provenance: Table[];
  /** The short answer across all groups, shown first. */
  shortAnswer: string;
  /** The first screen: the summary figure (null without an unpruned model to compare with) and table. */
  glance: { figure: Figure | null; table: Table };
  /** Output files, relative to the HTML file, with a description. */
  files: { href: string; what: string }[];
}

const CSS = `
:root{--ink:#1d1d1f;--muted:#5b5b66;--line:#d9d9e0;--bg:#ffffff;--soft:#f6f7f9;--accent:#0b5cad;--good:#0a6e3a;--weak:#8a5a00}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 28px 64px}
header h1{font-size:28px;line-height:1.25;margin:0 0 10px}
.question{font-size:18px;color:#333;margin:0 0 8px;max-width:900px}
.meta{color:var(--muted);font-size:13px;margin:0}
.partial{border:1px solid var(--weak);background:#fff8e6;border-radius:8px;padding:10px 14px;margin:14px 0 0;max-width:960px}
nav{margin:18px 0 8px;padding:10px 14px;background:var(--soft);border-radius:8px;font-size:14px;display:flex;flex-wrap:wrap;gap:4px 16px}
nav a{color:var(--accent);text-decoration:none;overflow-wrap:anywhere}
h2{font-size:22px;margin:40px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:17px;margin:28px 0 8px}
.answer{border-left:4px solid var(--accent);background:#f3f7fc;padding:12px 18px;margin:14px 0;border-radius:0 8px 8px 0}
.answer h3{margin:2px 0 6px;font-size:16px}
.answer .headline{font-weight:600;margin:0 0 6px}
.answer ul{margin:6px 0 4px;padding-left:20px}
.answer li{margin:3px 0}
.verdict-improves{border-color:var(--good);background:#f1f8f4}
.verdict-worsens{border-color:#b3261e;background:#fcf3f2}
.verdict-mixed,.verdict-no-clear-effect{border-color:var(--weak);background:#fdf8ee}
.notes{color:var(--muted);font-size:13px}
.lead{font-size:15px;max-width:900px}
.short{font-size:16px;max-width:960px;margin:8px 0 14px}
figure{margin:18px 0 26px}
figure svg{display:block;width:100%;max-width:880px;height:auto;border:1px solid var(--line);border-radius:6px}
figcaption{color:var(--muted);font-size:13px;max-width:880px;margin-top:6px}
.table-wrap{overflow-x:auto;margin:10px 0 4px;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;font-size:13px;width:100%}
caption{text-align:left;font-weight:600;padding:8px 10px;background:var(--soft)}
th,td{padding:6px 10px;border-top:1px solid var(--line);vertical-align:top}
thead th{background:var(--soft);font-weight:600;text-align:right;vertical-align:bottom;min-width:70px;max-width:150px}
thead th:first-child{text-align:left}
thead th button{all:unset;cursor:pointer;font:inherit;text-align:inherit}
thead th button:focus-visible{outline:2px solid var(--accent)}
tbody th{text-align:left;font-weight:500;white-space:nowrap}
td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.text{text-align:left}
td.na{color:var(--muted)}
td .ci{display:block;color:var(--muted);font-size:11px}
tbody tr:nth-child(even){background:#fbfbfc}
.table-note{color:var(--muted);font-size:12px;margin:4px 0 16px}
details{margin:10px 0}
summary{cursor:pointer;color:var(--accent)}
summary:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
details.prose>summary{font-size:16px;font-weight:600;margin:6px 0}
pre{background:var(--soft);padding:12px;border-radius:6px;overflow-x:auto;font-size:12px}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;font-size:14px}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0;word-break:break-word}
.defs li{margin:6px 0}
figure.glance{overflow-x:auto}
/* Below 600 px the summary figure keeps its labels legible (at least 0.68 of their size) and
   scrolls within its own box; the header shrinks so the figure starts on the first screen. */
@media (max-width:600px){main{padding:16px 14px 48px}header h1{font-size:21px}.question{font-size:15px}nav{font-size:13px;gap:2px 12px}h2{margin-top:24px}figure.glance svg{min-width:600px}}
@media print{nav,details summary{display:none}figure{break-inside:avoid}}
`;

const SORT_JS = `
document.querySelectorAll('table.sortable thead th button').forEach(function (b) {
  b.addEventListener('click', function () {
    var th = b.parentElement, table = th.closest('table'), idx = Array.prototype.indexOf.call(th.parentElement.children, th);
    var dir = th.getAttribute('aria-sort') === 'descending' ? 1 : -1;
    table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var a = r1.children[idx].getAttribute('data-sort'), c = r2.children[idx].getAttribute('data-sort');
      var num = /^-?[0-9.]+(e[-+]?[0-9]+)?$|^$/i;
      if (num.test(a) && num.test(c)) {
        var x = a === '' ? -Infinity : parseFloat(a), y = c === '' ? -Infinity : parseFloat(c);
        return (x === y ? 0 : x < y ? -1 : 1) * dir;
      }
      return String(a).localeCompare(String(c)) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
`;

function tableHtml(t: Table): string {
  const head = `<tr><th scope="col"><button type="button">${esc(t.rowHead)}</button></th>${t.columns
    .map((c) => `<th scope="col" title="${esc(c.tip)}"><button type="button">${esc(c.label)}</button></th>`)
    .join('')}</tr>`;
  const body = t.rows
    .map((r) => {
      const cells = r.cells
        .map((c) => {
          const kind = c.ref
            ? ` data-ref="${esc(c.ref)}" data-fmt="${c.fmt}"`
            : c.missing
              ? ' class="na"'
              : ' class="text"';
          const attrs = `${kind} data-sort="${esc(String(c.sort))}"`;
          return `<td${attrs}><span class="v">${esc(c.text)}</span>${c.sub ? `<span class="ci">${esc(c.sub)}</span>` : ''}</td>`;
        })
        .join('');
      return `<tr><th scope="row" data-sort="${esc(r.label)}">${esc(r.label)}</th>${cells}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="data sortable" id="${esc(t.id)}"><caption>${esc(t.caption)}</caption><thead>${head}</thead><tbody>\n${body}\n</tbody></table></div>${t.note ? `<p class="table-note">${esc(t.note)}</p>` : ''}`;
}

function figureHtml(f: Figure, cls = ''): string {
  return `<figure id="fig-${esc(f.id)}"${cls ? ` class="${cls}"` : ''}>${f.svg}<figcaption>${esc(f.caption)} <a href="figures/${esc(f.id)}.svg">SVG</a></figcaption></figure>`;
}

function conclusionHtml(g: GroupSection, withLink: boolean): string {
  const c = g.conclusion;
  const items = c.details.map((d) => `<li>${esc(d)}</li>`).join('');
  const notes = c.notes.map((n) => `<li>${esc(n)}</li>`).join('');
  return `<div class="answer verdict-${c.verdict}"${withLink ? ` id="answer-${esc(g.id)}"` : ''}><h3>${withLink ? `<a href="#${esc(g.id)}">${esc(g.heading)}</a>` : esc(g.heading)}</h3><p class="headline">${esc(c.headline)}</p>${items ? `<ul>${items}</ul>` : ''}${notes ? `<ul class="notes">${notes}</ul>` : ''}</div>`;
}

function methodsHtml(d: Derived): string {
  const o = d.options;
  const conf = `${Math.round(o.confidence * 100)}%`;
  const pts = Math.round(o.drop * 100);
  const items = [
    `<b>Trial.</b> One fault-injection run over the fault images: every stored bit of the weights flips independently with probability BER (bit error rate). Accuracy is top-1 over those images.`,
    `<b>Mean accuracy at a BER</b> is the mean over trials; its interval is Student's t (${conf}).`,
    `<b>Tolerable BER</b>: the BER at which mean accuracy first falls ${pts} points below the variant's own fault-free accuracy, interpolated linearly in accuracy against log BER between the swept points. When accuracy never falls that far within the swept range the value is written "&gt; largest BER" (a lower bound); when it has already fallen at the smallest BER, "&lt; smallest BER".`,
    `<b>Normalized AUC</b>: the area under mean accuracy against log₁₀ BER divided by the decades swept, i.e. the average accuracy over the range, using the BERs every variant of the model was swept at.`,
    `<b>Intervals of tolerable BER, AUC and ratios</b>: percentile bootstrap (${conf}) resampling trials within each BER point. When two variants' trials used the same fault seeds the resampling is paired (trial i with trial i), otherwise independent. Bounds are kept at the range ends (the comparison is then conservative).`,
    `<b>Ranking</b>: a pruned variant whose clean accuracy is more than ${Math.round(o.maxCleanLoss * 100)} points below the unpruned model's is shown but not ranked or counted in the verdict: a model that has lost its accuracy has little left to lose under faults.`,
    `<b>Comparisons</b>: two-sided bootstrap p-values for "the ratio is 1", Holm-corrected within each family: every pruned variant against the unpruned model; all pairs of pruned variants; and, when the verdict is by tolerable BER, the same two families by normalized AUC (the cross-check, which says whether the verdict and the ranking depend on the metric). A difference is reported as shown only if its adjusted p-value is below α = ${o.alpha}; otherwise the text says the evidence is weak.`,
    `<b>Across models</b>: with several models (or fault models), each one's tests of pruned variants against its unpruned model by normalized AUC are lined up by method and sparsity. A method counts as more tolerant on every model only if its test is significant on each model that ran and ranked it; no new test is made, so each claim keeps its model's Holm correction.`,
    `<b>Single bit flips</b>: each experiment flips one stored bit; the SDC rate is the share of experiments in which some image's top-1 changed (Wilson ${conf} interval). <b>SDC-prone bits</b> = SDC rate × stored bits: for a given raw error rate per bit, a model's expected rate of corrupted outputs is proportional to it.`,
    `<b>Clean accuracy</b> intervals are Wilson (${conf}) over the test images; differences to the unpruned model use Newcombe's hybrid score interval, treating the two as independent samples (conservative for a shared test set).`,
  ];
  const groups = d.groups.map(
    (g) =>
      `${esc(g.model)} / ${esc(g.faultModel.label)}: ${g.bootstrap} bootstrap replicates; AUC over BER ${g.grid.length >= 2 ? `${esc(fmtSci(nth(g.grid, 0)))} to ${esc(fmtSci(nth(g.grid, g.grid.length - 1)))}` : 'n/a'}`,
  );
  return `<ul class="defs">${items.map((i) => `<li>${i}</li>`).join('')}</ul><p class="notes">Report settings: threshold drop ${pts} points, confidence ${conf}, α ${o.alpha}, ranking limit ${Math.round(o.maxCleanLoss * 100)} points of clean accuracy, at least ${o.bootstrap} bootstrap replicates (more where many comparisons need finer p-values), bootstrap seed '${esc(String(o.seed))}'. ${groups.join('; ')}.</p>`;
}

/** The notice on a report written before its study finished, listing what is still to run. */
function partialHtml(pending: readonly string[]): string {
  if (!pending.length) return '';
  return `<div class="partial" role="note"><b>Partial report.</b> The study is still running or was interrupted: ${pending.length} step${pending.length === 1 ? '' : 's'} still to run. Every number and conclusion below covers the finished steps only; rerun the study command to complete it (finished steps are reused).<details><summary>Steps still to run</summary><ul>${pending.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></details></div>`;
}

/** Renders the complete HTML document. Deterministic: the same content gives the same bytes. */
export function renderHtml(p: PageContent): string {
  const { data } = p;
  const pv = data.provenance;
  const nav = [
    ['answer', 'Answer'],
    ...(p.across ? [['across', 'Across models']] : []),
    ...p.groups.map((g) => [g.id, g.heading]),
    ['methods', 'How the numbers are computed'],
    ['provenance', 'Provenance'],
    ['files', 'Files'],
  ]
    .map(([id, t]) => `<a href="#${esc(id!)}">${esc(t!)}</a>`)
    .join('');
  const sections = p.groups
    .map((g) => {
      const parts = [
        `<section id="${esc(g.id)}"><h2>${esc(g.heading)}</h2>`,
        `<p class="lead">${esc(g.conclusion.headline)} <a href="#answer-${esc(g.id)}">Details in the answer.</a></p>`,
        tableHtml(g.tolerance),
        tableHtml(g.cost),
      ];
      if (g.berFigures.length)
        parts.push(
          `<h3>Under accumulated faults (BER sweeps)</h3>`,
          ...g.berFigures.map((f) => figureHtml(f)),
        );
      if (g.accuracy) parts.push(tableHtml(g.accuracy));
      if (g.comparisons?.rows.length)
        parts.push(
          `<details><summary>All ${g.comparisons.rows.length} pairwise comparisons</summary>${tableHtml(g.comparisons)}</details>`,
        );
      if (g.bitFigures.length)
        parts.push(`<h3>Under single bit flips</h3>`, ...g.bitFigures.map((f) => figureHtml(f)));
      parts.push('</section>');
      return parts.join('\n');
    })
    .join('\n');
  const kv = [
    ['Command', pv.command],
    ['prunefi', pv.prunefiVersion],
    ['ONNX Runtime', pv.onnxruntimeVersion],
    ['Node.js', pv.nodeVersion],
    ['Platform', pv.platform],
    ['CPUs', pv.cpus],
    ['Configuration hash', pv.configHash],
    ['Started', pv.startedAt],
    [data.pending?.length ? 'Written (study not finished)' : 'Finished', pv.finishedAt],
    [
      'Dataset',
      `${data.dataset.name}, ${data.dataset.split} split, ${data.dataset.classes} classes, ${data.dataset.faultImages} images per fault-injection trial`,
    ],
  ]
    .map(([k, v]) => `<dt>${esc(k!)}</dt><dd>${esc(v!)}</dd>`)
    .join('');
  const files = p.files
    .map((f) => `<li><a href="${esc(f.href)}">${esc(f.href)}</a> — ${esc(f.what)}</li>`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="prunefi ${esc(pv.prunefiVersion)}">
<title>${esc(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(data.title)}</h1>
<p class="question">${esc(data.question)}</p>
<p class="meta">${esc(data.dataset.name)} (${esc(data.dataset.split)}) · ${data.variants.length} model variants · ${p.derived.groups.length} model × fault-model combinations · ${data.pending?.length ? 'partial report written' : 'study finished'} ${esc(pv.finishedAt)} · prunefi ${esc(pv.prunefiVersion)}</p>
${partialHtml(data.pending ?? [])}
</header>
<nav aria-label="Contents">${nav}</nav>
<section id="answer"><h2>Answer</h2>
${p.glance.figure ? figureHtml(p.glance.figure, 'glance') : ''}
${tableHtml(p.glance.table)}
<p class="short">${esc(p.shortAnswer)}</p>
<details class="prose" id="answer-prose"><summary>The answer in words, per model and fault model${p.across ? ', and across models' : ''}</summary>
${p.groups.map((g) => conclusionHtml(g, true)).join('\n')}
${p.across ? `<h3 id="across">Across models</h3><p class="lead">${esc(p.across.answer)}</p>${tableHtml(p.across.table)}` : ''}
</details>
</section>
${sections}
<section id="methods"><h2>How the numbers are computed</h2>${methodsHtml(p.derived)}</section>
<section id="provenance"><h2>Provenance: how to rerun this study</h2>
<dl class="kv">${kv}</dl>
${p.provenance.map(tableHtml).join('\n')}
<details><summary>Study configuration</summary><pre>${esc(JSON.stringify(pv.config, null, 2))}</pre></details>
</section>
<section id="files"><h2>Files</h2><ul>${files}</ul></section>
</main>
<script>${SORT_JS}</script>
</body>
</html>
`;
}
