/**
 * Read campaign results into one tidy, pandas-friendly CSV: one row per experiment, one column
 * per variable, plain numbers, a header of identifiers.
 *
 * Reads the databases given (default: base.sqlite and m90.sqlite from prune-and-campaign.js)
 * and writes results.csv next to them. In Python:
 *
 *   df = pandas.read_csv('prunefi-out/examples/results.csv')
 *   df.groupby(['model', 'ber']).accuracy.agg(['mean', 'sem'])
 *
 *   node dist/examples/results-to-csv.js [folder] [db ...]
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type CampaignConfig, CampaignStore } from 'prunefi/campaign';

const dir = process.argv[2] ?? 'prunefi-out/examples';
const dbs =
  process.argv.length > 3 ? process.argv.slice(3) : ['base.sqlite', 'm90.sqlite'].map((f) => join(dir, f));
const columns = [
  'model',
  'plan',
  'ber',
  'trial',
  'faults',
  'images',
  'accuracy',
  'sdc',
  'critical_sdc',
  'nan_images',
];
const lines = [columns.join(',')];
// A file name may hold a comma or a quote; CSV quotes such a cell.
const cell = (v: string | number): string =>
  /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
for (const db of dbs) {
  const store = CampaignStore.open(db, true);
  try {
    const config = store.config as CampaignConfig;
    const model = basename(config.model.spec).replace(/\.onnx$/, '');
    for (const r of store.records()) {
      // A BER plan's stratum is 'ber=<rate>'; other plans have none (an empty cell is NaN in pandas).
      const ber = /^ber=(.+)$/.exec(r.stratum)?.[1] ?? '';
      const row = [
        model,
        config.plan.kind,
        ber,
        r.index,
        r.faultCount,
        r.images,
        r.accuracy,
        r.sdc,
        r.criticalSdc,
        r.nanImages,
      ];
      lines.push(row.map(cell).join(','));
    }
  } finally {
    store.close();
  }
}
const out = join(dir, 'results.csv');
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`wrote ${out}: ${lines.length - 1} experiments from ${dbs.length} databases`);
