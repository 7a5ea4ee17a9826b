import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import {
  bcaInterval,
  bootstrapInterval,
  bootstrapReplicates,
  jackknifeValues,
  percentileInterval,
  stratifiedBootstrap,
  tInterval,
} from '../../src/stats/bootstrap.js';
import { aucInterval, thresholdInterval } from '../../src/stats/curves.js';
import { aucLogX, mean, thresholdCrossing } from '../../src/stats/summary.js';
import { assertClose } from '../helpers/assert.js';
import { golden } from './golden.js';

const S = golden.samples;

test('t intervals match the t quantile from mpmath (scipy.stats.t.interval agrees to 1e-8)', () => {
  // The fixture's interval is x̄ ± t·s/√n with t from mpmath; our t quantile is good to ~1e-14
  // and the mean and sd to a few ulps: 1e-13 relative.
  for (const r of golden.means) {
    for (const conf of [0.9, 0.95, 0.999]) {
      const iv = tInterval(S[r.name], conf);
      assertClose(
        [iv.lower, iv.upper],
        r[`t${conf}`] as number[],
        { rtol: 1e-13 },
        `t interval ${r.name} ${conf}`,
      );
      assert.equal(iv.method, 't');
    }
  }
  const flat = tInterval([0.5, 0.5, 0.5], 0.95);
  assert.deepEqual([flat.lower, flat.upper], [0.5, 0.5]);
});

test('BCa and percentile endpoints from fixed replicates match scipy.stats._resampling', () => {
  // Same replicates, same formulas (mid-rank bias share, jackknife acceleration, numpy's linear
  // percentile): differences come only from Φ and Φ⁻¹ (few ulps) shifting the interpolation
  // position by ~1e-16 × B; 1e-12 relative is far above that and far below any real difference.
  for (const r of golden.bootstrap) {
    const data = S[r.name];
    const est = mean(data);
    const jk = jackknifeValues(data);
    for (const conf of [0.9, 0.95]) {
      const bca = bcaInterval(est, r.replicates, jk, conf);
      assertClose(
        [bca.lower, bca.upper],
        r[`bca${conf}`] as number[],
        { rtol: 1e-12 },
        `BCa ${r.name} ${conf}`,
      );
      const pct = percentileInterval(est, r.replicates, conf);
      assertClose(
        [pct.lower, pct.upper],
        r[`percentile${conf}`] as number[],
        { rtol: 1e-12 },
        `pct ${r.name}`,
      );
    }
    // The acceleration scipy reports, recomputed: â = Σd³/(6(Σd²)^1.5) over jackknife deviations.
    const jm = mean(jk);
    let s2 = 0;
    let s3 = 0;
    for (const v of jk) {
      s2 += (jm - v) ** 2;
      s3 += (jm - v) ** 3;
    }
    assertClose([s3 / (6 * s2 ** 1.5)], [r.acceleration], { rtol: 1e-10 }, 'acceleration');
  }
});

test('bootstrapInterval agrees with scipy.stats.bootstrap (BCa, 20 000 resamples) within Monte Carlo error', () => {
  // Different generators, so the endpoints agree only up to Monte Carlo noise. The fixture gives
  // the mean and standard deviation of scipy's endpoints over 20 runs; our single run must fall
  // within 4·√(1 + 1/20)·sd of that mean (both runs are noisy; 4 SD keeps false failures < 1e-4).
  for (const r of golden.bootstrap) {
    const ref = r['scipyBca0.95'];
    const iv = bootstrapInterval(S[r.name], { rng: Rng.seeded(`bca-${r.name}`), resamples: ref.resamples });
    for (const [i, got] of [iv.lower, iv.upper].entries()) {
      const tol = 4 * Math.sqrt(1 + 1 / ref.runs) * ref.mcSd[i]!;
      assert.ok(
        Math.abs(got - ref.mean[i]!) <= tol,
        `${r.name} endpoint ${i}: ${got} vs scipy ${ref.mean[i]} ± ${tol}`,
      );
    }
  }
});

