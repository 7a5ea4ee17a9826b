/**
 * SEC-DED memory codes: one (72,64) or (39,32) extended Hamming code word per 64 or 32 data bits,
 * i.e. per `dataBits / wordBits` value words (two float32 words per (72,64) code word), grouped
 * with interleave d (see `WordGroups`). Check words are a region of their own, 8 or 7 bits wide.
 */
import { PrunefiError } from '../../core/errors.js';
import { DUE_OPTION, INTERLEAVE_OPTION, lowMask } from './common.js';
import { WordGroups } from './groups.js';
import { secDedCode } from './hamming.js';
import type { MemoryCode, Protection, ProtectSpec } from './types.js';

function secDed(name: string, dataBits: 32 | 64): Protection {
  const code = secDedCode(dataBits);
  // `what` names the words in the error: a number format's, or a bare width.
  const groupsOf = (spec: ProtectSpec, words: number, w: number, what: string): WordGroups => {
    if (32 % w !== 0)
      throw new PrunefiError(
        'FAULT_CONFIG',
        `${name} packs whole words into ${dataBits} data bits; ${what} do not divide 32`,
      );
    return new WordGroups(words, dataBits / w, spec.interleave as number);
  };
  return {
    name,
    description: `SEC-DED extended Hamming (${dataBits + code.checkBits},${dataBits}): corrects one error and detects two per code word of ${dataBits} data bits`,
    reference: 'Hamming 1950, Error detecting and error correcting codes; Hsiao 1970 (SEC-DED memory codes)',
    stage: 'bits',
    region: 'ecc',
    options: { interleave: INTERLEAVE_OPTION, due: DUE_OPTION },
    code(spec, values, format): MemoryCode {
      const w = values.bits;
      const groups = groupsOf(spec, values.words.length, w, `${format.name}'s ${w}-bit words`);
      const zero = spec.due === 'zero';
      const m = lowMask(w);
      const perHalf = 32 / w;
      const data = (c: number, read: (k: number) => number): [number, number] => {
        let lo = 0;
        let hi = 0;
        for (let s = 0; s < groups.perWord; s++) {
          const k = groups.wordAt(c, s);
          if (k < 0) continue;
          const bits = (read(k) & m) << (w * (s % perHalf));
          if (s < perHalf) lo |= bits;
          else hi |= bits;
        }
        return [lo >>> 0, hi >>> 0];
      };
      const check = new Uint32Array(groups.count);
      const read = (k: number): number => values.words[k] ?? 0;
      for (let c = 0; c < groups.count; c++) {
        const [lo, hi] = data(c, read);
        check[c] = code.encode(lo, hi);
      }
      return {
        region: { name: 'ecc', bits: code.checkBits, words: check, check: true },
        codeWordOf: (k) => groups.groupOf(k),
        decode(c, checkWord, read, write) {
          const [lo, hi] = data(c, read);
          const d = code.decode(lo, hi, checkWord);
          if (d.status === 'ok') return 'ok';
          for (let s = 0; s < groups.perWord; s++) {
            const k = groups.wordAt(c, s);
            if (k < 0) continue;
            const half = s < perHalf ? d.lo : d.hi;
            const word = d.status === 'detected' ? (zero ? 0 : read(k)) : (half >>> (w * (s % perHalf))) & m;
            if (word !== read(k)) write(k, word >>> 0);
          }
          return d.status;
        },
      };
    },
    hardening: {
      covers: 'word',
      coverage: (_spec, wordBits) => [0, wordBits - 1],
      restrict: (spec) => spec,
      checkBits: (spec, words, wordBits) =>
        groupsOf(spec, words, wordBits, `${wordBits}-bit words`).count * code.checkBits,
      singleBit: () => 'corrected',
    },
  };
}

/** SEC-DED (72,64): 8 check bits per 64 data bits (12.5% of the value memory). */
export const SECDED72 = secDed('secded72', 64);

/** SEC-DED (39,32): 7 check bits per 32 data bits (21.9%). */
export const SECDED39 = secDed('secded39', 32);
