/**
 * Fills the ledger with every number of the report: the input's per-variant figures, the derived
 * statistics of each (model, fault model) group, the comparisons, the single-fault rates, and
 * the provenance seeds and durations. Ids come from `numberId`, which tables use to point at rows.
 */
import type { Derived, Est, RatioEst, ThresholdEst } from './derive.js';
import { Ledger, type NumberRow } from './ledger.js';
import type { ReportData } from './model.js';

/** Addresses one number: the same fields as its ledger row, minus the values. */
export interface NumberAddress {
  section: string;
  model: string;
  faultModel: string;
  variant: string;
  other?: string;
  quantity: string;
  key?: string;
}

/** The id of the ledger row at `a` (the same scheme Ledger.add uses). */
export function numberId(a: NumberAddress): string {
  return [a.section, a.model, a.faultModel, a.variant, a.other ?? '', a.quantity, a.key ?? ''].join('/');
}

/** Address of a provenance number: a seed by its purpose, or a step's duration by its label. */
export function provenanceAddress(quantity: 'seed' | 'duration', key: string): NumberAddress {
  return { section: 'provenance', model: '', faultModel: '', variant: '', quantity, key };
}

/** Label of the study's `i`-th step (0-based) in the durations: numbered, as the run went. */
export const durationLabel = (i: number, step: string): string => `${i + 1}. ${step}`;

const est = (e: Est | null | undefined) =>
  e ? { value: e.value, lo: e.lo, hi: e.hi } : { value: null, lo: null, hi: null };

function thresholdNote(t: ThresholdEst): string {
  const parts = ['bootstrap percentile over trials'];
  if (t.censored === 'above')
    parts.push(
      'censored above: accuracy never fell that far; value is the largest BER swept (a lower bound)',
    );
  if (t.censored === 'below')
    parts.push('censored below: accuracy had fallen at the smallest BER; value is that BER (an upper bound)');
  if (t.loOpen) parts.push('lower limit is a bound');
  if (t.hiOpen) parts.push('upper limit is a bound');
  return parts.join('; ');
}

function ratioNote(r: RatioEst): string {
  const parts = [r.paired ? 'paired bootstrap (shared fault seeds)' : 'unpaired bootstrap'];
  if (r.bound === 'lower') parts.push('estimate is a lower bound');
  if (r.bound === 'upper') parts.push('estimate is an upper bound');
  if (r.bound === 'unknown') parts.push('not measurable: both beyond the same end of the swept range');
  if (r.loOpen) parts.push('lower limit is a bound');
  if (r.hiOpen) parts.push('upper limit is a bound');
  return parts.join('; ');
}

