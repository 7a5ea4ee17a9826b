import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concludeReport, describeRatio, shortAnswer } from '../../src/report/conclude.js';
import { deriveStatistics } from '../../src/report/derive.js';
import type { ReportData } from '../../src/report/model.js';
import { type ConstructedVariant, constructedReport } from './synthetic.js';

const BERS = [1e-8, 3e-8, 1e-7, 3e-7, 1e-6];
// Deterministic trial pattern with a realistic spread (each point's mean is exact).
const spread = 0.02;
// A different model reacts differently to the same faults: its own trial pattern.
const own = [0.2, -1, 0.6, 1, -0.6, -0.2, 0.8, -0.8, 0.4, -0.4];

function conclude(
  variants: ConstructedVariant[],
  paired = true,
): { data: ReportData; c: ReturnType<typeof concludeReport>[number] } {
  const data = constructedReport({
    bers: BERS,
    trials: 10,
    paired,
    variants: variants.map((v) => ({ spread, ...v })),
  });
  const c = concludeReport(data, deriveStatistics(data, { bootstrap: 1000 }))[0]!;
  return { data, c };
}

const unpruned: ConstructedVariant = {
  method: 'none',
  target: 0,
  clean: 0.9,
  means: [0.9, 0.85, 0.7, 0.4, 0.15],
};

test('one clearly better method: pruning improves, the best is named and clearly ahead, with its cost', () => {
  const { data, c } = conclude([
    unpruned,
    { method: 'magnitude', target: 0.9, clean: 0.88, means: [0.88, 0.88, 0.87, 0.84, 0.7] },
    { method: 'random', target: 0.5, clean: 0.86, means: [0.86, 0.84, 0.78, 0.6, 0.3] },
  ]);
  assert.equal(c.verdict, 'improves');
  assert.match(
    c.headline,
    /^Pruning improves the fault tolerance of net under float32 dense bit-flip: 2 of 2 pruned variants have a higher tolerable BER/,
  );
  assert.equal(c.best, 'net/magnitude@0.9');
  assert.deepEqual(c.tiedWithBest, []);
  const best = c.details.find((d) => d.startsWith('Most tolerant pruned variant: magnitude 90%'));
  assert.ok(best, c.details.join('\n'));
  assert.match(best, /clearly ahead of every other pruned variant; the runner-up is random 50%/);
  assert.doesNotMatch(best, /weak/);
  // Cost: 2 points of clean accuracy on 10 000 images is a measurable loss; 10% of the weights remain.
  const cost = c.details.find((d) => d.startsWith('Cost of magnitude 90%'))!;
  assert.match(
    cost,
    /clean accuracy 88\.0% against 90\.0% unpruned \(−2\.0 pt, 95% CI \[−2\.\d pt, −1\.\d pt\]: a measurable loss\)/,
  );
  assert.match(cost, /10% of the unpruned model's non-zero parameters/);
  assert.ok(c.notes.some((n) => /Dense storage keeps pruned zeros/.test(n)));
  assert.ok(
    c.details.includes(
      'Cross-check on the other metric, normalized AUC (mean accuracy over BER 1.0×10⁻⁸ to 1.0×10⁻⁶): 2 of 2 pruned variants are more tolerant than the unpruned model after Holm correction and none less, so the verdict is the same on both metrics.',
    ),
    c.details.join('\n'),
  );
  // The ranking is cross-checked by AUC too: magnitude 90% keeps its lead.
  assert.equal(c.aucBest, 'net/magnitude@0.9');
  assert.deepEqual(c.aucTiedWithBest, []);
  assert.ok(
    c.details.some((d) =>
      /^By normalized AUC \(the cross-check\), the most tolerant pruned variant is magnitude 90% \(\d+\.\d%\), clearly ahead of every other pruned variant\.$/.test(
        d,
      ),
    ),
    c.details.join('\n'),
  );
  assert.match(
    shortAnswer(data, [c]),
    /net under float32 dense bit-flip: pruning improves fault tolerance; most tolerant pruned variant by tolerable BER magnitude 90%; by normalized AUC magnitude 90%\./,
  );
});

test('two overlapping methods: the text says the evidence is weak and treats them as tied', () => {
  const { data, c } = conclude([
    unpruned,
    { method: 'magnitude', target: 0.9, clean: 0.88, means: [0.88, 0.87, 0.85, 0.75, 0.5] },
    // Same fault seeds, but the other trial pattern.
    {
      method: 'snip',
      target: 0.9,
      clean: 0.88,
      means: [0.88, 0.87, 0.848, 0.745, 0.5],
      pattern: own,
    },
  ]);
  assert.equal(c.verdict, 'improves');
  assert.equal(c.tiedWithBest.length, 1);
  const best = c.details.find((d) => d.startsWith('Most tolerant pruned variant'))!;
  assert.match(
    best,
    /But the evidence that it beats (snip|magnitude) 90% \(ratio .*adjusted p = [\d.]+\)\) is weak: the intervals overlap and the difference does not survive Holm correction, so treat these two as tied\./,
  );
  assert.doesNotMatch(best, /clearly ahead of every/);
  assert.match(shortAnswer(data, [c]), /statistically tied with/);
  // Both tied variants get a cost sentence, so the reader can pick on cost.
  assert.equal(c.details.filter((d) => d.startsWith('Cost of')).length, 2);
  // Their curves differ by at most 0.005 with different trial patterns: tied by AUC as well.
  assert.equal(c.aucTiedWithBest.length, 1);
  assert.ok(
    c.details.some((d) => /^By normalized AUC .*, statistically tied with (snip|magnitude) 90%\.$/.test(d)),
  );
});

