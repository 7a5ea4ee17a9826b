import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import {
  holmAdjust,
  mcnemarFromOutcomes,
  mcnemarTest,
  pairedBootstrap,
  twoProportionZTest,
  welchTTest,
} from '../../src/stats/compare.js';
import { assertClose } from '../helpers/assert.js';
import { golden } from './golden.js';

const C = golden.comparisons;
const S = golden.samples;

test('McNemar exact and chi-square p-values match scipy (binomtest, chi2.sf)', () => {
  // Binomial tails and χ²₁ tails are both computed from incomplete beta/gamma good to 1e-13.
  for (const r of C.mcnemar) {
    const exact = mcnemarTest(r.b, r.c, { method: 'exact' });
    assertClose([exact.pValue], [r.exact], { rtol: 1e-12 }, `exact b=${r.b} c=${r.c}`);
    const chi = mcnemarTest(r.b, r.c, { method: 'chi2' });
    assertClose(
      [chi.statistic, chi.pValue],
      [r.chi2, r.chi2P],
      { rtol: 1e-12, atol: 1e-300 },
      `chi2 b=${r.b}`,
    );
    const auto = mcnemarTest(r.b, r.c);
    assert.equal(auto.method, r.b + r.c < 25 ? 'mcnemar-exact' : 'mcnemar-chi2');
  }
});

test('McNemar from per-experiment outcomes counts only discordant pairs', () => {
  const first = [true, false, false, true, 0, 1, 0];
  const second = [true, true, false, false, 1, 1, 1];
  const r = mcnemarFromOutcomes(first, second);
  assert.equal(r.b, 3, 'first ok, second failed');
  assert.equal(r.c, 1, 'first failed, second ok');
  assert.deepEqual(r, mcnemarTest(3, 1));
  assert.throws(() => mcnemarFromOutcomes([true], [true, false]), {
    name: 'RangeError',
    message: /first and second must come from the same fault list \(same length\), got 1 and 2/,
  });
  assert.throws(() => mcnemarFromOutcomes([2], [1]), {
    name: 'TypeError',
    message: /first\[0\] must be a boolean or 0\/1 \(1 = failure\), got 2/,
  });
  assert.throws(() => mcnemarFromOutcomes('ab' as unknown as boolean[], [1, 0]), { name: 'TypeError' });
  assert.throws(() => mcnemarTest(-1, 3), {
    name: 'RangeError',
    message: /mcnemarTest: b must be an integer >= 0/,
  });
  assert.throws(() => mcnemarTest(1, 3, { method: 'fisher' as 'exact' }), {
    name: 'RangeError',
    message: /options.method must be 'auto', 'exact' or 'chi2', got 'fisher'/,
  });
});

test("Welch's t test matches scipy.stats.ttest_ind(equal_var=False); its interval matches mpmath", () => {
  // scipy's t CDF (cdflib) is accurate to ~1e-10 relative in these p-values; ours to 1e-13.
  // Statistic and df are closed forms: 1e-13. The interval uses the mpmath t quantile.
  for (const r of C.welch) {
    const w = welchTTest(S[r.x as keyof typeof S], S[r.y as keyof typeof S]);
    assertClose([w.statistic, w.df], [r.statistic, r.df], { rtol: 1e-13 }, `welch ${r.x}/${r.y}`);
    assertClose([w.pValue], [r.pValue], { rtol: 1e-9, atol: 1e-300 }, `welch p ${r.x}/${r.y}`);
    assertClose([w.difference.lower, w.difference.upper], r.ci95, { rtol: 1e-12 }, 'welch ci');
  }
  const same = welchTTest([1, 1, 1], [1, 1]);
  assert.deepEqual([same.statistic, same.pValue], [0, 1]);
  const apart = welchTTest([2, 2, 2], [1, 1]);
  assert.deepEqual([apart.statistic, apart.pValue], [Number.POSITIVE_INFINITY, 0]);
  assert.throws(() => welchTTest([1], [1, 2]), {
    name: 'RangeError',
    message: /welchTTest: first needs at least 2/,
  });
});

