/**
 * Exponent protection: the top k bits of each value word (by default the float's top exponent
 * bit, float32 bit 30, whose flip turns a weight into ~1e38) are stored three times; the decoder
 * takes the bitwise majority. Two copies are a region of 2k-bit words (copy A in bits 0..k-1, B
 * in k..2k-1).
 */
import { PrunefiError } from '../../core/errors.js';
import { lowMask } from './common.js';
import type { Protection, ProtectSpec } from './types.js';

const MAX_K = 16;

function topOf(spec: ProtectSpec, wordBits: number): number {
  return (spec.top as number | undefined) ?? wordBits - 2;
}

/** The exponent-tmr protection. */
export const EXPONENT_TMR: Protection = {
  name: 'exponent-tmr',
  description: 'triple modular redundancy (bitwise majority) of the top k bits of each word',
  reference: 'Lyons, Vanderkulk 1962, The use of triple-modular redundancy to improve computer reliability',
  stage: 'bits',
  region: 'tmr',
  options: {
    k: { type: 'int', min: 1, max: MAX_K, default: 1, description: 'protected bits per word' },
    top: {
      type: 'int',
      min: 0,
      max: 31,
      description:
        'highest protected bit (default: the bit below the sign, the top exponent bit of a float: 30 for float32, 14 for float16 and bfloat16)',
    },
  },
  code(spec, values, format) {
    const k = spec.k as number;
    const top = topOf(spec, values.bits);
    const lo = top - k + 1;
    if (lo < 0 || top >= values.bits)
      throw new PrunefiError(
        'FAULT_CONFIG',
        `exponent-tmr: bits ${lo}..${top} are outside the ${values.bits}-bit words of ${format.name}; choose top < ${values.bits} and k <= top + 1`,
      );
    const m = lowMask(k);
    const field = (w: number): number => (w >>> lo) & m;
    return {
      region: {
        name: 'tmr',
        bits: 2 * k,
        words: Uint32Array.from(values.words, (w) => (field(w) | (field(w) << k)) >>> 0),
        check: true,
      },
      codeWordOf: (i) => i,
      decode(i, copies, read, write) {
        const w = read(i);
        const f = field(w);
        const a = copies & m;
        const b = (copies >>> k) & m;
        if (f === a && f === b) return 'ok';
        const vote = (f & a) | (f & b) | (a & b);
        if (vote !== f) write(i, ((w & ~(m << lo)) | (vote << lo)) >>> 0);
        return 'corrected';
      },
    };
  },
  hardening: {
    covers: 'range',
    maxBits: MAX_K,
    coverage: (spec, wordBits) => [topOf(spec, wordBits) - (spec.k as number) + 1, topOf(spec, wordBits)],
    restrict: (spec, lo, hi) => ({ ...spec, k: hi - lo + 1, top: hi }),
    checkBits: (_spec, words, _wordBits, lo, hi) => 2 * (hi - lo + 1) * words,
    singleBit: () => 'corrected',
  },
};
