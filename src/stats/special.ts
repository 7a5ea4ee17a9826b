/**
 * Special functions behind every interval and test: log-gamma, the regularized incomplete beta
 * and gamma functions and their inverses, and the normal, Student t, chi-square and binomial
 * distributions built on them. Everything is computed in double precision from formulas in
 * Abramowitz & Stegun (1964, "A&S") and DiDonato & Morris (1992); the smaller tail is always
 * computed directly (never as 1 − something), so p-values of 1e-300 keep their relative precision.
 *
 * Internal functions take both x and y = 1 − x where it matters: a caller that knows 1 − x
 * exactly (a t statistic, a binomial p) must not lose it to rounding.
 */

import { nth } from '../core/checked.js';

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EPS = 2.220446049250313e-16;
/** Stand-in for zero in Lentz's algorithm (keeps 1/d finite). */
const TINY = 1e-300;

// Lanczos approximation with g = 7, n = 9 (coefficients of Godfrey; relative error ~1e-15 for x > 0).
const LANCZOS_G = 7;
const LANCZOS_C = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * ln Γ(x) for x > 0 by the Lanczos approximation (Lanczos 1964; g = 7, n = 9), with Euler's
 * reflection formula Γ(x)Γ(1 − x) = π / sin(πx) below 1/2. Relative error about 1e-15 except
 * near the zeros of ln Γ at 1 and 2, where the absolute error is about 1e-15.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma: x must be > 0, got ${x}`);
  if (x === Number.POSITIVE_INFINITY) return x;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = nth(LANCZOS_C, 0);
  for (let i = 1; i < LANCZOS_C.length; i++) s += nth(LANCZOS_C, i) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/**
 * Stirling's remainder δ(x) = ln Γ(x) − [(x − ½) ln x − x + ½ ln 2π]. For x ≥ 10 from its
 * asymptotic series with Bernoulli numbers (A&S 6.1.41, terms up to x⁻¹³, error < 1e-16);
 * below from log-gamma, where both terms are O(1) and nothing cancels badly. Factoring δ out is
 * what keeps ln B(a, b) and the incomplete-function prefactors accurate when a, b are ~1e12.
 */
function stirlingRemainder(x: number): number {
  if (x >= 10) {
    const r = 1 / x;
    const r2 = r * r;
    return (
      r *
      (1 / 12 +
        r2 *
          (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 / 156))))))
    );
  }
  return logGamma(x) - ((x - 0.5) * Math.log(x) - x + LN_SQRT_2PI);
}

/** a · ln(x·s/a) where x·s/a − 1 = r is known accurately (log1p near 1, plain logs far from it). */
function scaledLog(a: number, x: number, s: number, r: number): number {
  if (Math.abs(r) < 0.5) return a * Math.log1p(r);
  return a * (Math.log(x) + Math.log(s) - Math.log(a));
}

/**
 * ln B(a, b) for a, b > 0, written with Stirling remainders so that nothing of size a or b
 * cancels: ln B = ½ln 2π − ½ ln s + (a − ½) ln(a/s) + (b − ½) ln(b/s) + δ(a) + δ(b) − δ(s),
 * s = a + b (follows from Stirling's formula for each Γ; exact given exact δ).
 */
export function logBeta(a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`logBeta: a and b must be > 0, got a = ${a}, b = ${b}`);
  const s = a + b;
  const lnA = a < b ? Math.log(a / s) : Math.log1p(-b / s);
  const lnB = a < b ? Math.log1p(-a / s) : Math.log(b / s);
  return (
    LN_SQRT_2PI -
    0.5 * Math.log(s) +
    (a - 0.5) * lnA +
    (b - 0.5) * lnB +
    stirlingRemainder(a) +
    stirlingRemainder(b) -
    stirlingRemainder(s)
  );
}

/**
 * xᵃ yᵇ / B(a, b) with y = 1 − x, the prefactor of the incomplete beta continued fraction.
 * Expanded around the mode x = a/s (DiDonato & Morris 1992, §2) as
 * exp(a ln(xs/a) + b ln(ys/b)) · √(ab / 2πs) · exp(δ(s) − δ(a) − δ(b)), so that for huge a, b
 * the two large logarithms never cancel.
 */
function betaPowerTerms(x: number, y: number, a: number, b: number): number {
  const s = a + b;
  // d = x·s − a = b − y·s, formed from the smaller of x and y: the larger one carries the
  // rounding of 1 − (smaller), which times a ~ 1e9 would be visible.
  const d = x <= y ? x * s - a : b - y * s;
  const la = scaledLog(a, x, s, d / a);
  const lb = scaledLog(b, y, s, -d / b);
  const lnc = 0.5 * (Math.log(a) + Math.log(b) - Math.log(s)) - LN_SQRT_2PI;
  return Math.exp(la + lb + lnc + stirlingRemainder(s) - stirlingRemainder(a) - stirlingRemainder(b));
}

/** Iteration cap for continued fractions and series: they converge in O(√max(a, b)) terms. */
function iterationCap(a: number, b: number): number {
  return Math.ceil(1000 + 100 * Math.sqrt(Math.max(a, b)));
}

/**
 * The continued fraction of I_x(a, b) (A&S 26.5.8): 1/(1+ e₁/(1+ e₂/(1+ …))) with
 * e₂ₘ₊₁ = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)), e₂ₘ = m(b−m)x / ((a+2m−1)(a+2m)), evaluated by the
 * modified Lentz method (Thompson & Barnett 1986). Converges fast for x < (a+1)/(a+b+2).
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  // f = b0 + a1/(b1 + a2/(b2 + ...)) with b0 = 0, a1 = 1, all b_j = 1, a_{j+1} = e_j.
  let f = TINY;
  let c = f;
  let d = 0;
  const cap = iterationCap(a, b);
  for (let j = 1; j <= cap; j++) {
    let aj: number;
    if (j === 1) aj = 1;
    else {
      const i = j - 1; // e_i
      const m = Math.floor(i / 2);
      aj =
        i % 2 === 1
          ? (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
          : (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    }
    d = 1 + aj * d;
    if (d === 0) d = TINY;
    c = 1 + aj / c;
    if (c === 0) c = TINY;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return f;
}

/** Both tails of the regularized incomplete beta function: p = I_x(a, b), q = 1 − p. */
export interface Tails {
  p: number;
  q: number;
}

/**
 * When a is large and x = 1 − y is near 1 the continued fraction's value grows like a and its
 * first terms cancel (relative error ~1e-16 · a: 1e-8 for a t distribution with 1e9 degrees of
 * freedom). There the expansion below is used instead; it needs a ≥ 1000 (below that the
 * fraction loses under 1e-13) and a small effective range v of the integrand: −ln x plus ten
 * standard deviations of the Gamma(b) mass, scaled by T ≈ a, so that (b − 1)v² stays small.
 */
function largeShapeApplies(a: number, b: number, y: number): boolean {
  if (a < 1000) return false;
  const T = a + 0.5 * (b - 1);
  const v = -Math.log1p(-y) + (b + 10 * Math.sqrt(b) + 10) / T;
  return v < 0.5 && Math.abs(b - 1) * v * v < 1;
}

/**
 * I_x(a, b), x = 1 − y, for large a, by an expansion in incomplete gamma functions (the method of
 * DiDonato & Morris 1992, "BGRAT", derived here from the integral): substituting s = e⁻ᵛ,
 * I_x(a, b) = (1/B(a, b)) ∫_{v₀}^∞ e^{−Tv} v^{b−1} h(v) dv with v₀ = −ln x, T = a + (b − 1)/2 and
 * h(v) = (sinh(v/2)/(v/2))^{b−1} = Σ cₙ v²ⁿ, so that with u = T v₀
 *   I_x(a, b) = M Σ cₙ Γ(b + 2n, u) / (Γ(b) T²ⁿ),   1 − I_x(a, b) = M Σ cₙ γ(b + 2n, u) / (Γ(b) T²ⁿ),
 * M = Γ(a + b)/(Γ(a) Tᵇ) = 1 + O(T⁻²). The cₙ come from the series of sinh(z)/z raised to the
 * power b − 1 (J. C. P. Miller's recurrence); Γ(s + 2, u) = s(s + 1)Γ(s, u) + uˢe⁻ᵘ(s + 1 + u) is
 * a stable forward recurrence, and the smaller tail is summed directly.
 */
function betaIncLargeShape(y: number, a: number, b: number): Tails {
  const T = a + 0.5 * (b - 1);
  const u = -T * Math.log1p(-y);
  const lnM =
    (a - 0.5) * Math.log1p(b / a) -
    b +
    b * Math.log1p((b + 1) / (2 * T)) +
    stirlingRemainder(a + b) -
    stirlingRemainder(a);
  const M = Math.exp(lnM);
  const g = gammaIncTails(b, u);
  const upperSmall = g.q <= g.p;
  const T2 = T * T;
  const alpha = b - 1;
  // Series of sinh(z)/z in w = v², z = v/2: s_k = 1/((2k+1)! 4^k); h = s^alpha by Miller's recurrence.
  const sk: number[] = [1];
  const c: number[] = [1];
  let G = g.q; // Γ(b+2n, u)/(Γ(b) T^2n)
  let E = gammaPowerTerms(b, u); // u^(b+2n) e^-u/(Γ(b) T^2n)
  let F = 1; // Γ(b+2n)/(Γ(b) T^2n)
  let sum = upperSmall ? g.q : g.p;
  for (let n = 1; n <= 60; n++) {
    sk.push(nth(sk, n - 1) / (8 * n * (2 * n + 1)));
    let cn = 0;
    for (let k = 1; k <= n; k++) cn += ((alpha + 1) * k - n) * sk[k]! * c[n - k]!;
    cn /= n;
    c.push(cn);
    const s = b + 2 * (n - 1);
    G = (s * (s + 1) * G + E * (s + 1 + u)) / T2;
    E *= (u * u) / T2;
    F *= (s * (s + 1)) / T2;
    let part: number;
    if (upperSmall) part = G;
    else if (u < s + 2) part = E * gammaLowerSeries(s + 2, u);
    else part = F - G;
    const term = cn * part;
    sum += term;
    if (Math.abs(term) <= EPS * Math.abs(sum)) break;
  }
  const v = Math.min(1, Math.max(0, M * sum));
  return upperSmall ? { p: v, q: 1 - v } : { p: 1 - v, q: v };
}

/** Σₖ uᵏ / (s(s+1)…(s+k)): γ(s, u) = uˢe⁻ᵘ times this (A&S 6.5.29); fast for u < s. */
function gammaLowerSeries(s: number, u: number): number {
  let term = 1 / s;
  let sum = term;
  const cap = iterationCap(s, u);
  for (let k = 1; k <= cap; k++) {
    term *= u / (s + k);
    sum += term;
    if (term < sum * EPS) break;
  }
  return sum;
}

/**
 * I_x(a, b) and its complement for x with y = 1 − x given separately. The continued fraction is
 * evaluated on the side where it converges (the symmetry I_x(a, b) = 1 − I_y(b, a)), so the tail
 * it returns directly is the small one and keeps full relative precision; for large a with x near
 * 1 (or large b with x near 0) the incomplete-gamma expansion is used instead. The hot path of
 * every interval and test, so it does not check its arguments: `betaInc` is the checked entry.
 */
export function betaIncTails(x: number, y: number, a: number, b: number): Tails {
  if (x <= 0) return { p: 0, q: 1 };
  if (y <= 0) return { p: 1, q: 0 };
  if (a >= b) {
    if (largeShapeApplies(a, b, y)) return betaIncLargeShape(y, a, b);
  } else if (largeShapeApplies(b, a, x)) {
    const t = betaIncLargeShape(x, b, a);
    return { p: t.q, q: t.p };
  }
  if (x < (a + 1) / (a + b + 2)) {
    const v = Math.min(1, (betaPowerTerms(x, y, a, b) * betaContinuedFraction(x, a, b)) / a);
    return { p: v, q: 1 - v };
  }
  const v = Math.min(1, (betaPowerTerms(y, x, b, a) * betaContinuedFraction(y, b, a)) / b);
  return { p: 1 - v, q: v };
}

function checkShape(fn: string, a: number, b: number): void {
  if (!(a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b)))
    throw new RangeError(`${fn}: shape parameters must be finite and > 0, got a = ${a}, b = ${b}`);
}

/**
 * The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) for x in [0, 1] and
 * a, b > 0: the CDF of the Beta(a, b) distribution (A&S 26.5.1).
 */
export function betaInc(x: number, a: number, b: number): number {
  checkShape('betaInc', a, b);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`betaInc: x must be in [0, 1], got ${x}`);
  return betaIncTails(x, 1 - x, a, b).p;
}

/**
 * A starting point for inverting I_x(a, b) = p (q = 1 − p). For a, b ≥ 1 the normal
 * approximation of A&S 26.5.22; otherwise the approximation of the integrand by its behaviour
 * near 0 and near 1 (xᵃ/a and yᵇ/b). Newton's method with a bracket does the rest.
 */
function betaIncInvGuess(p: number, q: number, a: number, b: number): number {
  if (a >= 1 && b >= 1) {
    const yp = -normalQuantileLower(Math.min(p, q)) * (p <= q ? 1 : -1); // upper-tail quantile of p
    const lam = (yp * yp - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w =
      (yp * Math.sqrt(h + lam)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (lam + 5 / 6 - 2 / (3 * h));
    return a / (a + b * Math.exp(2 * w));
  }
  const s = a + b;
  const t = Math.exp(a * Math.log(a / s)) / a;
  const u = Math.exp(b * Math.log(b / s)) / b;
  const w = t + u;
  if (p < t / w) return (a * w * p) ** (1 / a);
  return 1 - (b * w * q) ** (1 / b);
}

/**
 * Solves I_x(a, b) = p, given p and q = 1 − p (the smaller one drives the iteration, so quantiles
 * of tiny tails are exact). Newton's method on the bracketing interval, falling back to
 * bisection (geometric near 0 and 1, where the root may be 1e-300 away) whenever a step leaves the
 * bracket or the density is not finite, so it always converges.
 */
function betaIncSolve(p: number, q: number, a: number, b: number): number {
  if (p <= 0) return 0;
  if (q <= 0) return 1;
  const lower = p <= q;
  let lo = 0;
  let hi = 1;
  let x = betaIncInvGuess(p, q, a, b);
  if (!(x > 0 && x < 1)) x = a / (a + b);
  for (let iter = 0; iter < 2000; iter++) {
    const y = 1 - x;
    const t = betaIncTails(x, y, a, b);
    const f = lower ? t.p - p : q - t.q;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const density = betaPowerTerms(x, y, a, b) / (x * y);
    let next = x - f / density;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) {
      if (lo === 0) next = hi / 16;
      else if (hi === 1) next = 1 - (1 - lo) / 16;
      else if (hi / lo > 16) next = Math.sqrt(lo * hi);
      else if ((1 - lo) / (1 - hi) > 16) next = 1 - Math.sqrt((1 - lo) * (1 - hi));
      else next = 0.5 * (lo + hi);
    }
    if (Math.abs(next - x) <= 4 * EPS * next || hi - lo <= 4 * EPS * hi) return next;
    x = next;
  }
  return x;
}

/**
 * The inverse of the regularized incomplete beta function: the x with I_x(a, b) = p (the
 * p-quantile of Beta(a, b)). Used for Clopper–Pearson bounds and t quantiles.
 */
export function betaIncInv(p: number, a: number, b: number): number {
  checkShape('betaIncInv', a, b);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`betaIncInv: p must be in [0, 1], got ${p}`);
  return betaIncSolve(p, 1 - p, a, b);
}

/**
 * The complementary inverse: the x with 1 − I_x(a, b) = q. Use it for upper-tail quantiles so
 * that a tail probability like 1e-20 is not rounded away by forming 1 − q.
 */
export function betaIncCInv(q: number, a: number, b: number): number {
  checkShape('betaIncCInv', a, b);
  if (!(q >= 0 && q <= 1)) throw new RangeError(`betaIncCInv: q must be in [0, 1], got ${q}`);
  return betaIncSolve(1 - q, q, a, b);
}

/**
 * xᵃe⁻ˣ/Γ(a), written as exp(a(ln(x/a) + 1 − x/a) − δ(a)) · √(a/2π) so that the large terms
 * a ln x and x never cancel when a ~ x ~ 1e9.
 */
function gammaPowerTerms(a: number, x: number): number {
  const r = (x - a) / a;
  const core = Math.abs(r) < 0.5 ? a * (Math.log1p(r) - r) : a * Math.log(x / a) + a - x;
  return Math.exp(core + 0.5 * Math.log(a) - LN_SQRT_2PI - stirlingRemainder(a));
}

/**
 * Both tails of the regularized incomplete gamma function: P(a, x) = γ(a, x)/Γ(a) and
 * Q(a, x) = 1 − P (A&S 6.5.1). The series (A&S 6.5.29) for x < a + 1 and the Legendre continued
 * fraction (A&S 6.5.31, modified Lentz) otherwise, each giving its own tail directly.
 */
export function gammaIncTails(a: number, x: number): Tails {
  if (!(a > 0 && Number.isFinite(a)))
    throw new RangeError(`gammaIncTails: a must be finite and > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`gammaIncTails: x must be >= 0, got ${x}`);
  if (x === 0) return { p: 0, q: 1 };
  if (x === Number.POSITIVE_INFINITY) return { p: 1, q: 0 };
  const prefactor = gammaPowerTerms(a, x);
  if (x < a + 1) {
    const p = Math.min(1, gammaLowerSeries(a, x) * prefactor);
    return { p, q: 1 - p };
  }
  const cap = iterationCap(a, x);
  // Q = prefactor · 1/(x+1−a − 1(1−a)/(x+3−a − 2(2−a)/(x+5−a − …))).
  let f = TINY;
  let c = f;
  let d = 0;
  for (let j = 1; j <= cap; j++) {
    const aj = j === 1 ? 1 : -(j - 1) * (j - 1 - a);
    const bj = x + 2 * j - 1 - a;
    d = bj + aj * d;
    if (d === 0) d = TINY;
    c = bj + aj / c;
    if (c === 0) c = TINY;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  const q = Math.min(1, f * prefactor);
  return { p: 1 - q, q };
}

