/**
 * Protections on one stored tensor: the memory codes built on its value words, and the value
 * guard on its decoded weights; and the decoding of faulty memory through the codes.
 */
import type { NumberFormat } from '../number-formats.js';
import type { Region, RegionName } from '../storage-formats.js';
import { PROTECTIONS } from './registry.js';
import { specForTensor } from './scope.js';
import type { MemoryCode, ProtectSpec, ValueGuard } from './types.js';

/** The protections of one tensor. */
export interface TensorProtection {
  /** Memory codes, in decoding order. */
  codes: MemoryCode[];
  /** Value guards, in order. */
  guards: ValueGuard[];
}

/**
 * Builds the protections of tensor `tensor` from checked specs (see `checkProtections`), in their
 * order; a code whose region list (`--protect-regions`) leaves the tensor out is not built.
 */
export function protectTensor(
  specs: readonly ProtectSpec[],
  tensor: string,
  values: Region,
  format: NumberFormat,
  golden: Float32Array,
): TensorProtection {
  const out: TensorProtection = { codes: [], guards: [] };
  for (const s of specs) {
    const p = PROTECTIONS.get(s.name);
    const spec = specForTensor(s, p.hardening, tensor, values.bits);
    if (!spec) continue;
    if (p.code) out.codes.push(p.code(spec, values, format));
    if (p.guard) out.guards.push(p.guard(spec, golden));
  }
  return out;
}

/** Code words the decoders corrected, and those with a detected uncorrectable error (DUE). */
export interface DecodeCounts {
  corrected: number;
  detected: number;
}

/**
 * Runs the codes over the code words that faults touched. `patched` holds the faulty words by
 * region (word index → word); the decoders' output replaces its 'values' entries, and the check
 * regions are removed (they are only read by their decoder).
 */
export function decodeCodes(
  codes: readonly MemoryCode[],
  values: Uint32Array,
  patched: Map<RegionName, Map<number, number>>,
): DecodeCounts {
  const counts: DecodeCounts = { corrected: 0, detected: 0 };
  if (codes.length === 0) return counts;
  let faulty = patched.get('values');
  if (!faulty) {
    faulty = new Map();
    patched.set('values', faulty);
  }
  const v = faulty;
  const read = (k: number): number => v.get(k) ?? values[k] ?? 0;
  const write = (k: number, w: number): void => {
    v.set(k, w);
  };
  for (const code of codes) {
    const checks = patched.get(code.region.name);
    const touched = new Set<number>(checks?.keys());
    for (const k of v.keys()) touched.add(code.codeWordOf(k));
    for (const c of [...touched].sort((a, b) => a - b)) {
      const s = code.decode(c, checks?.get(c) ?? code.region.words[c] ?? 0, read, write);
      if (s === 'corrected') counts.corrected++;
      else if (s === 'detected') counts.detected++;
    }
    patched.delete(code.region.name);
  }
  for (const [k, w] of v) if (w === values[k]) v.delete(k);
  if (v.size === 0) patched.delete('values');
  return counts;
}
