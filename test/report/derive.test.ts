import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveStatistics, resolveDeriveOptions, thresholdOf } from '../../src/report/derive.js';
import { assertClose } from '../helpers/assert.js';
import { constructedReport, syntheticReport } from './synthetic.js';

const BERS = [1e-8, 1e-7, 1e-6];

test('threshold: interpolated on log BER between the last point above and the first below the level', () => {
  // level = 0.9 - 0.05 = 0.85, halfway between 0.9 (at 1e-8) and 0.8 (at 1e-7): log10 BER = -7.5.
  const t = thresholdOf(BERS, [0.9, 0.8, 0.5], 0.9, 0.05);
  assert.equal(t.censored, 'none');
  // Interpolation goes through Math.log/exp: a few ulps.
  assertClose([t.ber], [10 ** -7.5], { rtol: 1e-12 });
  // A quarter of the way: 0.9 → 0.7 crosses 0.85 at t = 0.25.
  assertClose([thresholdOf(BERS, [0.9, 0.7, 0.5], 0.9, 0.05).ber], [10 ** -7.75], { rtol: 1e-12 });
});

test('threshold: censored and clamped to the swept range when the curve never or always crosses', () => {
  assert.deepEqual(thresholdOf(BERS, [0.9, 0.89, 0.88], 0.9, 0.05), { ber: 1e-6, censored: 'above' });
  assert.deepEqual(thresholdOf(BERS, [0.8, 0.7, 0.6], 0.9, 0.05), { ber: 1e-8, censored: 'below' });
  // One point only: still classified.
  assert.deepEqual(thresholdOf([1e-7], [0.5], 0.9, 0.05), { ber: 1e-7, censored: 'below' });
  assert.deepEqual(thresholdOf([1e-7], [0.9], 0.9, 0.05), { ber: 1e-7, censored: 'above' });
});

test('AUC, thresholds and ratios on trial-free (zero-spread) data equal the hand-computed values', () => {
  const data = constructedReport({
    bers: BERS,
    trials: 5,
    variants: [
      { method: 'none', target: 0, clean: 0.9, means: [0.9, 0.8, 0.5] },
      { method: 'magnitude', target: 0.9, clean: 0.9, means: [0.9, 0.9, 0.8] },
    ],
  });
  const d = deriveStatistics(data, { bootstrap: 500 });
  const g = d.groups[0]!;
  assert.equal(g.primary, 'threshold');
  assert.deepEqual(g.grid, BERS);
  const [base, mag] = g.sweeps;
  // Normalized AUC = mean of the two trapezoids over equal decades: ((0.9+0.8)/2 + (0.8+0.5)/2)/2.
  assertClose([base!.auc!.value, base!.auc!.lo, base!.auc!.hi], [0.75, 0.75, 0.75], { atol: 1e-12 });
  assertClose([mag!.auc!.value], [(0.9 + 0.85) / 2], { atol: 1e-12 });
  // Magnitude crosses 0.85 halfway between 1e-7 and 1e-6: 10^-6.5; the baseline at 10^-7.5: ratio 10.
  assertClose([mag!.threshold.value, base!.threshold.value], [10 ** -6.5, 10 ** -7.5], { rtol: 1e-12 });
  const r = mag!.vsBaseline!.threshold;
  // All replicates are identical with zero spread, so the interval collapses onto the estimate.
  assertClose([r.value, r.lo, r.hi], [10, 10, 10], { rtol: 1e-9 });
  assert.equal(r.bound, 'none');
  assert.equal(r.paired, true);
  assertClose([mag!.vsBaseline!.auc!.value], [0.875 / 0.75], { rtol: 1e-12 });
  const c = g.comparisons.find((x) => x.family === 'vs-unpruned')!;
  // Every replicate difference is positive: p = 2 · (1 + 0) / (B + 1), the smallest attainable.
  assertClose([c.p], [2 / (g.bootstrap + 1)], { rtol: 1e-12 });
  assert.equal(c.significant, true);
});