test('two-proportion z test matches scipy.stats.norm; Newcombe interval matches scipy Wilson bounds', () => {
  for (const r of C.twoProportion) {
    const t = twoProportionZTest(r.k1, r.n1, r.k2, r.n2);
    // z is a closed form (1e-14); the p-value is a normal tail (1e-13 relative down to 1e-300).
    assertClose(
      [t.statistic],
      [r.statistic],
      { rtol: 1e-14, atol: 1e-300 },
      `z ${r.k1}/${r.n1} vs ${r.k2}/${r.n2}`,
    );
    assertClose([t.pValue], [r.pValue], { rtol: 1e-12, atol: 1e-300 }, 'p');
    assertClose(
      [t.difference.lower, t.difference.upper],
      r.newcombe95,
      { rtol: 1e-12, atol: 1e-15 },
      'newcombe',
    );
  }
  assert.throws(() => twoProportionZTest(5, 4, 1, 10), {
    name: 'RangeError',
    message: /twoProportionZTest: k1 must be an integer in \[0, 4\], got 5/,
  });
});

test('Holm adjustment matches the step-down definition and preserves input order', () => {
  for (const r of C.holm) assertClose(holmAdjust(r.p), r.adjusted, { rtol: 1e-15 }, `holm ${r.p}`);
  // Hand-checked: sorted 0.005, 0.01, 0.03, 0.04 → 4·0.005, 3·0.01, 2·0.03, 1·0.04 → running max.
  assert.deepEqual(holmAdjust([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02]);
  assert.throws(() => holmAdjust([0.1, 1.2]), {
    name: 'RangeError',
    message: /pValues\[1\] must be in \[0, 1\], got 1.2/,
  });
  assert.throws(() => holmAdjust([]), { name: 'RangeError', message: /at least 1 value/ });
});

test('paired bootstrap: interval of the mean difference and a sign-flip p-value', () => {
  const rng = Rng.seeded('paired');
  const a = S.paired_a;
  // A real improvement of 0.03 on every experiment plus noise: detected, interval excludes 0.
  const noise = rng.split('noise');
  const b = a.map((v) => v - 0.03 + 0.01 * noise.normal());
  const r = pairedBootstrap(a, b, { rng: rng.split('boot'), resamples: 2000 });
  assert.ok(
    r.difference.lower > 0 && r.difference.upper < 0.06,
    `interval ${r.difference.lower}..${r.difference.upper}`,
  );
  assert.ok(r.pValue < 0.001, `p ${r.pValue}`);
  assertClose(
    [r.difference.estimate],
    [a.reduce((s, v, i) => s + v - b[i]!, 0) / a.length],
    { rtol: 1e-12 },
    'est',
  );
  // Identical models: p = 1 exactly (every sign pattern ties), interval collapses to 0.
  const same = pairedBootstrap(a, a, { rng: rng.split('same'), resamples: 500 });
  assert.equal(same.pValue, 1);
  assert.deepEqual([same.difference.lower, same.difference.upper], [0, 0]);
  // Under H0 (differences symmetric about 0) the p-value is roughly uniform: P(p ≤ 0.1) ≈ 0.1.
  let small = 0;
  const reps = 200;
  for (let i = 0; i < reps; i++) {
    const g = rng.split('null', i);
    const d = Array.from({ length: 20 }, () => g.normal());
    const z = new Array<number>(20).fill(0);
    if (pairedBootstrap(d, z, { rng: g.split('b'), resamples: 199 }).pValue <= 0.1) small++;
  }
  // Binomial(200, 0.1): mean 20, sd 4.2; ±3.5 sd.
  assert.ok(small >= 5 && small <= 35, `${small} of ${reps} null p-values ≤ 0.1`);
  assert.throws(() => pairedBootstrap([1, 2], [1, 2, 3], { rng }), {
    name: 'RangeError',
    message: /pairedBootstrap: first and second must be paired \(same fault list, same length\), got 2 and 3/,
  });
});
