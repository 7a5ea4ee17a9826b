import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import {
  agrestiCoullInterval,
  clopperPearsonInterval,
  proportionInterval,
  proportionMethods,
  wilsonInterval,
} from '../../src/stats/proportion.js';
import { binomialCdf } from '../../src/stats/special.js';
import { assertClose, assertPrunefiError } from '../helpers/assert.js';
import { golden } from './golden.js';

test('Wilson intervals match scipy.stats.binomtest(...).proportion_ci(method="wilson")', () => {
  // Closed form in both tools; they differ only in the normal quantile (ours is within a few
  // ulps of mpmath) and the order of operations: 1e-14 relative, 1e-16 absolute near 0.
  for (const r of golden.proportions) {
    const iv = wilsonInterval(r.k, r.n, r.confidence);
    assertClose(
      [iv.lower, iv.upper],
      r.wilson,
      { rtol: 1e-13, atol: 1e-16 },
      `wilson k=${r.k} n=${r.n} ${r.confidence}`,
    );
    assert.equal(iv.estimate, r.k / r.n);
    assert.equal(iv.method, 'wilson');
  }
});

test('Clopper-Pearson intervals match mpmath beta quantiles, n from 1 to 1e12', () => {
  // The bounds are beta quantiles: the inverse is good to ~1e-13 relative (see special.test.ts).
  for (const r of golden.proportions) {
    const iv = clopperPearsonInterval(r.k, r.n, r.confidence);
    assertClose(
      [iv.lower, iv.upper],
      r.clopperPearson,
      { rtol: 1e-13, atol: 1e-300 },
      `clopper-pearson k=${r.k} n=${r.n} ${r.confidence}`,
    );
  }
});

test('Agresti-Coull intervals match the formula evaluated in mpmath', () => {
  // Closed form; 1e-13 relative covers the different evaluation order and the quantile's ulps.
  for (const r of golden.proportions) {
    const iv = agrestiCoullInterval(r.k, r.n, r.confidence);
    assertClose(
      [iv.lower, iv.upper],
      r.agrestiCoull,
      { rtol: 1e-13, atol: 1e-16 },
      `agresti-coull k=${r.k} n=${r.n}`,
    );
  }
});

test('k = 0 and k = n give exact 0 and 1 bounds; n = 1 works', () => {
  for (const f of [wilsonInterval, clopperPearsonInterval]) {
    assert.equal(f(0, 50).lower, 0);
    assert.equal(f(50, 50).upper, 1);
    assert.equal(f(0, 1).lower, 0);
    assert.equal(f(1, 1).upper, 1);
  }
  // Clopper-Pearson at k = 0 has the closed form 1 − (α/2)^(1/n) (the "rule of three" limit).
  const cp = clopperPearsonInterval(0, 1000, 0.95);
  assertClose([cp.upper], [-Math.expm1(Math.log(0.025) / 1000)], { rtol: 1e-14 }, 'CP k=0 upper');
  // And at n = 1e12 the upper bound for k = 0 is ~3.7e-12, kept to full relative precision.
  const huge = clopperPearsonInterval(0, 1e12, 0.95);
  assertClose([huge.upper], [-Math.expm1(Math.log(0.025) / 1e12)], { rtol: 1e-13 }, 'CP k=0 n=1e12');
});

test('Clopper-Pearson bounds are where the binomial tails equal alpha/2 (definition check)', () => {
  // Independent of the fixture: P(X ≥ k | p = lower) = α/2 and P(X ≤ k | p = upper) = α/2.
  for (const [k, n] of [
    [1, 10],
    [7, 30],
    [250, 1000],
  ] as const) {
    const iv = clopperPearsonInterval(k, n, 0.95);
    assertClose([1 - binomialCdf(k - 1, n, iv.lower)], [0.025], { rtol: 1e-11 }, `lower tail k=${k}`);
    assertClose([binomialCdf(k, n, iv.upper)], [0.025], { rtol: 1e-11 }, `upper tail k=${k}`);
  }
});