/** Builds the ledger of a report from its input and derived statistics. */
export function buildLedger(data: ReportData, d: Derived): Ledger {
  const L = new Ledger();
  const conf = `${Math.round(d.options.confidence * 100)}%`;
  const add = (
    a: NumberAddress,
    v: Partial<Pick<NumberRow, 'value' | 'lo' | 'hi' | 'n' | 'note'>>,
    unit: string,
  ): void => {
    L.add({
      ...a,
      value: v.value ?? null,
      lo: v.lo ?? null,
      hi: v.hi ?? null,
      n: v.n ?? null,
      note: v.note ?? '',
      unit,
    });
  };
  for (const [k, v] of Object.entries({
    drop: d.options.drop,
    confidence: d.options.confidence,
    alpha: d.options.alpha,
    bootstrap: d.options.bootstrap,
  })) {
    add(
      { section: 'option', model: '', faultModel: '', variant: '', quantity: k },
      { value: v },
      k === 'bootstrap' ? 'count' : 'fraction',
    );
  }
  for (const [k, v] of Object.entries(data.provenance.seeds))
    add(provenanceAddress('seed', k), { value: v }, 'count');
  data.provenance.durations.forEach((x, i) => {
    add(provenanceAddress('duration', durationLabel(i, x.step)), { value: x.seconds }, 'seconds');
  });
  for (const g of d.groups) {
    const cost = new Map(g.costs.map((c) => [c.variantId, c]));
    for (const id of g.variantIds) {
      const v = data.variants.find((x) => x.id === id)!;
      const a = { section: 'variant', model: g.model, faultModel: '', variant: id };
      if (L.has(numberId({ ...a, quantity: 'params' }))) continue;
      add(
        { ...a, quantity: 'cleanAccuracy' },
        {
          ...est(cost.get(id)!.clean),
          n: v.cleanTotal,
          note: `Wilson ${conf} interval over the test images`,
        },
        'fraction',
      );
      add({ ...a, quantity: 'target' }, { value: v.target }, 'fraction');
      add(
        { ...a, quantity: 'sparsity' },
        { value: v.sparsity, note: 'fraction of exactly-zero parameters' },
        'fraction',
      );
      add({ ...a, quantity: 'params' }, { value: v.params }, 'count');
      add({ ...a, quantity: 'nonzeroParams' }, { value: v.nonzeroParams }, 'count');
      add({ ...a, quantity: 'macs' }, { value: v.macs }, 'count');
      for (const [f, bits] of Object.entries(v.memoryBits))
        add({ ...a, quantity: 'memoryBits', key: f }, { value: bits }, 'bits');
      if (v.accuracyBeforeFinetune !== undefined)
        add({ ...a, quantity: 'accuracyBeforeFinetune' }, { value: v.accuracyBeforeFinetune }, 'fraction');
      if (v.finetuneEpochs !== undefined)
        add({ ...a, quantity: 'finetuneEpochs' }, { value: v.finetuneEpochs }, 'count');
    }
    const fm = g.faultModel.label;
    add(
      { section: 'option', model: g.model, faultModel: fm, variant: '', quantity: 'bootstrapReplicates' },
      { value: g.bootstrap },
      'count',
    );
    for (const c of g.costs) {
      const a = { section: 'tolerance', model: g.model, faultModel: fm, variant: c.variantId };
      if (c.cleanDiff)
        add(
          { ...a, quantity: 'cleanDiff' },
          {
            ...est(c.cleanDiff),
            note: `clean accuracy minus unpruned; Newcombe hybrid score ${conf} interval (unpaired)`,
          },
          'fraction',
        );
      if (c.nonzeroRatio !== null)
        add({ ...a, quantity: 'nonzeroRatio' }, { value: c.nonzeroRatio }, 'ratio');
      if (c.memoryRatio !== null)
        add(
          { ...a, quantity: 'memoryRatio', key: g.faultModel.storageFormat },
          { value: c.memoryRatio },
          'ratio',
        );
    }
    for (const s of g.sweeps) {
      const a = { section: 'tolerance', model: g.model, faultModel: fm, variant: s.variantId };
      add(
        { ...a, quantity: 'cleanReference' },
        {
          value: s.clean,
          note:
            s.cleanSource === 'sweep'
              ? 'fault-free accuracy on the fault-injection images'
              : 'test-set clean accuracy (the sweep carries none of its own)',
        },
        'fraction',
      );
      add(
        { ...a, quantity: 'thresholdBer' },
        { ...est(s.threshold), note: thresholdNote(s.threshold) },
        'BER',
      );
      if (s.auc)
        add(
          { ...a, quantity: 'auc' },
          {
            ...est(s.auc),
            note: `mean accuracy over log BER ${g.grid[0]}..${g.grid[g.grid.length - 1]}; bootstrap percentile`,
          },
          'fraction',
        );
      if (s.vsBaseline) {
        const t = s.vsBaseline.threshold;
        add(
          { ...a, quantity: 'thresholdRatio' },
          { ...(t.bound === 'unknown' ? { value: null, lo: t.lo, hi: t.hi } : est(t)), note: ratioNote(t) },
          'ratio',
        );
        if (s.vsBaseline.auc)
          add(
            { ...a, quantity: 'aucRatio' },
            { ...est(s.vsBaseline.auc), note: ratioNote(s.vsBaseline.auc) },
            'ratio',
          );
      }
      for (const p of s.points) {
        const b = {
          section: 'accuracy',
          model: g.model,
          faultModel: fm,
          variant: s.variantId,
          key: String(p.ber),
        };
        add(
          { ...b, quantity: 'meanAccuracy' },
          { ...est(p.accuracy), n: p.trials, note: `mean over trials; Student t ${conf} interval` },
          'fraction',
        );
        add(
          { ...b, quantity: 'sdcRate' },
          { value: p.sdcRate, n: p.trials, note: 'mean fraction of images whose top-1 changed' },
          'fraction',
        );
        add(
          { ...b, quantity: 'criticalRate' },
          { value: p.criticalRate, n: p.trials, note: 'mean fraction of correct images made wrong' },
          'fraction',
        );
        add(
          { ...b, quantity: 'nonFiniteRate' },
          { value: p.nonFiniteRate, n: p.trials, note: 'mean fraction of images with NaN/Inf logits' },
          'fraction',
        );
        add({ ...b, quantity: 'meanFaults' }, { value: p.meanFaults, n: p.trials }, 'count');
      }
    }
    for (const c of g.comparisons) {
      const a = {
        section: 'comparison',
        model: g.model,
        faultModel: fm,
        variant: c.a,
        other: c.b,
        key: c.family,
      };
      const r = c.ratio;
      add(
        { ...a, quantity: `${c.metric}Ratio` },
        { ...(r.bound === 'unknown' ? { value: null, lo: r.lo, hi: r.hi } : est(r)), note: ratioNote(r) },
        'ratio',
      );
      add({ ...a, quantity: 'p' }, { value: c.p, note: 'two-sided bootstrap p-value' }, 'p-value');
      add(
        { ...a, quantity: 'pHolm' },
        { value: c.pHolm, note: `Holm-adjusted within the ${c.family} family` },
        'p-value',
      );
      add(
        { ...a, quantity: 'significant' },
        { value: c.significant ? 1 : 0, note: `adjusted p < ${d.options.alpha}` },
        'boolean',
      );
    }
    for (const b of g.bits) {
      const a = { section: 'single-bit', model: g.model, faultModel: fm, variant: b.variantId };
      const w = `Wilson ${conf} interval over experiments`;
      add(
        { ...a, quantity: 'sdcRate' },
        { ...est(b.sdcRate), n: b.experiments, note: `share of single flips that changed some top-1; ${w}` },
        'fraction',
      );
      add(
        { ...a, quantity: 'criticalRate' },
        {
          ...est(b.criticalRate),
          n: b.experiments,
          note: `share of single flips that made some correct image wrong; ${w}`,
        },
        'fraction',
      );
      add(
        { ...a, quantity: 'storedBits' },
        { value: b.storedBits, note: `bits of weight memory in ${g.faultModel.storageFormat} format` },
        'bits',
      );
      add(
        { ...a, quantity: 'sdcBits' },
        {
          ...est(b.sdcBits),
          note: 'SDC rate × stored bits: expected number of bits whose flip corrupts an output',
        },
        'bits',
      );
      for (const x of b.byBit) {
        add(
          { ...a, quantity: 'sdcRateByBit', key: String(x.bit) },
          { ...est(x.rate), n: x.experiments, note: w },
          'fraction',
        );
        add(
          { ...a, quantity: 'criticalRateByBit', key: String(x.bit) },
          { ...est(x.critical), n: x.experiments, note: w },
          'fraction',
        );
      }
      for (const x of b.byLayer) {
        add(
          { ...a, quantity: 'sdcRateByLayer', key: x.layer },
          { ...est(x.rate), n: x.experiments, note: w },
          'fraction',
        );
        add({ ...a, quantity: 'layerSparsity', key: x.layer }, { value: x.sparsity }, 'fraction');
        add({ ...a, quantity: 'layerStoredBits', key: x.layer }, { value: x.storedBits }, 'bits');
      }
    }
  }
  return L;
}