test('pruning worse than the baseline: the verdict says it reduces tolerance and names the variant', () => {
  const { c } = conclude([
    { ...unpruned, means: [0.9, 0.89, 0.86, 0.75, 0.5] },
    { method: 'l1-filter', target: 0.5, clean: 0.88, means: [0.88, 0.8, 0.6, 0.3, 0.12] },
  ]);
  assert.equal(c.verdict, 'worsens');
  assert.match(
    c.headline,
    /^Pruning reduces the fault tolerance of net .*1 of 1 pruned variants has a lower tolerable BER/,
  );
  assert.ok(
    c.details.some((d) => /^Less tolerant than unpruned: l1-filter 50%: 0\.\d+× \(95% CI/.test(d)),
    c.details.join('\n'),
  );
});

test('no difference from the baseline: no claim, weak evidence said explicitly', () => {
  const { c } = conclude([
    unpruned,
    { method: 'random', target: 0.3, clean: 0.9, means: [0.9, 0.85, 0.7, 0.41, 0.15] },
  ]);
  assert.equal(c.verdict, 'no-clear-effect');
  assert.match(
    c.headline,
    /do not show that pruning changes fault tolerance.*the evidence is weak either way/,
  );
  assert.ok(c.details.some((d) => d.startsWith('Weak evidence')));
});

test('a verdict that holds by AUC but not by tolerable BER says it depends on the metric', () => {
  // Both cross the 5-point line at 3e-8, so the thresholds agree; above it the pruned model
  // keeps far more accuracy (its own trial pattern: a different model reacts differently).
  const { c } = conclude([
    unpruned,
    {
      method: 'magnitude',
      target: 0.5,
      clean: 0.9,
      means: [0.9, 0.85, 0.8, 0.7, 0.6],
      pattern: own,
    },
  ]);
  assert.equal(c.verdict, 'no-clear-effect');
  assert.ok(
    c.details.some((d) =>
      /^Cross-check on the other metric, normalized AUC .*: 1 of 1 pruned variants are more tolerant than the unpruned model after Holm correction and none less, so on that metric pruning improves fault tolerance: the verdict depends on the metric\.$/.test(
        d,
      ),
    ),
    c.details.join('\n'),
  );
});

test('a ranking tied by tolerable BER but not by AUC: the AUC cross-check names the leader', () => {
  // All three cross the 5-point line at 3e-8; above it magnitude keeps far more accuracy. Its
  // AUC: trapezoids over log10 BER (decades 0.477, 0.523, 0.477, 0.523) / 2 decades = 77.3%.
  const { data, c } = conclude([
    unpruned,
    { method: 'magnitude', target: 0.5, clean: 0.9, means: [0.9, 0.85, 0.8, 0.7, 0.6], pattern: own },
    { method: 'random', target: 0.5, clean: 0.9, means: [0.9, 0.85, 0.72, 0.45, 0.2], pattern: own },
  ]);
  assert.equal(c.tiedWithBest.length, 1, 'tied by tolerable BER');
  assert.equal(c.aucBest, 'net/magnitude@0.5');
  assert.deepEqual(c.aucTiedWithBest, []);
  assert.ok(
    c.details.includes(
      'By normalized AUC (the cross-check), the most tolerant pruned variant is magnitude 50% (77.3%), clearly ahead of every other pruned variant.',
    ),
    c.details.join('\n'),
  );
  assert.match(shortAnswer(data, [c]), /; by normalized AUC magnitude 50%\.$/);
});

test('mixed results and unpaired trials are reported as such', () => {
  const { c } = conclude(
    [
      unpruned,
      { method: 'magnitude', target: 0.9, clean: 0.88, means: [0.88, 0.88, 0.87, 0.84, 0.7] },
      { method: 'l1-filter', target: 0.5, clean: 0.88, means: [0.88, 0.7, 0.4, 0.2, 0.12] },
    ],
    false,
  );
  assert.equal(c.verdict, 'mixed');
  assert.match(
    c.headline,
    /depends on the method: 1 of 2 pruned variants are more fault-tolerant than the unpruned model and 1 less/,
  );
  assert.ok(c.notes.some((n) => /unpaired \(the trials do not share fault seeds\)/.test(n)));
});

test('without an unpruned sweep the conclusion says pruning cannot be judged', () => {
  const data = constructedReport({
    bers: BERS,
    variants: [
      { method: 'magnitude', target: 0.9, clean: 0.88, means: [0.88, 0.88, 0.87, 0.84, 0.7], spread },
      { method: 'random', target: 0.5, clean: 0.86, means: [0.86, 0.84, 0.78, 0.6, 0.3], spread },
    ],
  });
  const c = concludeReport(data, deriveStatistics(data, { bootstrap: 300 }))[0]!;
  assert.equal(c.verdict, 'no-baseline');
  assert.match(c.headline, /no BER sweep of the unpruned model/);
  assert.equal(c.best, 'net/magnitude@0.9');
});

test('ratio wording marks bounds and open interval ends', () => {
  const r = { value: 8, lo: 3.2, hi: 8, bound: 'lower' as const, loOpen: false, hiOpen: true, paired: true };
  assert.equal(describeRatio(r, 0.95), '≥ 8.0× (95% CI 3.2× to ≥ 8.0×)');
  assert.match(describeRatio({ ...r, bound: 'unknown' }, 0.95), /^not measurable/);
  assert.equal(
    describeRatio(
      { ...r, bound: 'none', value: 0.42, lo: 0.3, hi: 0.61, hiOpen: false },
      0.9,
      'adjusted p = 0.010',
    ),
    '0.42× (90% CI 0.30× to 0.61×; adjusted p = 0.010)',
  );
});

test('a single trial per BER: the conclusion says nothing can be tested and asks for more trials', () => {
  const data = constructedReport({
    bers: BERS,
    trials: 1,
    variants: [
      unpruned,
      { method: 'magnitude', target: 0.9, clean: 0.88, means: [0.88, 0.88, 0.87, 0.84, 0.7] },
    ],
  });
  const c = concludeReport(data, deriveStatistics(data, { bootstrap: 300 }))[0]!;
  assert.equal(c.verdict, 'no-clear-effect');
  assert.match(
    c.headline,
    /cannot tell whether pruning changes fault tolerance: with a single trial per BER/,
  );
  assert.ok(c.notes.some((n) => /Run at least 2 \(better 20 or more\) trials per BER/.test(n)));
  assert.ok(!c.details.some((d) => /^More tolerant/.test(d)));
});

test('a variant that lost its accuracy is shown but not ranked or counted, with the limit it broke', () => {
  // random 90% collapsed to chance: it can hardly lose 5 more points, so its "tolerance" is huge.
  const collapsed: ConstructedVariant = {
    method: 'random',
    target: 0.9,
    clean: 0.1,
    means: [0.1, 0.1, 0.1, 0.1, 0.1],
  };
  const magnitude: ConstructedVariant = {
    method: 'magnitude',
    target: 0.9,
    clean: 0.88,
    means: [0.88, 0.88, 0.87, 0.84, 0.7],
  };
  const { data, c } = conclude([unpruned, magnitude, collapsed]);
  assert.equal(c.verdict, 'improves');
  assert.match(c.headline, /1 of 1 pruned variants has a higher tolerable BER/);
  assert.equal(c.best, 'net/magnitude@0.9');
  const note = c.details.find((d) => d.startsWith('Not ranked'));
  assert.match(
    note ?? '',
    /more than 10 points of the unpruned model's clean accuracy: random 90% \(clean accuracy 10\.0%, −80\.0 pt\)/,
  );
  // A looser limit ranks it again (and then it wins, which is why the limit exists).
  const loose = concludeReport(data, deriveStatistics(data, { bootstrap: 1000, maxCleanLoss: 0.9 }))[0]!;
  assert.equal(loose.best, 'net/random@0.9');
  // When every pruned variant collapsed there is no verdict to give.
  const none = conclude([unpruned, collapsed]).c;
  assert.equal(none.verdict, 'no-data');
  assert.match(none.headline, /every pruned variant lost more than 10 points of clean accuracy/);
  assert.equal(none.best, null);
  assert.throws(() => deriveStatistics(data, { maxCleanLoss: 0 }), /maxCleanLoss must be in \(0, 1\]/);
});
