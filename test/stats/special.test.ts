import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  betaInc,
  betaIncCInv,
  betaIncInv,
  betaIncTails,
  binomialCdf,
  chiSquareSf,
  gammaIncTails,
  logBeta,
  logGamma,
  normalCdf,
  normalCritical,
  normalQuantile,
  studentTCdf,
  studentTCritical,
  studentTQuantile,
} from '../../src/stats/special.js';
import { assertClose } from '../helpers/assert.js';
import { golden } from './golden.js';

const EPS = 2.220446049250313e-16;
const G = golden.special;

test('golden values name the tools that produced them', () => {
  assert.match(golden.tools.mpmath ?? '', /^\d+\.\d+/);
  assert.match(golden.tools.scipy ?? '', /^\d+\.\d+/);
});

test('logGamma and logBeta match mpmath', () => {
  // Lanczos (g = 7, n = 9) is good to ~1e-15 relative; near the zeros of ln Γ at 1 and 2 only
  // the absolute error is small, hence the atol.
  assertClose(
    G.logGamma.map((r) => logGamma(r[0]!)),
    G.logGamma.map((r) => r[1]!),
    { rtol: 4e-15, atol: 2e-15 },
    'logGamma',
  );
  // The Stirling-remainder form keeps relative accuracy even where ln Γ(a) + ln Γ(b) − ln Γ(a + b)
  // would cancel 1e13 against 1e13 (a = 1, b = 1e12: exactly −ln 1e12).
  assertClose(
    G.logBeta.map((r) => logBeta(r[0]!, r[1]!)),
    G.logBeta.map((r) => r[2]!),
    { rtol: 1e-14, atol: 1e-14 },
    'logBeta',
  );
});

test('regularized incomplete beta: both tails match mpmath to 1e-12 relative, down to 1e-300', () => {
  // Each tail is compared relative to itself, so a tail of 1e-200 must have 12 correct digits.
  // Expected error: ~1e-15 from the continued fraction and its prefactor, growing like
  // 1e-16·√max(a, b) for balanced huge shapes (1e-13 at a = b = 1e6); 1e-12 covers that with margin.
  const actualP: number[] = [];
  const actualQ: number[] = [];
  for (const [x, a, b] of G.betaInc) {
    const t = betaIncTails(x!, 1 - x!, a!, b!);
    actualP.push(t.p);
    actualQ.push(t.q);
  }
  const tiny = (v: number) => (v < 1e-300 ? 0 : v); // below 1e-300 doubles lose digits (subnormals)
  assertClose(
    actualP.map(tiny),
    G.betaInc.map((r) => tiny(r[3]!)),
    { rtol: 1e-12 },
    'I_x(a,b)',
  );
  assertClose(
    actualQ.map(tiny),
    G.betaInc.map((r) => tiny(r[4]!)),
    { rtol: 1e-12 },
    '1 - I_x(a,b)',
  );
  assert.equal(betaInc(0.3, 2, 3), betaIncTails(0.3, 0.7, 2, 3).p);
  assert.equal(betaInc(0, 2, 3), 0);
  assert.equal(betaInc(1, 2, 3), 1);
});

test('a t tail with 1e9 degrees of freedom is exact (the large-shape expansion, not the fraction)', () => {
  // The continued fraction alone gets this wrong in the 8th digit (its value ~a cancels);
  // mpmath: 0.5·I_{ν/(ν+4)}(ν/2, 1/2) at ν = 1e9.
  const row = G.studentTCdf.find((r) => r[0] === -2 && r[1] === 1e9)!;
  assertClose([studentTCdf(-2, 1e9)], [row[2]!], { rtol: 1e-14 }, 't cdf, df 1e9');
});

/**
 * The relative condition number of p ↦ I_x(a, b) at x: |d ln I / d ln x| for the tail that is
 * compared (estimated by a central difference). A root that is exact to one ulp still moves the
 * tail by this factor times ε, and a tail that is exact still moves the root by ε over it.
 */
function conditioning(x: number, a: number, b: number, upper: boolean): number {
  const h = 1e-6;
  const f = (v: number) => {
    const t = betaIncTails(v, 1 - v, a, b);
    return Math.log(upper ? t.q : t.p);
  };
  return Math.abs((f(x * (1 + h)) - f(x * (1 - h))) / (2 * h));
}