test('bootstraps are reproducible from the seed and independent of evaluation order', () => {
  const data = S.accuracies;
  const a = bootstrapInterval(data, { rng: Rng.seeded(5), resamples: 500 });
  const b = bootstrapInterval(data, { rng: Rng.seeded(5), resamples: 500 });
  assert.deepEqual(a, b);
  const c = bootstrapInterval(data, { rng: Rng.seeded(6), resamples: 500 });
  assert.notDeepEqual(a, c);
  // Resample i depends only on (rng, i): the first 300 of 500 replicates equal a 300-run's.
  const r500 = bootstrapReplicates(data, mean, Rng.seeded(9), 500);
  const r300 = bootstrapReplicates(data, mean, Rng.seeded(9), 300);
  assert.deepEqual(r500.subarray(0, 300), r300);
});

test('bootstrap of a custom statistic, and the percentile method on request', () => {
  const median = (s: Float64Array) => {
    const t = Float64Array.from(s).sort();
    return 0.5 * (t[(t.length - 1) >> 1]! + t[t.length >> 1]!);
  };
  const iv = bootstrapInterval(S.skewed, { rng: Rng.seeded(1), resamples: 1000, statistic: median });
  assert.equal(iv.method, 'bca');
  assert.ok(iv.lower <= iv.estimate && iv.estimate <= iv.upper);
  const pct = bootstrapInterval(S.skewed, { rng: Rng.seeded(1), resamples: 1000, method: 'percentile' });
  assert.equal(pct.method, 'percentile');
  // A constant sample has a degenerate bootstrap distribution: the interval collapses, no NaN.
  const flat = bootstrapInterval([0.7, 0.7, 0.7, 0.7], { rng: Rng.seeded(1), resamples: 200 });
  assert.deepEqual([flat.lower, flat.upper], [0.7, 0.7]);
});

test('bootstrap arguments are validated', () => {
  assert.throws(() => bootstrapInterval([1, 2, 3], { rng: {} as Rng }), {
    name: 'TypeError',
    message: /bootstrapInterval: options.rng must be an Rng/,
  });
  assert.throws(() => bootstrapInterval([1, 2, 3], { rng: Rng.seeded(1), resamples: 10 }), {
    name: 'RangeError',
    message: /options.resamples must be an integer in \[100, 100000000\], got 10/,
  });
  assert.throws(() => bootstrapInterval([1], { rng: Rng.seeded(1) }), {
    name: 'RangeError',
    message: /values needs at least 2 values, got 1/,
  });
  assert.throws(() => bootstrapInterval([1, Number.NaN], { rng: Rng.seeded(1) }), {
    name: 'RangeError',
    message: /values\[1\] must be finite, got NaN/,
  });
  assert.throws(() => bootstrapInterval([1, 2], { rng: Rng.seeded(1), method: 'basic' as 'bca' }), {
    name: 'RangeError',
    message: /options.method must be 'bca' or 'percentile', got 'basic'/,
  });
  assert.throws(
    () => bootstrapInterval([1, 2], { rng: Rng.seeded(1), statistic: 3 as unknown as () => number }),
    {
      name: 'TypeError',
      message: /options.statistic must be a function/,
    },
  );
  assert.throws(() => bootstrapInterval([1, 2], undefined as unknown as { rng: Rng }), { name: 'TypeError' });
  assert.throws(() => percentileInterval(0, [1, Number.NaN, 2]), {
    name: 'RangeError',
    message: /replicate 1 is NaN/,
  });
  assert.throws(() => percentileInterval(0, [1]), { name: 'RangeError', message: /at least 2 values/ });
  assert.throws(() => tInterval([1], 0.95), {
    name: 'RangeError',
    message: /tInterval: values needs at least 2/,
  });
  assert.throws(() => tInterval('abc' as unknown as number[]), { name: 'TypeError' });
});

const X = [1e-8, 1e-7, 1e-6, 1e-5];

