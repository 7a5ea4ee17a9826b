/** Options and helpers the memory codes share. */
import type { ProtectOption } from './types.js';

/** What a detected, uncorrectable error (DUE) does to the value words of its code word. */
export const DUE_OPTION: ProtectOption = {
  type: 'choice',
  choices: ['zero', 'keep'],
  default: 'zero',
  description:
    "on a detected uncorrectable error: 'zero' the code word's weights (a known-bad weight read as 0, as pruning shows is mostly harmless) or 'keep' the raw bits (a decoder that only flags); a system that halts instead reads its rate off the DUE count",
};

/** Code words per interleave block, see `WordGroups`. */
export const INTERLEAVE_OPTION: ProtectOption = {
  type: 'int',
  min: 1,
  max: 64,
  default: 1,
  description:
    'interleave d: d adjacent words sit in d different code words (1: consecutive words share one)',
};

/** A mask of the low `bits` bits. */
export function lowMask(bits: number): number {
  return bits >= 32 ? 0xffffffff : (1 << bits) - 1;
}

/** The parity (XOR of all bits) of a 32-bit word. */
export function parity32(x: number): number {
  let v = x >>> 0;
  v ^= v >>> 16;
  v ^= v >>> 8;
  v ^= v >>> 4;
  v ^= v >>> 2;
  v ^= v >>> 1;
  return v & 1;
}
