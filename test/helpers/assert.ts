/**
 * Numeric assertions shared by all tests. Floats are compared with explicit tolerances (each
 * call site says why its tolerance is what it is); bit patterns are compared exactly.
 */
import assert from 'node:assert/strict';
import { PrunefiError } from '../../src/core/errors.js';

/** Tolerances: |actual - expected| <= atol + rtol * |expected|, elementwise. */
export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/**
 * Asserts two arrays are elementwise close; reports the first failing index, both values and
 * the largest deviation, so a failure says where to look. NaN matches NaN only.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance = {},
  what = 'values',
): void {
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  assert.equal(
    actual.length,
    expected.length,
    `${what}: length ${actual.length} != expected ${expected.length}`,
  );
  let first = -1;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a) && first < 0) first = i;
      continue;
    }
    if (a === e) continue;
    const d = Math.abs(a - e);
    worst = Math.max(worst, d);
    if (!(d <= atol + rtol * Math.abs(e)) && first < 0) first = i;
  }
  if (first >= 0) {
    assert.fail(
      `${what}: index ${first}: actual ${actual[first]} vs expected ${expected[first]} (atol ${atol}, rtol ${rtol}); max |diff| ${worst}`,
    );
  }
}

/** Asserts that `fn` throws a PrunefiError with `code` whose message matches every pattern. */
export function assertPrunefiError(fn: () => unknown, code: string, ...patterns: RegExp[]): PrunefiError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  return checkError(caught, code, patterns);
}

/** Async twin of `assertPrunefiError`. */
export async function assertRejectsPrunefi(
  fn: () => Promise<unknown>,
  code: string,
  ...patterns: RegExp[]
): Promise<PrunefiError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  return checkError(caught, code, patterns);
}

function checkError(caught: unknown, code: string, patterns: RegExp[]): PrunefiError {
  assert.ok(
    caught instanceof PrunefiError,
    `expected a PrunefiError(${code}), got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`,
  );
  assert.equal(caught.code, code, `error code: ${caught.message}`);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}
