/**
 * The factor by which a protection raises the tolerable BER, with the report's own statistics:
 * two BER campaign databases on one model and images, unprotected and protected, with the same
 * rates, trials and seed (trial i at each rate draws its faults from the same seed, so the raw
 * flips are paired). The protected sweep is put beside the unprotected one as a second variant
 * of the same fault model, so `deriveStatistics` gives both tolerable BERs (clean − `drop`; each
 * sweep's clean accuracy is its own model's), the normalized AUCs and their paired-bootstrap
 * ratios, exactly as a report computes them for a pruned variant against the unpruned model.
 *
 *   npm run build && node dist/bench/protect-tolerance.js none.sqlite protected.sqlite [drop=0.05]
 */
import { deriveStatistics, type Est } from '../src/report/derive.js';
import { reportDataFromCampaigns } from '../src/study/campaign-report.js';

const [plainDb, protectedDb] = process.argv.slice(2);
if (!plainDb || !protectedDb)
  throw new Error('usage: node dist/bench/protect-tolerance.js none.sqlite protected.sqlite [drop]');
const drop = Number(process.argv[4] ?? 0.05);
const plain = reportDataFromCampaigns([plainDb]);
const prot = reportDataFromCampaigns([protectedDb]);
const base = plain.variants[0];
const baseSweep = plain.berSweeps[0];
const sweep = prot.berSweeps[0];
if (!base || !baseSweep || !sweep) throw new Error('each database must hold one BER campaign');
const data = {
  ...plain,
  variants: [...plain.variants, { ...base, id: 'protected', label: sweep.faultModel.label }],
  berSweeps: [...plain.berSweeps, { ...sweep, variantId: 'protected', faultModel: baseSweep.faultModel }],
};
const group = deriveStatistics(data, { drop }).groups[0];
const fmt = (e: Est, digits = 2): string =>
  `${e.value.toPrecision(digits)} [${e.lo.toPrecision(digits)}, ${e.hi.toPrecision(digits)}]`;
for (const s of group?.sweeps ?? []) {
  const name = s.variantId === 'protected' ? sweep.faultModel.label : baseSweep.faultModel.label;
  console.log(
    `${name}: clean ${(100 * s.clean).toFixed(2)}%, tolerable BER (clean − ${100 * drop} points) ${fmt(s.threshold)}${s.threshold.censored !== 'none' ? ` (censored ${s.threshold.censored})` : ''}, normalized AUC ${s.auc ? fmt(s.auc, 3) : '-'}`,
  );
  if (s.vsBaseline)
    console.log(
      `  vs unprotected: tolerable BER ×${fmt(s.vsBaseline.threshold)}${s.vsBaseline.threshold.paired ? ' (paired)' : ''}, AUC ×${s.vsBaseline.auc ? fmt(s.vsBaseline.auc, 3) : '-'}`,
    );
}