test('censored thresholds become bounds and their ratios say which way', () => {
  const data = constructedReport({
    bers: BERS,
    variants: [
      { method: 'none', target: 0, clean: 0.9, means: [0.9, 0.8, 0.5] },
      { method: 'robust', target: 0.5, clean: 0.9, means: [0.9, 0.89, 0.88] },
    ],
  });
  const g = deriveStatistics(data, { bootstrap: 300 }).groups[0]!;
  const robust = g.sweeps[1]!;
  assert.equal(robust.threshold.censored, 'above');
  assert.equal(robust.threshold.value, 1e-6);
  assert.equal(robust.threshold.hiOpen, true);
  assert.equal(robust.vsBaseline!.threshold.bound, 'lower');
  assertClose([robust.vsBaseline!.threshold.value], [1e-6 / 10 ** -7.5], { rtol: 1e-9 });
});

test('the unpruned model beyond the swept range switches the comparison metric to AUC', () => {
  const data = constructedReport({
    bers: BERS,
    variants: [
      { method: 'none', target: 0, clean: 0.9, means: [0.7, 0.5, 0.3] },
      { method: 'magnitude', target: 0.5, clean: 0.9, means: [0.88, 0.6, 0.3] },
    ],
  });
  const g = deriveStatistics(data, { bootstrap: 300 }).groups[0]!;
  assert.equal(g.primary, 'auc');
  assert.match(g.primaryReason, /outside the swept BERs/);
  assert.ok(g.comparisons.every((c) => c.metric === 'auc'));
  // Thresholds cannot cross-check an AUC verdict: the baseline's is a bound.
  assert.ok(!g.comparisons.some((c) => c.family === 'cross-check'));
});

test('paired trials (shared fault seeds) detect a consistent small gain that unpaired resampling cannot', () => {
  // Trial-to-trial spread ±0.1 dwarfs the 0.01 shift, but trial t of both variants shares its
  // perturbation (same seed, same faults): only pairing sees the shift as consistent.
  const pattern = Array.from({ length: 12 }, (_, t) => (t % 2 === 0 ? 1 : -1) * ((t + 1) / 12));
  const spec = (paired: boolean) =>
    constructedReport({
      bers: [1e-8, 1e-7, 1e-6, 1e-5],
      trials: 12,
      paired,
      variants: [
        { method: 'none', target: 0, clean: 0.6, means: [0.6, 0.55, 0.45, 0.3], spread: 0.1, pattern },
        {
          method: 'magnitude',
          target: 0.5,
          clean: 0.6,
          means: [0.61, 0.56, 0.46, 0.31],
          spread: 0.1,
          pattern,
        },
      ],
    });
  const paired = deriveStatistics(spec(true), { bootstrap: 1000 }).groups[0]!;
  const unpaired = deriveStatistics(spec(false), { bootstrap: 1000 }).groups[0]!;
  const cp = paired.comparisons[0]!;
  const cu = unpaired.comparisons[0]!;
  assert.equal(cp.ratio.paired, true);
  assert.equal(cu.ratio.paired, false);
  assert.equal(cp.significant, true, `paired p ${cp.pHolm}`);
  assert.equal(cu.significant, false, `unpaired p ${cu.pHolm}`);
  assert.ok(cp.ratio.hi - cp.ratio.lo < (cu.ratio.hi - cu.ratio.lo) / 3, 'pairing narrows the interval');
});

test('comparison families: every pruned variant vs unpruned, and every pair of pruned variants, Holm within each', () => {
  const data = syntheticReport({ models: undefined, trials: 8, bitExperiments: 20 });
  const d = deriveStatistics(data, { bootstrap: 300 });
  let crossChecked = 0;
  for (const g of d.groups) {
    const k = g.sweeps.length - 1;
    assert.equal(g.comparisons.filter((c) => c.family === 'vs-unpruned').length, k);
    assert.equal(g.comparisons.filter((c) => c.family === 'between-pruned').length, (k * (k - 1)) / 2);
    // Judged by tolerable BER, each variant is cross-checked against the baseline by AUC, with
    // the same ratio the tolerance table shows.
    const cross = g.comparisons.filter((c) => c.family === 'cross-check');
    assert.equal(cross.length, g.primary === 'threshold' ? k : 0);
    assert.equal(
      g.comparisons.filter((c) => c.family === 'cross-check-between' && c.metric === 'auc').length,
      g.primary === 'threshold' ? (k * (k - 1)) / 2 : 0,
    );
    crossChecked += cross.length;
    for (const c of cross) {
      assert.equal(c.metric, 'auc');
      assert.deepEqual(c.ratio, g.sweeps.find((s) => s.variantId === c.a)!.vsBaseline!.auc);
    }
    for (const c of g.comparisons) {
      assert.ok(c.pHolm >= c.p && c.pHolm <= 1, `${c.a} vs ${c.b}: Holm p ${c.pHolm} < raw p ${c.p}`);
      assert.equal(c.significant, c.pHolm < 0.05);
    }
    // Enough replicates that the smallest attainable p-value passes Holm's first step.
    const pairs = ((k + 1) * k) / 2;
    assert.ok(2 / (g.bootstrap + 1) < 0.05 / pairs, `B = ${g.bootstrap} for ${pairs} pairs`);
    assert.equal(g.variantIds[0], g.baselineId, 'baseline first');
  }
  assert.ok(crossChecked > 0, 'some group is judged by tolerable BER and cross-checked');
});

