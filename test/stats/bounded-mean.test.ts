import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tInterval } from '../../src/stats/bootstrap.js';
import { boundedMeanInterval } from '../../src/stats/bounded-mean.js';
import { assertClose } from '../helpers/assert.js';

test('bounded mean: a sample with spread gets the t interval, truncated to the bounds', () => {
  const xs = [0.7, 0.72, 0.74, 0.75];
  const t = tInterval(xs);
  const b = boundedMeanInterval(xs);
  assert.deepEqual([b.estimate, b.lower, b.upper], [t.estimate, t.lower, t.upper]);
  // A wide spread near 1: t reaches above 1, the mean cannot.
  const near = boundedMeanInterval([1, 1, 1, 0.2]);
  assert.equal(near.upper, 1);
  assert.equal(near.lower, tInterval([1, 1, 1, 0.2]).lower);
});

test('bounded mean: identical trials bound the chance of a differing one (rule of three)', () => {
  const b = boundedMeanInterval(new Array(20).fill(0.747));
  // Clopper–Pearson's upper bound for 0 of 20 at 95% two-sided is 1 − 0.025^(1/20) = 0.16843;
  // computed here in closed form, so only float rounding separates them (1e-12).
  const q = 1 - 0.025 ** (1 / 20);
  assertClose([b.lower, b.upper], [0.747 * (1 - q), 0.747 + q * (1 - 0.747)], { atol: 1e-12 });
  assert.equal(b.estimate, 0.747);
  assert.ok(b.upper > b.lower);
  // Wider with fewer trials, narrower with more.
  const few = boundedMeanInterval([0.5, 0.5]);
  const many = boundedMeanInterval(new Array(200).fill(0.5));
  assert.ok(few.upper - few.lower > b.upper - b.lower && many.upper - many.lower < b.upper - b.lower);
});

test('bounded mean: bad input is refused by name', () => {
  assert.throws(() => boundedMeanInterval([0.5]), /values/);
  assert.throws(() => boundedMeanInterval([0.5, 1.5]), /values\[1\] = 1.5 lies outside the bounds \[0, 1\]/);
  assert.throws(() => boundedMeanInterval([0.5, 0.6], 0.95, { lo: 1, hi: 0 }), /bounds.lo/);
});
