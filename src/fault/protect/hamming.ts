/**
 * Extended Hamming SEC-DED codes over 32 or 64 data bits: (39,32) and (72,64), the codes ECC
 * memory uses. Data bit j sits at the j-th position of 1, 2, 3, ... that is not a power of two
 * (3, 5, 6, 7, 9, ...); Hamming check bit i (i < r) is the XOR of the data bits whose position has
 * bit i set; the last check bit is the XOR of every data and Hamming check bit (overall parity,
 * which tells a single error from a double one). A check word stores Hamming bit i at bit i and
 * the overall parity at bit r.
 */

import { parity32 } from './common.js';

/** What the decoder made of one code word. */
export type DecodeStatus = 'ok' | 'corrected' | 'detected';

/** The result of decoding one code word: its (corrected) data bits and what happened. */
export interface Decoded {
  status: DecodeStatus;
  /** Data bits 0..31 and 32..63 after correction (hi is 0 for 32 data bits). */
  lo: number;
  hi: number;
}

/** A SEC-DED code: encoder and decoder of one code word, data as two 32-bit halves. */
export interface SecDedCode {
  readonly dataBits: 32 | 64;
  /** Check bits per code word: Hamming bits plus the overall parity bit. */
  readonly checkBits: number;
  /** The check word of data (lo = bits 0..31, hi = bits 32..63). */
  encode(lo: number, hi: number): number;
  /** Decodes received data and check word: corrects one error, detects two. */
  decode(lo: number, hi: number, check: number): Decoded;
}

/** The SEC-DED code over `dataBits` data bits. */
export function secDedCode(dataBits: 32 | 64): SecDedCode {
  let r = 0;
  while (2 ** r < dataBits + r + 1) r++;
  const n = dataBits + r;
  // position[j]: the code position of data bit j; dataAt[p]: the data bit at position p, or -1.
  const position = new Int32Array(dataBits);
  const dataAt = new Int32Array(n + 1).fill(-1);
  for (let p = 1, j = 0; p <= n; p++) {
    if ((p & (p - 1)) === 0) continue;
    position[j] = p;
    dataAt[p] = j;
    j++;
  }
  // Syndrome of each byte value at each byte of the data: 8 lookups encode a 64-bit word, which
  // keeps encoding a ResNet18's 5.6 M code words well under a second.
  const bytes = dataBits / 8;
  const table = new Int32Array(bytes * 256);
  for (let b = 0; b < bytes; b++) {
    for (let v = 0; v < 256; v++) {
      let s = 0;
      for (let k = 0; k < 8; k++) if ((v >> k) & 1) s ^= position[b * 8 + k] ?? 0;
      table[b * 256 + v] = s;
    }
  }
  const hamming = (lo: number, hi: number): number => {
    let s = 0;
    for (let b = 0; b < 4; b++) s ^= table[b * 256 + ((lo >>> (8 * b)) & 0xff)] ?? 0;
    if (bytes === 8) for (let b = 0; b < 4; b++) s ^= table[(b + 4) * 256 + ((hi >>> (8 * b)) & 0xff)] ?? 0;
    return s;
  };
  const mask = (1 << r) - 1;
  return {
    dataBits,
    checkBits: r + 1,
    encode(lo, hi) {
      const h = hamming(lo, hi);
      return (h | ((parity32(lo) ^ parity32(hi) ^ parity32(h)) << r)) >>> 0;
    },
    decode(lo, hi, check) {
      const syndrome = hamming(lo, hi) ^ (check & mask);
      const odd = parity32(lo) ^ parity32(hi) ^ parity32(check & ((mask << 1) | 1));
      if (syndrome === 0 && odd === 0) return { status: 'ok', lo, hi };
      if (odd === 0) return { status: 'detected', lo, hi }; // an even number (two) of errors
      // One error: at the overall parity bit (syndrome 0), a Hamming bit (a power of two) or the
      // data bit at that position; a syndrome beyond the code's positions is three or more.
      if (syndrome > n) return { status: 'detected', lo, hi };
      const j = dataAt[syndrome] ?? -1;
      if (j < 0) return { status: 'corrected', lo, hi };
      return j < 32
        ? { status: 'corrected', lo: (lo ^ (1 << j)) >>> 0, hi }
        : { status: 'corrected', lo, hi: (hi ^ (1 << (j - 32))) >>> 0 };
    },
  };
}