test('stratified bootstrap: curve summaries get intervals that contain the point estimate', () => {
  const rng = Rng.seeded('curves');
  const trials = [
    [0.9, 0.9, 0.9, 0.89],
    [0.88, 0.86, 0.9, 0.87, 0.85],
    [0.6, 0.75, 0.5, 0.7],
    [0.1, 0.2, 0.15, 0.12],
  ];
  const means = trials.map((t) => mean(t));
  const auc = aucInterval(X, trials, { rng: rng.split('auc'), resamples: 1000, normalize: true });
  assertClose([auc.estimate], [aucLogX(X, means, { normalize: true })], { rtol: 1e-15 }, 'auc estimate');
  assert.ok(auc.lower < auc.estimate && auc.estimate < auc.upper);
  const thr = thresholdInterval(X, trials, 0.9, 0.05, { rng: rng.split('thr'), resamples: 1000 });
  assert.equal(thr.estimate, thresholdCrossing(X, means, 0.9, 0.05).x);
  assert.ok(thr.lower <= thr.estimate && thr.estimate <= thr.upper && thr.upper < 1e-6);
  // A curve that sometimes never drops within the range: the upper bound is honestly Infinity.
  const late = [[0.9], [0.9, 0.9], [0.9, 0.88], [0.86, 0.8, 0.9, 0.87]];
  const censored = thresholdInterval(X, late, 0.9, 0.05, { rng: rng.split('late'), resamples: 1000 });
  assert.equal(censored.upper, Number.POSITIVE_INFINITY);
  // A ratio between two models: strata of both, statistic splits the means.
  const ratio = stratifiedBootstrap(
    [...trials, ...late],
    (m) => aucLogX(X, m.subarray(0, 4)) / aucLogX(X, m.subarray(4)),
    { rng: rng.split('ratio'), resamples: 1000 },
  );
  assert.ok(ratio.lower < ratio.estimate && ratio.estimate < ratio.upper && ratio.upper < 1);
});

test('stratified bootstrap arguments are validated', () => {
  const rng = Rng.seeded(1);
  assert.throws(() => aucInterval(X, [[1], [1]], { rng }), {
    name: 'RangeError',
    message: /aucInterval: trials must have one sample per x value, got 2 samples for 4 x values/,
  });
  assert.throws(() => thresholdInterval(X, [[1], [1], [], [1]], 0.9, 0.05, { rng }), {
    name: 'RangeError',
    message: /strata\[2\] needs at least 1 value/,
  });
  assert.throws(() => thresholdInterval(X, [[1], [1], [1], [1]], 0.9, -1, { rng }), {
    name: 'RangeError',
    message: /drop must be a finite number > 0/,
  });
  assert.throws(() => aucInterval([1e-5, 1e-6], [[1], [1]], { rng }), {
    name: 'RangeError',
    message: /x must be strictly increasing/,
  });
  assert.throws(() => stratifiedBootstrap([], () => 0, { rng }), {
    name: 'RangeError',
    message: /at least 1 stratum/,
  });
  assert.throws(() => stratifiedBootstrap('a' as unknown as number[][], () => 0, { rng }), {
    name: 'TypeError',
  });
  assert.throws(() => stratifiedBootstrap([[1]], () => Number.NaN, { rng }), {
    name: 'RangeError',
    message: /stratifiedBootstrap: statistic returned NaN on the observed strata means/,
  });
  let calls = 0;
  assert.throws(() => stratifiedBootstrap([[1, 2]], () => (calls++ === 0 ? 1 : Number.NaN), { rng }), {
    name: 'RangeError',
    message: /replicate 0 is NaN; the statistic must be defined on every resample/,
  });
});

test('lower-level bootstrap helpers validate their arguments', () => {
  assert.throws(() => bootstrapReplicates([1, 2], mean, Rng.seeded(1), 5), {
    name: 'RangeError',
    message: /bootstrapReplicates: options.resamples must be an integer in \[100/,
  });
  assert.throws(() => bootstrapReplicates([], mean, Rng.seeded(1), 100), { name: 'RangeError' });
  assert.throws(() => jackknifeValues([1]), {
    name: 'RangeError',
    message: /jackknifeValues: values needs at least 2/,
  });
  assert.throws(() => bcaInterval(Number.NaN, [1, 2], [1, 2]), {
    name: 'RangeError',
    message: /bcaInterval: estimate must be a number, got NaN/,
  });
  assert.throws(() => bcaInterval(1, [1, 2], [1]), {
    name: 'RangeError',
    message: /jackknife needs at least 2/,
  });
  assert.throws(() => percentileInterval('1' as unknown as number, [1, 2]), { name: 'TypeError' });
});
