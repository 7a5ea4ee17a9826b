import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aucLogX, mean, quantile, sd, sum, thresholdCrossing, variance } from '../../src/stats/summary.js';
import { assertClose } from '../helpers/assert.js';
import { golden } from './golden.js';

const S = golden.samples;

test('mean, variance and sd match exact rational arithmetic (Python fractions / statistics)', () => {
  // The fixture's mean and variance are exact (Fraction) rounded once; compensated summation and
  // the corrected two-pass variance keep us within a few ulps, even for 'hard_sum', whose naive
  // left-to-right sum loses every digit to ±1e8 cancellation.
  for (const r of golden.means) {
    const xs = S[r.name];
    assertClose([mean(xs)], [r.mean], { rtol: 4e-16 * 4, atol: 1e-300 }, `mean ${r.name}`);
    assertClose([variance(xs), sd(xs)], [r.variance, r.sd], { rtol: 1e-14 }, `variance/sd ${r.name}`);
  }
  assert.equal(sum([1e100, 1, -1e100]), 1, 'compensated sum keeps the 1');
  assert.equal(mean(new Float64Array([2, 4])), 3);
});

test('type-7 quantiles match numpy.quantile', () => {
  // Same interpolation (numpy's _lerp from the nearer end); positions (n − 1)q are exact for these q.
  for (const r of golden.means) {
    for (const [q, v] of r.quantiles) {
      assertClose([quantile(S[r.name], q)], [v], { rtol: 1e-15, atol: 1e-300 }, `q${q} ${r.name}`);
    }
  }
  assert.equal(quantile([3, 1, 2], 0.5), 2);
  assert.equal(quantile([1, 2, Number.POSITIVE_INFINITY], 0.75), Number.POSITIVE_INFINITY);
  assert.equal(quantile([0, 1, Number.POSITIVE_INFINITY], 0.5), 1);
  assert.equal(quantile([7], 0.3), 7);
});

test('area under the curve on log x and the tolerance threshold match numpy (trapz, interp)', () => {
  for (const c of golden.curves) {
    assertClose([aucLogX(c.x, c.y)], [c.auc], { rtol: 1e-14 }, `auc ${c.name}`);
    assertClose(
      [aucLogX(c.x, c.y, { normalize: true })],
      [c.aucNormalized],
      { rtol: 1e-14 },
      `auc norm ${c.name}`,
    );
    const t = thresholdCrossing(c.x, c.y, 0.9, 0.05);
    const [censored, x] = c.threshold;
    assert.equal(t.censored, censored, c.name);
    if (censored === 'none') assertClose([t.x], [x!], { rtol: 1e-14 }, `threshold ${c.name}`);
    else assert.equal(t.x, censored === 'below' ? 0 : Number.POSITIVE_INFINITY);
  }
  // Halfway (in y) between 1e-7 and 1e-6 is 10^-6.5 on the log axis.
  const t = thresholdCrossing([1e-7, 1e-6], [0.9, 0.8], 0.9, 0.05);
  assertClose([t.x], [10 ** -6.5], { rtol: 1e-14 }, 'midpoint on log axis');
});

test('summary helpers reject bad input', () => {
  assert.throws(() => mean([]), { name: 'RangeError', message: /mean: xs needs at least 1 value, got 0/ });
  assert.throws(() => mean([1, Number.POSITIVE_INFINITY]), {
    name: 'RangeError',
    message: /xs\[1\] must be finite/,
  });
  assert.throws(() => mean([1, '2'] as unknown as number[]), {
    name: 'TypeError',
    message: /xs\[1\] must be a number/,
  });
  assert.throws(() => mean(null as unknown as number[]), {
    name: 'TypeError',
    message: /xs must be an array/,
  });
  assert.throws(() => sd([1]), { name: 'RangeError', message: /sd: xs needs at least 2 values/ });
  assert.throws(() => quantile([1, 2], 1.5), {
    name: 'RangeError',
    message: /q must be in \[0, 1\], got 1.5/,
  });
  assert.throws(() => quantile([], 0.5), { name: 'RangeError', message: /at least 1 value/ });
  assert.throws(() => quantile([1, Number.NaN], 0.5), { name: 'RangeError', message: /xs\[1\] is NaN/ });
  assert.throws(() => quantile({} as number[], 0.5), { name: 'TypeError' });
  assert.throws(() => aucLogX([0, 1], [1, 1]), {
    name: 'RangeError',
    message: /x\[0\] must be > 0 for a log axis/,
  });
  assert.throws(() => aucLogX([1, 2, 3], [1, 1]), {
    name: 'RangeError',
    message: /x and y must have the same length, got 3 and 2/,
  });
  assert.throws(() => thresholdCrossing([1, 2], [1, 1], Number.NaN, 0.05), {
    name: 'RangeError',
    message: /reference/,
  });
  assert.throws(() => thresholdCrossing([1, 2], [1, 1], Number.POSITIVE_INFINITY, 0.05), {
    name: 'RangeError',
    message: /reference must be finite/,
  });
});
