/**
 * The contract of a protection: one `PROTECTIONS` entry. Memory codes (stage 'bits') add check
 * words to a tensor's memory and decode (possibly faulty) value words with them; value guards
 * (stage 'values') act on decoded weights. Protections compose in stage order, bits first:
 * a value guard reads what the memory codes decoded. A graph protection (stage 'graph', e.g.
 * Ranger) stores nothing and decodes nothing: it changes the model's graph, which needs the
 * runtime to profile, so the campaign stage applies it (`src/campaign/graph-protect.ts`).
 */
import type { RegistryEntry } from '../../core/registry.js';
import type { NumberFormat } from '../number-formats.js';
import type { Region, RegionName } from '../storage-formats.js';
import type { DecodeStatus } from './hamming.js';

/** A protection as stored in a campaign config: its name and every option, defaults filled in. */
export type ProtectSpec = { name: string } & Record<string, number | string>;

/** One option of a protection (`--protect name:key=value`). */
export interface ProtectOption {
  type: 'int' | 'choice';
  description: string;
  /** The value when the option is not given; undefined: derived from the number format (said in the description). */
  default?: number | string;
  choices?: readonly string[];
  min?: number;
  max?: number;
}

/** A memory code on the value words of one stored tensor. */
export interface MemoryCode {
  /** Its check words: stored memory, which faults hit and memory sizes count. */
  readonly region: Region;
  /** The code word (= check word index) holding value word k. */
  codeWordOf(k: number): number;
  /**
   * Decodes code word c with check word `check`: reads value words through `read`, writes the
   * words it corrects (or zeroes after a detected error) through `write`.
   */
  decode(
    c: number,
    check: number,
    read: (k: number) => number,
    write: (k: number, word: number) => void,
  ): DecodeStatus;
}

/** A value guard on the decoded weights of one stored tensor. */
export interface ValueGuard {
  /** The weight a decoded value `v` becomes. */
  apply(v: number): number;
}

/**
 * What selective hardening (`protect plan`, `--protect-regions`) needs of a memory code: which
 * bits of a word it can cover, what that costs in check bits, and the spec covering bits lo..hi.
 */
export interface Hardening {
  /** 'range': any contiguous bit range of a word, its cost set by the range's width alone; 'word': whole words only. */
  readonly covers: 'range' | 'word';
  /** Widest range it covers per word (tmr: its k's maximum); 'word' codes: the word. */
  readonly maxBits?: number;
  /** The bits a spec covers in each `wordBits`-bit word (the whole word for 'word' codes). */
  coverage(spec: ProtectSpec, wordBits: number): [number, number];
  /** The spec that covers bits lo..hi of each word ('word' codes: the spec itself). */
  restrict(spec: ProtectSpec, lo: number, hi: number): ProtectSpec;
  /** The check bits it stores for a tensor of `words` words of `wordBits` bits when covering lo..hi. */
  checkBits(spec: ProtectSpec, words: number, wordBits: number, lo: number, hi: number): number;
  /**
   * What a single flipped bit of a covered word becomes: 'corrected' (no trace left), or
   * 'zeroed' (detected and the weight read as 0, whose own effect single-bit data do not show).
   * Undefined: the spec leaves single errors in the weights (parity with due=keep only flags them).
   */
  singleBit(spec: ProtectSpec): 'corrected' | 'zeroed' | undefined;
}

/** A protection: one entry of `PROTECTIONS`. */
export interface Protection extends RegistryEntry {
  readonly stage: 'bits' | 'values' | 'graph';
  /** Stage 'bits': the name of the region its check words form. */
  readonly region?: RegionName;
  /** Every option a spec may hold, by key. */
  readonly options: Readonly<Record<string, ProtectOption>>;
  /** Stage 'bits': the code on a tensor's value words (spec checked, defaults filled in). */
  code?(spec: ProtectSpec, values: Region, format: NumberFormat): MemoryCode;
  /** Stage 'values': the guard of a tensor, from its fault-free decoded values. */
  guard?(spec: ProtectSpec, golden: Float32Array): ValueGuard;
  /** Stage 'bits': how it covers part of a memory, for selective hardening. */
  readonly hardening?: Hardening;
}
