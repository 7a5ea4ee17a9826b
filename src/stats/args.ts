/**
 * Argument checks shared by the statistics functions. Every public function validates its inputs
 * here so that a wrong kind of argument is a `TypeError`, a bad value a `RangeError`, and every
 * message names the function, the argument, what was expected, what was received and what to do.
 */

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return `a ${v.constructor?.name ?? 'object'}`;
  return String(v);
}

/** Throws a TypeError unless `v` is a number (NaN is a bad value, reported as a RangeError). */
export function checkNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number, got ${show(v)}`);
  if (Number.isNaN(v)) throw new RangeError(`${fn}: ${name} must be a number, got NaN`);
  return v;
}

/** An integer in [min, max]; `hint` tells the caller what the argument means. */
export function checkInteger(
  fn: string,
  name: string,
  v: unknown,
  min: number,
  max: number,
  hint: string,
): number {
  const x = checkNumber(fn, name, v);
  if (!Number.isSafeInteger(x) || x < min || x > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${fn}: ${name} must be an integer ${range}, got ${x}; ${hint}`);
  }
  return x;
}

/** A probability strictly inside (0, 1). */
export function checkOpenUnit(fn: string, name: string, v: unknown, hint: string): number {
  const x = checkNumber(fn, name, v);
  if (!(x > 0 && x < 1)) throw new RangeError(`${fn}: ${name} must be in (0, 1), got ${x}; ${hint}`);
  return x;
}

/** A confidence level strictly inside (0, 1), e.g. 0.95. */
export function checkConfidence(fn: string, v: unknown): number {
  return checkOpenUnit(fn, 'confidence', v, 'pass a level such as 0.95 (not a percentage)');
}

/** A finite positive number. */
export function checkPositive(fn: string, name: string, v: unknown, hint: string): number {
  const x = checkNumber(fn, name, v);
  if (!(x > 0 && Number.isFinite(x)))
    throw new RangeError(`${fn}: ${name} must be a finite number > 0, got ${x}; ${hint}`);
  return x;
}

/** An array (or typed array) of at least `minLength` finite numbers. */
export function checkSample(fn: string, name: string, v: unknown, minLength: number): ArrayLike<number> {
  const ok = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && typeof v === 'object');
  if (!ok) throw new TypeError(`${fn}: ${name} must be an array of numbers, got ${show(v)}`);
  const a = v as ArrayLike<unknown>;
  if (a.length < minLength)
    throw new RangeError(
      `${fn}: ${name} needs at least ${minLength} value${minLength === 1 ? '' : 's'}, got ${a.length}`,
    );
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number') throw new TypeError(`${fn}: ${name}[${i}] must be a number, got ${show(x)}`);
    if (!Number.isFinite(x)) throw new RangeError(`${fn}: ${name}[${i}] must be finite, got ${x}`);
  }
  return a as ArrayLike<number>;
}

/** A function argument. */
export function checkFunction(fn: string, name: string, v: unknown): void {
  if (typeof v !== 'function') throw new TypeError(`${fn}: ${name} must be a function, got ${show(v)}`);
}
