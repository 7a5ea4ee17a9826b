/**
 * Build the study's report from two campaign databases run by hand.
 *
 * Reads base.sqlite and m90.sqlite (written by prune-and-campaign.js): the pruned model is
 * grouped with the unpruned one it came from by the provenance `pruneModel` wrote into it, the
 * trials of the two sweeps are paired by fault seed, and the report (HTML that opens offline,
 * numbers as CSV/JSON, tables as LaTeX, figures as SVG) answers whether pruning changed fault
 * tolerance, with intervals.
 *
 *   node dist/examples/report-from-databases.js [folder]      (default prunefi-out/examples)
 */
import { join } from 'node:path';
import { renderReport } from 'prunefi/report';
import { reportDataFromCampaigns } from 'prunefi/study';

const dir = process.argv[2] ?? 'prunefi-out/examples';
const data = reportDataFromCampaigns([join(dir, 'base.sqlite'), join(dir, 'm90.sqlite')]);
console.log(
  `variants: ${data.variants.map((v) => `${v.id} (clean accuracy ${(100 * v.cleanAccuracy).toFixed(1)}%)`).join(', ')}`,
);
const out = renderReport(data, join(dir, 'report'));
for (const c of out.conclusions) console.log(`${c.key}: ${c.verdict}. ${c.headline}`);
console.log(`wrote ${out.html}, ${out.numbersCsv} and ${out.figures.length} figures`);