test('extreme confidence 0.999999 and rates near 0 and 1 stay ordered and inside [0, 1]', () => {
  for (const f of [wilsonInterval, clopperPearsonInterval, agrestiCoullInterval]) {
    for (const [k, n] of [
      [1, 1e9],
      [1e9 - 1, 1e9],
      [3, 7],
    ] as const) {
      const iv = f(k, n, 0.999999);
      assert.ok(iv.lower >= 0 && iv.upper <= 1, `${iv.method} in [0, 1]`);
      assert.ok(iv.lower < iv.estimate && iv.estimate < iv.upper, `${iv.method} contains ${iv.estimate}`);
      const narrow = f(k, n, 0.9);
      assert.ok(narrow.upper - narrow.lower < iv.upper - iv.lower, `${iv.method} widens with confidence`);
    }
  }
});

test('Wilson 95% coverage over 4000 simulated binomial draws lies within [0.93, 0.97]', () => {
  // Coverage of Wilson oscillates with n and p around the nominal level (Brown, Cai & DasGupta
  // 2001); summing the binomial pmf over the k whose interval covers p gives exactly 0.9567,
  // 0.9499 and 0.9491 for these settings (it dips to 0.933 at n = 200, p = 0.02 and reaches 0.970
  // at n = 50, p = 0.1, which is why those are not used). With 4000 draws the Monte Carlo
  // standard error is 0.0034, so [0.93, 0.97] is at least ±3.9 SE around each true coverage.
  const rng = Rng.seeded('wilson-coverage');
  for (const [n, p] of [
    [50, 0.3],
    [500, 0.05],
    [300, 0.2],
  ] as const) {
    let covered = 0;
    const draws = 4000;
    for (let d = 0; d < draws; d++) {
      let k = 0;
      for (let i = 0; i < n; i++) if (rng.float() < p) k++;
      const iv = wilsonInterval(k, n, 0.95);
      if (iv.lower <= p && p <= iv.upper) covered++;
    }
    const coverage = covered / draws;
    assert.ok(coverage >= 0.93 && coverage <= 0.97, `Wilson coverage ${coverage} for n=${n}, p=${p}`);
  }
});

test('proportionInterval dispatches by registry name and lists valid names on a typo', () => {
  assert.deepEqual(proportionInterval(3, 10), wilsonInterval(3, 10, 0.95));
  assert.deepEqual(
    proportionInterval(3, 10, { method: 'clopper-pearson', confidence: 0.9 }),
    clopperPearsonInterval(3, 10, 0.9),
  );
  assert.deepEqual(proportionMethods.names(), ['wilson', 'clopper-pearson', 'agresti-coull']);
  assertPrunefiError(
    () => proportionInterval(3, 10, { method: 'wald' }),
    'UNKNOWN_NAME',
    /unknown proportion interval method 'wald'/,
    /wilson, clopper-pearson, agresti-coull/,
  );
});

test('invalid counts and confidence levels are rejected with clear messages', () => {
  assert.throws(() => wilsonInterval(5, 0), {
    name: 'RangeError',
    message: /wilsonInterval: n must be an integer >= 1, got 0; pass the number of experiments/,
  });
  assert.throws(() => wilsonInterval(11, 10), {
    name: 'RangeError',
    message: /wilsonInterval: k must be an integer in \[0, 10\], got 11/,
  });
  assert.throws(() => clopperPearsonInterval(2.5, 10), {
    name: 'RangeError',
    message: /k must be an integer/,
  });
  assert.throws(() => clopperPearsonInterval(-1, 10), {
    name: 'RangeError',
    message: /k must be an integer/,
  });
  assert.throws(() => agrestiCoullInterval(1, 10, 95), {
    name: 'RangeError',
    message:
      /agrestiCoullInterval: confidence must be in \(0, 1\), got 95; pass a level such as 0.95 \(not a percentage\)/,
  });
  assert.throws(() => wilsonInterval(1, 10, 1), {
    name: 'RangeError',
    message: /confidence must be in \(0, 1\)/,
  });
  assert.throws(() => wilsonInterval('3' as unknown as number, 10), {
    name: 'TypeError',
    message: /wilsonInterval: k must be a number, got '3'/,
  });
  assert.throws(() => wilsonInterval(3, Number.NaN), {
    name: 'RangeError',
    message: /n must be a number, got NaN/,
  });
});
