/**
 * A seeded, splittable, counter-based random number generator (Philox4x32-10, the generator of
 * cuRAND, JAX and numpy's Philox). Every random choice in prunefi takes an `Rng` argument, and
 * `split(...)` derives independent streams from a path, so experiment i of a campaign is
 * `rng.split('experiment', i)` and replays alone, in any order, on any machine.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 values. */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid1 = aHi * bLo + (lolo >>> 16);
  const mid2 = aLo * bHi + (mid1 & 0xffff);
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16)) >>> 0;
}

/** Philox4x32-10 block function: encrypts counter `c` under key `k` into `out`. */
export function philox4x32(c: Uint32Array, k0: number, k1: number, out: Uint32Array): void {
  let c0 = c[0]!;
  let c1 = c[1]!;
  let c2 = c[2]!;
  let c3 = c[3]!;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** 32-bit finalizer of MurmurHash3: a bijective mixer for deriving keys. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixIn(k: [number, number], word: number): void {
  k[0] = fmix32((k[0] ^ word) + 0x6a09e667);
  k[1] = fmix32((k[1] + Math.imul(word ^ k[0], 0x27d4eb2f)) ^ 0x3c6ef372);
}

function mixPath(k: [number, number], part: number | string): void {
  if (typeof part === 'number') {
    if (!Number.isSafeInteger(part))
      throw new RangeError(`rng path parts must be safe integers or strings, got ${part}`);
    mixIn(k, 0x11);
    mixIn(k, part >>> 0);
    mixIn(k, Math.floor(part / 2 ** 32) >>> 0);
  } else {
    mixIn(k, 0x22);
    for (let i = 0; i < part.length; i++) mixIn(k, part.charCodeAt(i));
    mixIn(k, part.length);
  }
}

/** Serializable RNG position, for checkpoints that must resume bit-identically. */
export interface RngState {
  key: [number, number];
  counter: number;
}

/** A stream of random numbers. Not thread-safe; split instead of sharing. */
export class Rng {
  private readonly k: [number, number];
  private counter: number;
  private readonly ctr = new Uint32Array(4);
  private readonly block = new Uint32Array(4);
  private used = 4;

  private constructor(key: [number, number], counter = 0) {
    this.k = key;
    this.counter = counter;
  }

  /** A generator for an integer or string seed. */
  static seeded(seed: number | string): Rng {
    const k: [number, number] = [0x243f6a88, 0x85a308d3];
    mixPath(k, seed);
    return new Rng(k);
  }

  /** Restores a generator saved with `state()`. */
  static fromState(s: RngState): Rng {
    const r = new Rng([s.key[0] >>> 0, s.key[1] >>> 0], Math.floor(s.counter / 4));
    for (let i = 0; i < s.counter % 4; i++) r.u32();
    return r;
  }

  /** The current position (key and number of 32-bit words drawn). */
  state(): RngState {
    const drawn = this.used === 4 ? this.counter * 4 : (this.counter - 1) * 4 + this.used;
    return { key: [this.k[0], this.k[1]], counter: drawn };
  }

  /**
   * An independent stream named by `path` (numbers and strings). The child depends only on this
   * stream's key and the path, never on how much of this stream was consumed.
   */
  split(...path: (number | string)[]): Rng {
    const k: [number, number] = [this.k[0], this.k[1]];
    for (const p of path) mixPath(k, p);
    return new Rng(k);
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    if (this.used === 4) {
      this.ctr[0] = this.counter >>> 0;
      this.ctr[1] = Math.floor(this.counter / 2 ** 32) >>> 0;
      philox4x32(this.ctr, this.k[0], this.k[1], this.block);
      this.counter++;
      this.used = 0;
    }
    return this.block[this.used++]!;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), without modulo bias; n up to 2^53. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new RangeError(`rng.int needs a positive safe integer, got ${n}`);
    if (n <= 2 ** 32) {
      // Lemire-style rejection on 32 bits.
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (;;) {
        const x = this.u32();
        if (x < limit) return x % n;
      }
    }
    for (;;) {
      const x = Math.floor(this.float() * 2 ** 53);
      const limit = 2 ** 53 - (2 ** 53 % n);
      if (x < limit) return x % n;
    }
  }

  /** A standard normal variate (Box–Muller; one of the pair is discarded for replayability). */
  normal(): number {
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * The number of failures before the first success in Bernoulli(p) trials: the gap between
   * consecutive flipped bits when each bit flips independently with probability p.
   */
  geometric(p: number): number {
    if (!(p > 0 && p <= 1)) throw new RangeError(`geometric needs p in (0, 1], got ${p}`);
    if (p === 1) return 0;
    let u = this.float();
    while (u === 0) u = this.float();
    return Math.floor(Math.log(u) / Math.log1p(-p));
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }
}
