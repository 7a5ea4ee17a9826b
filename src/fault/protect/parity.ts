/** Parity: one even-parity bit per value word; an odd word is detected (a DUE) and zeroed by default. */
import { DUE_OPTION, parity32 } from './common.js';
import type { Protection } from './types.js';

/** The parity protection. */
export const PARITY: Protection = {
  name: 'parity',
  description: 'one parity bit per word: an odd number of flipped bits is detected, and the weight zeroed',
  reference: 'Reagen et al. 2018, Ares (parity with zeroing of detected weights)',
  stage: 'bits',
  region: 'parity',
  options: { due: DUE_OPTION },
  code(spec, values) {
    const zero = spec.due === 'zero';
    return {
      region: { name: 'parity', bits: 1, words: Uint32Array.from(values.words, parity32), check: true },
      codeWordOf: (k) => k,
      decode(k, check, read, write) {
        const w = read(k);
        if ((parity32(w) ^ check) === 0) return 'ok';
        if (zero && w !== 0) write(k, 0);
        return 'detected';
      },
    };
  },
  hardening: {
    covers: 'word',
    coverage: (_spec, wordBits) => [0, wordBits - 1],
    restrict: (spec) => spec,
    checkBits: (_spec, words) => words,
    singleBit: (spec) => (spec.due === 'zero' ? 'zeroed' : undefined),
  },
};
