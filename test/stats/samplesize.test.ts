import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { leveugleMargin, leveugleSampleSize } from '../../src/stats/samplesize.js';
import { sequentialStop } from '../../src/stats/sequential.js';
import { assertClose } from '../helpers/assert.js';
import { golden, num } from './golden.js';

test('Leveugle sample sizes match the formula evaluated in mpmath, N from 1 to 1e12 and Infinity', () => {
  for (const r of golden.leveugle.sampleSize) {
    const n = leveugleSampleSize({
      population: num(r.population),
      margin: r.margin,
      confidence: r.confidence,
      p: r.p,
    });
    assert.equal(
      n,
      r.experiments,
      `N=${r.population} e=${r.margin} conf=${r.confidence} p=${r.p} (exact ${r.exact})`,
    );
  }
});

test('the classic figures: 385 experiments for ±5% at 95% on an unbounded population, 16 588 for ±1% at 99%', () => {
  // n0 = 1.959964² · 0.25 / 0.05² = 384.15 → 385; 2.575829² · 0.25 / 0.01² = 16587.3 → 16588
  // for N = ∞, and the finite population correction lowers it for N = 1e4.
  assert.equal(leveugleSampleSize({ population: Number.POSITIVE_INFINITY, margin: 0.05 }), 385);
  assert.equal(
    leveugleSampleSize({ population: Number.POSITIVE_INFINITY, margin: 0.01, confidence: 0.99 }),
    16588,
  );
  assert.equal(leveugleSampleSize({ population: 1e4, margin: 0.05 }), 370);
  // N = 1e12 is indistinguishable from ∞ at this precision but must not lose digits on the way.
  assert.equal(leveugleSampleSize({ population: 1e12, margin: 0.05 }), 385);
  assert.equal(leveugleSampleSize({ population: 1, margin: 0.05 }), 1);
  // A population smaller than n0 is tested almost exhaustively, never more than N.
  assert.ok(leveugleSampleSize({ population: 100, margin: 0.001 }) <= 100);
});

test('the inverse gives the margin achieved by n experiments', () => {
  // Closed form; 1e-14 relative for the few roundings of √ and the normal quantile.
  for (const r of golden.leveugle.margin) {
    const e = leveugleMargin({
      population: num(r.population),
      experiments: r.experiments,
      confidence: r.confidence,
      p: r.p,
    });
    assertClose([e], [r.margin], { rtol: 1e-14, atol: 0 }, `margin N=${r.population} n=${r.experiments}`);
  }
  // Round trip: the margin of the planned n is at most the margin asked for.
  for (const population of [1000, 4e8, Number.POSITIVE_INFINITY]) {
    for (const margin of [0.003, 0.02]) {
      const n = leveugleSampleSize({ population, margin, confidence: 0.999 });
      assert.ok(leveugleMargin({ population, experiments: n, confidence: 0.999 }) <= margin);
      if (n > 1) assert.ok(leveugleMargin({ population, experiments: n - 1, confidence: 0.999 }) > margin);
    }
  }
  assert.equal(leveugleMargin({ population: 500, experiments: 500 }), 0);
});

test('sample-size arguments are validated', () => {
  assert.throws(() => leveugleSampleSize({ population: 0, margin: 0.01 }), {
    name: 'RangeError',
    message: /leveugleSampleSize: population must be an integer >= 1 or Infinity, got 0/,
  });
  assert.throws(() => leveugleSampleSize({ population: 10.5, margin: 0.01 }), { name: 'RangeError' });
  assert.throws(() => leveugleSampleSize({ population: 1e6, margin: 1 }), {
    name: 'RangeError',
    message: /margin must be in \(0, 1\), got 1; pass the error margin as a fraction/,
  });
  assert.throws(() => leveugleSampleSize({ population: 1e6, margin: 0.01, p: 0 }), {
    name: 'RangeError',
    message: /p must be in \(0, 1\), got 0; pass the anticipated rate, or 0.5/,
  });
  assert.throws(() => leveugleSampleSize({ population: 1e6, margin: 0.01, confidence: 0 }), {
    name: 'RangeError',
  });
  assert.throws(() => leveugleSampleSize({ population: '1e6' as unknown as number, margin: 0.01 }), {
    name: 'TypeError',
    message: /population must be a number, got '1e6'/,
  });
  assert.throws(() => leveugleMargin({ population: 100, experiments: 101 }), {
    name: 'RangeError',
    message: /leveugleMargin: experiments must be an integer in \[1, population = 100\], got 101/,
  });
});