/**
 * The standard normal CDF Φ(z) = ½ erfc(−z/√2), with erfc(u) = Q(½, u²) (A&S 7.1.2, 6.5.17), so
 * the lower tail is computed directly: Φ(−38) ≈ 2.9e-316 keeps its digits.
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('normalCdf: z must be a number, got NaN');
  if (z === 0) return 0.5;
  const t = gammaIncTails(0.5, 0.5 * z * z);
  return z < 0 ? 0.5 * t.q : 0.5 + 0.5 * t.p;
}

// Acklam's rational approximation to the normal quantile (relative error 1.15e-9), refined below.
const ACK_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const ACK_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
];
const ACK_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACK_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

function poly(c: readonly number[], x: number): number {
  let s = 0;
  for (const v of c) s = s * x + v;
  return s;
}

/** Φ⁻¹(p) for 0 < p ≤ ½: Acklam's approximation plus one Halley step on log-scaled residuals. */
function normalQuantileLower(p: number): number {
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(ACK_C, q) / (poly(ACK_D, q) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(ACK_A, r) * q) / (poly(ACK_B, r) * r + 1);
  }
  // Halley's step for Φ(x) = p: u = (Φ(x) − p)/φ(x), computed as (Φ(x)/p − 1)·exp(ln p − ln φ(x))
  // so that neither φ(x) nor p underflows for p down to 1e-320.
  const u = (normalCdf(x) / p - 1) * Math.exp(Math.log(p) + 0.5 * x * x + LN_SQRT_2PI);
  return x - u / (1 + 0.5 * x * u);
}

