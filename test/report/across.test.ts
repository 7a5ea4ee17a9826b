import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acrossModels } from '../../src/report/across.js';
import { acrossAnswer, concludeReport, shortAnswer } from '../../src/report/conclude.js';
import { deriveStatistics } from '../../src/report/derive.js';
import type { ReportData } from '../../src/report/model.js';
import { type ConstructedVariant, constructedReport } from './synthetic.js';

const BERS = [1e-8, 3e-8, 1e-7, 3e-7, 1e-6];
// A different model reacts differently to the same faults: its own trial pattern.
const own = [0.2, -1, 0.6, 1, -0.6, -0.2, 0.8, -0.8, 0.4, -0.4];

function model(name: string, variants: ConstructedVariant[]): ReportData {
  return constructedReport({
    bers: BERS,
    model: name,
    variants: variants.map((v) => ({ spread: 0.02, ...v })),
  });
}

/**
 * Two models: 'a' is judged by tolerable BER (so its AUC tests are the cross-check), 'b' by AUC
 * (its unpruned model has lost 5 points before the first swept BER).
 */
function twoModels(): ReportData {
  const a = model('a', [
    { method: 'none', target: 0, clean: 0.9, means: [0.9, 0.85, 0.7, 0.4, 0.15] },
    { method: 'magnitude', target: 0.9, clean: 0.89, means: [0.89, 0.88, 0.85, 0.75, 0.5], pattern: own },
    // Same curve as the unpruned model: no difference by any metric.
    { method: 'random', target: 0.5, clean: 0.9, means: [0.9, 0.85, 0.7, 0.4, 0.15], pattern: own },
    { method: 'l1-filter', target: 0.5, clean: 0.88, means: [0.88, 0.86, 0.8, 0.6, 0.3], pattern: own },
  ]);
  const b = model('b', [
    { method: 'none', target: 0, clean: 0.9, means: [0.7, 0.5, 0.3, 0.2, 0.1] },
    { method: 'magnitude', target: 0.9, clean: 0.89, means: [0.88, 0.8, 0.6, 0.4, 0.2], pattern: own },
    { method: 'random', target: 0.5, clean: 0.88, means: [0.85, 0.7, 0.5, 0.3, 0.15], pattern: own },
    // Lost 20 points of clean accuracy: shown but not ranked, so not counted for 'b'.
    { method: 'l1-filter', target: 0.5, clean: 0.7, means: [0.7, 0.7, 0.69, 0.68, 0.6], pattern: own },
    { method: 'snip', target: 0.9, clean: 0.89, means: [0.88, 0.8, 0.6, 0.4, 0.2], pattern: own },
  ]);
  return { ...a, variants: [...a.variants, ...b.variants], berSweeps: [...a.berSweeps, ...b.berSweeps] };
}

test('methods line up across models by their AUC tests: everywhere, some, none, or one model only', () => {
  const data = twoModels();
  const d = deriveStatistics(data, { bootstrap: 1000 });
  assert.deepEqual(
    d.groups.map((g) => [g.model, g.primary]),
    [
      ['a', 'threshold'],
      ['b', 'auc'],
    ],
  );
  const across = acrossModels(data, d)!;
  assert.deepEqual(across.columns, ['a', 'b']);
  assert.deepEqual(
    across.rows.map((r) => [r.label, r.outcome]),
    [
      ['magnitude 90%', 'everywhere'],
      ['random 50%', 'somewhere'],
      ['l1-filter 50%', 'single'],
      ['snip 90%', 'single'],
    ],
  );
  // Each cell is the group's own AUC test: the cross-check family for 'a', the main one for 'b'.
  const mag = across.rows[0]!;
  assert.deepEqual(
    mag.cells.map((c) => [c!.comparison.family, c!.comparison.metric, c!.ranked]),
    [
      ['cross-check', 'auc', true],
      ['vs-unpruned', 'auc', true],
    ],
  );
  assert.equal(across.rows[3]!.cells[0], null, 'snip was not run on a');
  assert.equal(across.rows[2]!.cells[1]!.ranked, false, 'l1-filter lost 20 points on b');

  assert.equal(
    acrossAnswer(across),
    "Across a and b, by normalized AUC against each model's unpruned variant (Holm-corrected within each model; variants that lost more than 10 points of clean accuracy not counted): more tolerant on every model that ran it: magnitude 90%; on some only: random 50% (b); ranked on one model only, so not compared: l1-filter 50% and snip 90%.",
  );
  const short = shortAnswer(data, concludeReport(data, d), across);
  assert.match(
    short,
    /\. By normalized AUC, more tolerant than the unpruned model on both a and b: magnitude 90%\.$/,
  );
  // Each model's leader is named with the metric it was ranked by (b's baseline forces AUC).
  assert.match(short, /(— |\. )a under [^:]+: [^.]+; most tolerant pruned variant by tolerable BER /);
  assert.match(short, /\. b under [^:]+: [^.]+; most tolerant pruned variant by normalized AUC /);
});

test('a model without an unpruned sweep has no AUC tests, so it is not a column', () => {
  const two = twoModels();
  // Already below its clean accuracy at the first BER: AUC would be its metric, but no baseline.
  const c = model('c', [{ method: 'magnitude', target: 0.9, clean: 0.9, means: [0.7, 0.6, 0.5, 0.4, 0.3] }]);
  const data = {
    ...two,
    variants: [...two.variants, ...c.variants],
    berSweeps: [...two.berSweeps, ...c.berSweeps],
  };
  const d = deriveStatistics(data, { bootstrap: 1000 });
  assert.equal(d.groups.find((g) => g.model === 'c')!.primary, 'auc');
  assert.deepEqual(acrossModels(data, d)!.columns, ['a', 'b']);
});

test('a single model has no across-models view, and the short answer does not mention one', () => {
  const data = model('a', [
    { method: 'none', target: 0, clean: 0.9, means: [0.9, 0.85, 0.7, 0.4, 0.15] },
    { method: 'magnitude', target: 0.9, clean: 0.89, means: [0.89, 0.88, 0.85, 0.75, 0.5], pattern: own },
  ]);
  const d = deriveStatistics(data, { bootstrap: 1000 });
  assert.equal(acrossModels(data, d), null);
  assert.doesNotMatch(
    shortAnswer(data, concludeReport(data, d), null),
    /more tolerant than the unpruned model on/,
  );
});