test('inverse incomplete beta matches mpmath root-finding, tails from 1e-300 to 1 - 1e-20', () => {
  // The solver stops within 4 ulps of the root of the computed I, which is good to ~1e-13; a
  // relative error δ in I moves the root by δ/κ, κ = |d ln I / d ln x| (for a = 0.01, x ∝ p^100:
  // κ = 100 the other way round, so the root's relative error is 100 δ). Allow 1e-13·max(1, 1/κ).
  for (const [p, a, b, x] of G.betaIncInv) {
    const upper = p! < 0;
    const got = upper ? betaIncCInv(-p!, a!, b!) : betaIncInv(p!, a!, b!);
    const kappa = conditioning(x!, a!, b!, upper ? true : p! > 0.5);
    const rtol = 1e-13 * Math.max(1, 1 / kappa);
    assertClose([got], [x!], { rtol, atol: 1e-300 }, `inverse(p=${p}, a=${a}, b=${b}), kappa ${kappa}`);
  }
  assert.equal(betaIncInv(0, 2, 3), 0);
  assert.equal(betaIncInv(1, 2, 3), 1);
  assert.equal(betaIncCInv(0, 2, 3), 1);
  assert.equal(betaIncCInv(1, 2, 3), 0);
});

test('inverse and forward incomplete beta round-trip', () => {
  // Independent of any fixture: I(I⁻¹(p)) = p up to the accuracy of I (1e-13) plus the root's
  // rounding (4 ulps) amplified by the conditioning κ (x^a near 0: κ ≈ a = 1e5 for a = 1e5).
  for (const [a, b] of [
    [0.5, 0.5],
    [3, 7],
    [40, 2],
    [2, 1e5],
    [1e5, 3],
    [123.4, 567.8],
  ] as const) {
    for (const p of [1e-12, 0.01, 0.37, 0.5, 0.99]) {
      const x = betaIncInv(p, a, b);
      const t = betaIncTails(x, 1 - x, a, b);
      const rtol = 1e-13 + 4 * EPS * conditioning(x, a, b, false);
      assertClose([t.p], [p], { rtol }, `I(I^-1(${p})) for a=${a}, b=${b}`);
    }
  }
});

test('normal CDF and quantile match mpmath to a few ulps, out to 1e-300', () => {
  // The CDF comes from Q(1/2, z²/2); forming z²/2 rounds by ε·z²/2, which scales the tail by
  // that factor: up to ~2e-13 relative at z = −38. The quantile is Acklam + one Halley step.
  assertClose(
    G.normalCdf.map((r) => normalCdf(r[0]!)),
    G.normalCdf.map((r) => r[1]!),
    { rtol: 4e-13 },
    'normalCdf',
  );
  // Near p = ½ the quantile is only determined to ulp(p)/φ(0) ≈ 1.4e-16 absolutely (p itself is
  // rounded), hence the atol; elsewhere a few ulps relative.
  assertClose(
    G.normalQuantile.map((r) => normalQuantile(r[0]!)),
    G.normalQuantile.map((r) => r[1]!),
    { rtol: 8 * EPS, atol: 4e-16 },
    'normalQuantile',
  );
  assert.equal(normalQuantile(0), Number.NEGATIVE_INFINITY);
  assert.equal(normalQuantile(1), Number.POSITIVE_INFINITY);
  assert.equal(normalCdf(Number.NEGATIVE_INFINITY), 0);
  assert.equal(normalCdf(Number.POSITIVE_INFINITY), 1);
  // Critical values from the tail: 0.95 → 1.959963984540054 (mpmath), 0.999999 keeps its digits.
  assertClose([normalCritical(0.95)], [1.959963984540054], { rtol: 4 * EPS }, 'z 0.95');
  assertClose([normalCritical(0.999999)], [-normalQuantile(5e-7)], { rtol: 1e-9 }, 'z 0.999999');
});