test('sequential stopping: Bonferroni over looks widens the intervals and decides on the widest', () => {
  const counts = [
    { k: 10, n: 1000 },
    { k: 300, n: 1000 },
  ];
  const d = sequentialStop(counts, { halfWidth: 0.05, maxLooks: 10 });
  assertClose([d.perLookConfidence], [0.995], { rtol: 1e-15 }, 'per-look level 1 - 0.05/10');
  assert.equal(d.intervals[0]!.confidence, d.perLookConfidence);
  assert.equal(d.widestIndex, 1, 'the rate near 0.3 has the widest interval');
  assert.equal(d.stop, true);
  assert.equal(sequentialStop(counts, { halfWidth: 0.03, maxLooks: 10 }).stop, false);
  const simultaneous = sequentialStop(counts, { halfWidth: 0.05, maxLooks: 10, simultaneous: true });
  assertClose([simultaneous.perLookConfidence], [0.9975], { rtol: 1e-15 }, 'level 1 - 0.05/(10·2)');
  assert.ok(simultaneous.widest > d.widest);
  const none = sequentialStop([{ k: 0, n: 0 }, ...counts], { halfWidth: 0.5, maxLooks: 1 });
  assert.equal(none.stop, false, 'a rate without experiments never allows stopping');
  assert.equal(none.widestIndex, 0);
});

test('sequential stopping with the correction keeps coverage at the stopping look (simulation)', () => {
  // A campaign looks every 50 experiments (at most 20 looks) and stops once the Clopper–Pearson
  // half-width is ≤ 0.06. Over 600 simulated campaigns with p = 0.2, the corrected intervals at
  // the stopping look must cover p at least 95% of the time up to Monte Carlo error (SE 0.009
  // at 0.95; the Bonferroni bound makes the true coverage ≥ 0.95, typically ~0.99).
  const rng = Rng.seeded('sequential-coverage');
  const p = 0.2;
  let covered = 0;
  const campaigns = 600;
  for (let c = 0; c < campaigns; c++) {
    let k = 0;
    let n = 0;
    for (let look = 1; look <= 20; look++) {
      for (let i = 0; i < 50; i++, n++) if (rng.float() < p) k++;
      const d = sequentialStop([{ k, n }], {
        halfWidth: 0.06,
        maxLooks: 20,
        look,
        method: 'clopper-pearson',
      });
      if (d.stop || look === 20) {
        const iv = d.intervals[0]!;
        if (iv.lower <= p && p <= iv.upper) covered++;
        break;
      }
    }
  }
  assert.ok(covered / campaigns >= 0.95 - 3 * 0.009, `coverage ${covered / campaigns}`);
});

test('sequential stopping arguments are validated', () => {
  const c = [{ k: 1, n: 10 }];
  assert.throws(() => sequentialStop(c, { halfWidth: 0.05, maxLooks: 5, look: 6 }), {
    name: 'RangeError',
    message:
      /options.look must be an integer in \[1, 5\], got 6; the alpha budget was split among maxLooks = 5 looks/,
  });
  assert.throws(() => sequentialStop(c, { halfWidth: 0, maxLooks: 5 }), {
    name: 'RangeError',
    message: /options.halfWidth must be a finite number > 0, got 0/,
  });
  assert.throws(() => sequentialStop(c, { halfWidth: 0.1, maxLooks: 0 }), {
    name: 'RangeError',
    message: /maxLooks/,
  });
  assert.throws(() => sequentialStop([], { halfWidth: 0.1, maxLooks: 2 }), {
    name: 'RangeError',
    message: /counts needs at least one rate/,
  });
  assert.throws(() => sequentialStop('x' as unknown as [], { halfWidth: 0.1, maxLooks: 2 }), {
    name: 'TypeError',
  });
  assert.throws(
    () => sequentialStop([null as unknown as { k: number; n: number }], { halfWidth: 0.1, maxLooks: 2 }),
    {
      name: 'TypeError',
      message: /counts\[0\] must be an object/,
    },
  );
  assert.throws(() => sequentialStop([{ k: 5, n: 3 }], { halfWidth: 0.1, maxLooks: 2 }), {
    name: 'RangeError',
    message: /k must be an integer in \[0, 3\]/,
  });
});