/**
 * The standard normal quantile Φ⁻¹(p): Acklam's rational approximation (2003, relative error
 * 1.15e-9) refined by one Halley step against the accurate `normalCdf`, which brings it to a few
 * ulps. Symmetric: the upper half is −Φ⁻¹(1 − p), and 1 − p is exact for p ≥ ½.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  return p < 0.5 ? normalQuantileLower(p) : -normalQuantileLower(1 - p);
}

/**
 * The two-sided critical value z with P(|Z| > z) = 1 − confidence, computed from the tail
 * (1 − confidence)/2 directly so that confidence 0.999999 loses nothing.
 */
export function normalCritical(confidence: number): number {
  return -normalQuantileLower((1 - confidence) / 2);
}

function checkDf(fn: string, df: number): void {
  if (!(df > 0)) throw new RangeError(`${fn}: degrees of freedom must be > 0, got ${df}`);
}

/**
 * The Student t CDF with ν (possibly fractional, possibly infinite) degrees of freedom:
 * P(T ≤ t) = ½ I_{ν/(ν+t²)}(ν/2, ½) for t < 0 (A&S 26.7.1 with 26.5.27); both arguments of the
 * incomplete beta are formed without subtraction.
 */
export function studentTCdf(t: number, df: number): number {
  checkDf('studentTCdf', df);
  if (Number.isNaN(t)) throw new RangeError('studentTCdf: t must be a number, got NaN');
  if (df === Number.POSITIVE_INFINITY) return normalCdf(t);
  if (t === 0) return 0.5;
  if (!Number.isFinite(t)) return t < 0 ? 0 : 1;
  const t2 = t * t;
  const x = df / (df + t2);
  const y = t2 / (df + t2);
  const tail = 0.5 * betaIncTails(x, y, 0.5 * df, 0.5).p;
  return t < 0 ? tail : 1 - tail;
}