test('derived statistics are deterministic for a seed and depend on it', () => {
  const data = syntheticReport({ trials: 6, bitExperiments: 10 });
  const a = deriveStatistics(data, { bootstrap: 300 });
  const b = deriveStatistics(data, { bootstrap: 300 });
  assert.deepEqual(a, b);
  const c = deriveStatistics(data, { bootstrap: 300, seed: 'other' });
  const ia = a.groups[1]!.sweeps[1]!.threshold;
  const ic = c.groups[1]!.sweeps[1]!.threshold;
  assert.equal(ia.value, ic.value, 'point estimates do not depend on the bootstrap');
  assert.notDeepEqual([ia.lo, ia.hi], [ic.lo, ic.hi]);
});

test('single-fault statistics: Wilson intervals, SDC-prone bits, layers', () => {
  const data = syntheticReport({ trials: 4, bitExperiments: 50 });
  const g = deriveStatistics(data, { bootstrap: 200 }).groups[0]!;
  const b = g.bits[0]!;
  const raw = data.bitSweeps.find((s) => s.variantId === b.variantId)!;
  assert.equal(b.experiments, raw.total.experiments);
  assert.equal(b.sdcRate.value, raw.total.sdcExperiments / raw.total.experiments);
  assert.ok(b.sdcRate.lo < b.sdcRate.value && b.sdcRate.value < b.sdcRate.hi);
  const v = data.variants.find((x) => x.id === b.variantId)!;
  assert.equal(b.storedBits, v.memoryBits.dense);
  assertClose([b.sdcBits.value], [b.sdcRate.value * v.memoryBits.dense!], { rtol: 1e-15 });
  assert.deepEqual(
    b.byBit.map((x) => x.bit),
    [...Array(32).keys()],
  );
  assert.equal(b.byLayer.length, raw.byLayer.length);
});

test('bad derive options are RangeErrors naming the option', () => {
  assert.throws(() => resolveDeriveOptions({ drop: 5 }), {
    name: 'RangeError',
    message: /drop must be in \(0, 1\)/,
  });
  assert.throws(() => resolveDeriveOptions({ confidence: 95 }), {
    name: 'RangeError',
    message: /confidence/,
  });
  assert.throws(() => resolveDeriveOptions({ alpha: 0 }), { name: 'RangeError', message: /alpha/ });
  assert.throws(() => resolveDeriveOptions({ bootstrap: 10 }), {
    name: 'RangeError',
    message: /bootstrap must be an integer >= 200/,
  });
  assert.deepEqual(resolveDeriveOptions({ drop: undefined }).drop, 0.05);
});

test('a single trial per BER gives no interval and no test, never a spurious significant difference', () => {
  const data = constructedReport({
    bers: BERS,
    trials: 1,
    variants: [
      { method: 'none', target: 0, clean: 0.9, means: [0.9, 0.8, 0.5] },
      { method: 'magnitude', target: 0.9, clean: 0.9, means: [0.9, 0.9, 0.8] },
    ],
  });
  const g = deriveStatistics(data, { bootstrap: 300 }).groups[0]!;
  const mag = g.sweeps[1]!;
  assert.equal(mag.minTrials, 1);
  assert.ok(Number.isNaN(mag.threshold.lo) && Number.isNaN(mag.auc!.hi));
  assert.ok(Number.isNaN(mag.vsBaseline!.threshold.lo));
  assertClose([mag.vsBaseline!.threshold.value], [10], { rtol: 1e-9 });
  const c = g.comparisons[0]!;
  assert.deepEqual([c.testable, c.p, c.significant], [false, 1, false]);
});