test('Student t CDF and quantile match mpmath for 1 to 1e12 degrees of freedom', () => {
  // The CDF inherits the incomplete beta's 1e-12; the quantile adds the inverse's few ulps
  // amplified by ν(1 − x)/x's conditioning for huge |t| (ν = 1, p = 1e-20: t ≈ 3e19).
  assertClose(
    G.studentTCdf.map((r) => studentTCdf(r[0]!, r[1]!)),
    G.studentTCdf.map((r) => r[2]!),
    { rtol: 1e-12 },
    'studentTCdf',
  );
  assertClose(
    G.studentTQuantile.map((r) => studentTQuantile(r[0]!, r[1]!)),
    G.studentTQuantile.map((r) => r[2]!),
    { rtol: 1e-12 },
    'studentTQuantile',
  );
  // ν = 1 is the Cauchy distribution: t_p = tan(π(p − ½)), an independent closed form.
  assertClose([studentTQuantile(0.975, 1)], [Math.tan(Math.PI * 0.475)], { rtol: 1e-14 }, 'Cauchy');
  assert.equal(studentTQuantile(0.3, Number.POSITIVE_INFINITY), normalQuantile(0.3));
  assert.equal(studentTCdf(-1.5, Number.POSITIVE_INFINITY), normalCdf(-1.5));
  assert.equal(studentTCdf(Number.NEGATIVE_INFINITY, 5), 0);
  assert.equal(studentTQuantile(0.5, 7), 0);
  assert.equal(studentTQuantile(0, 7), Number.NEGATIVE_INFINITY);
  assertClose([studentTCritical(0.95, 10)], [-studentTQuantile(0.025, 10)], { rtol: 4 * EPS }, 't crit');
});

test('chi-square tail and binomial CDF match mpmath', () => {
  // Series / continued fraction of the incomplete gamma: ~1e-14; huge k = 1e6 adds the
  // Stirling-form prefactor's ~1e-13.
  assertClose(
    G.chiSquareSf.map((r) => chiSquareSf(r[0]!, r[1]!)),
    G.chiSquareSf.map((r) => r[2]!),
    { rtol: 1e-12, atol: 1e-300 },
    'chiSquareSf',
  );
  // A tail of 1e-244 is exp(−561): the exponent's rounding (a few ε × 561) sets the relative
  // error, so the tolerance grows with |ln p|.
  for (const [k, n, p, v] of G.binomialCdf) {
    const rtol = 1e-14 + 4 * EPS * Math.abs(Math.log(v!));
    assertClose([binomialCdf(k!, n!, p!)], [v!], { rtol }, `binomialCdf(${k}, ${n}, ${p})`);
  }
  assert.equal(binomialCdf(-1, 10, 0.5), 0);
  assert.equal(binomialCdf(10, 10, 0.5), 1);
  const g = gammaIncTails(3, 0);
  assert.deepEqual(g, { p: 0, q: 1 });
  assert.deepEqual(gammaIncTails(3, Number.POSITIVE_INFINITY), { p: 1, q: 0 });
});

test('special functions reject arguments outside their domain with RangeError', () => {
  assert.throws(() => logGamma(0), { name: 'RangeError', message: /logGamma: x must be > 0, got 0/ });
  assert.throws(() => logBeta(-1, 2), { name: 'RangeError', message: /logBeta: a and b must be > 0/ });
  assert.throws(() => betaInc(1.5, 2, 3), {
    name: 'RangeError',
    message: /betaInc: x must be in \[0, 1\], got 1.5/,
  });
  assert.throws(() => betaInc(0.5, 0, 3), { name: 'RangeError', message: /betaInc: shape parameters/ });
  assert.throws(() => betaIncInv(Number.NaN, 2, 3), {
    name: 'RangeError',
    message: /betaIncInv: p must be in/,
  });
  assert.throws(() => betaIncCInv(2, 2, 3), { name: 'RangeError', message: /betaIncCInv: q must be in/ });
  assert.throws(() => betaIncInv(0.5, 2, Number.POSITIVE_INFINITY), {
    name: 'RangeError',
    message: /finite/,
  });
  assert.throws(() => gammaIncTails(0, 1), { name: 'RangeError', message: /gammaIncTails: a must be/ });
  assert.throws(() => gammaIncTails(1, -1), { name: 'RangeError', message: /gammaIncTails: x must be >= 0/ });
  assert.throws(() => normalCdf(Number.NaN), { name: 'RangeError', message: /normalCdf/ });
  assert.throws(() => normalQuantile(-0.1), {
    name: 'RangeError',
    message: /normalQuantile: p must be in \[0, 1\]/,
  });
  assert.throws(() => studentTCdf(1, 0), {
    name: 'RangeError',
    message: /degrees of freedom must be > 0, got 0/,
  });
  assert.throws(() => studentTCdf(Number.NaN, 3), { name: 'RangeError', message: /studentTCdf: t/ });
  assert.throws(() => studentTQuantile(1.2, 3), { name: 'RangeError', message: /studentTQuantile: p/ });
  assert.throws(() => chiSquareSf(-1, 3), { name: 'RangeError', message: /chiSquareSf: x must be >= 0/ });
  assert.throws(() => binomialCdf(1, 3, 2), { name: 'RangeError', message: /binomialCdf: p must be in/ });
});
