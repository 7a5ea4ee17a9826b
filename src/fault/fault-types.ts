/**
 * Fault types: what a fault does to the bits of one stored word. Transient flips model soft
 * errors (particle strikes); stuck-at faults model permanent cell defects, which leave a word
 * unchanged when the bit already holds the stuck value; bursts model a multi-bit upset in one
 * word (adjacent cells hit by one particle).
 */
import { Registry, type RegistryEntry } from '../core/registry.js';

/** A fault type. `apply` returns the new word; `length` is the number of bits it touches. */
export interface FaultType extends RegistryEntry {
  /** Applies the fault at bits bit..bit+length-1 of `word` (bits above `width` are never set). */
  apply(word: number, bit: number, length: number): number;
  /** Whether the fault spans several adjacent bits (needs a `length`). */
  readonly multiBit: boolean;
}

/** A mask of `length` ones starting at bit `bit` (length + bit <= 32). */
export function bitMask(bit: number, length: number): number {
  return length >= 32 ? 0xffffffff : (((1 << length) - 1) << bit) >>> 0;
}

/** Every fault type, by name. */
export const FAULT_TYPES = new Registry<FaultType>('fault type', [
  {
    name: 'bit-flip',
    description: 'transient single-event upset: the bit is inverted',
    reference: 'Baumann 2005, Radiation-induced soft errors in advanced semiconductor technologies',
    multiBit: false,
    apply: (word, bit) => (word ^ bitMask(bit, 1)) >>> 0,
  },
  {
    name: 'stuck-at-0',
    description: 'permanent defect: the bit reads 0 (no change when it already is 0)',
    reference: '',
    multiBit: false,
    apply: (word, bit) => (word & ~bitMask(bit, 1)) >>> 0,
  },
  {
    name: 'stuck-at-1',
    description: 'permanent defect: the bit reads 1 (no change when it already is 1)',
    reference: '',
    multiBit: false,
    apply: (word, bit) => (word | bitMask(bit, 1)) >>> 0,
  },
  {
    name: 'burst',
    description: 'multi-bit upset: `length` adjacent bits of one word are inverted',
    reference: 'Ibrahim et al. 2020, Soft errors in DNN accelerators: a comprehensive review',
    multiBit: true,
    apply: (word, bit, length) => (word ^ bitMask(bit, length)) >>> 0,
  },
]);