/**
 * The Student t quantile: for the lower tail p < ½, x = I⁻¹(2p; ν/2, ½) and t = −√(ν(1−x)/x).
 * The complement y = 1 − x is solved for directly when it is the smaller (large ν or t near 0),
 * so neither ν = 1e9 nor p = 1e-20 loses precision. ν = ∞ is the normal quantile.
 */
export function studentTQuantile(p: number, df: number): number {
  checkDf('studentTQuantile', df);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`studentTQuantile: p must be in [0, 1], got ${p}`);
  if (df === Number.POSITIVE_INFINITY) return normalQuantile(p);
  if (p === 0.5) return 0;
  const tail = Math.min(p, 1 - p);
  const sign = p < 0.5 ? -1 : 1;
  if (tail === 0) return sign * Number.POSITIVE_INFINITY;
  // 1 − I_y(½, ν/2) = 2·tail  ⇔  I_x(ν/2, ½) = 2·tail, with y = t²/(ν + t²).
  let y = betaIncSolve(1 - 2 * tail, 2 * tail, 0.5, 0.5 * df);
  let x: number;
  if (y <= 0.5) x = 1 - y;
  else {
    x = betaIncSolve(2 * tail, 1 - 2 * tail, 0.5 * df, 0.5);
    y = 1 - x;
  }
  return sign * Math.sqrt((df * y) / x);
}

/** The two-sided Student t critical value for a confidence level, from the tail directly. */
export function studentTCritical(confidence: number, df: number): number {
  return -studentTQuantile((1 - confidence) / 2, df);
}

/** The upper tail of the chi-square distribution with k degrees of freedom: Q(k/2, x/2). */
export function chiSquareSf(x: number, k: number): number {
  checkDf('chiSquareSf', k);
  if (!(x >= 0)) throw new RangeError(`chiSquareSf: x must be >= 0, got ${x}`);
  return gammaIncTails(0.5 * k, 0.5 * x).q;
}

/**
 * The binomial CDF P(X ≤ k) for X ~ Bin(n, p), as I_{1−p}(n − k, k + 1) (A&S 26.5.24), with
 * 1 − p passed exactly alongside p.
 */
export function binomialCdf(k: number, n: number, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomialCdf: p must be in [0, 1], got ${p}`);
  if (k < 0) return 0;
  if (k >= n) return 1;
  const kk = Math.floor(k);
  return betaIncTails(1 - p, p, n - kk, kk + 1).p;
}
