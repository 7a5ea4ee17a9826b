/**
 * Selective protection: the tensors (and bit ranges of their words) a memory code covers, given
 * as `--protect-regions conv1.weight:30,fc.weight:23-31,fc.bias` (a tensor alone: the code's own
 * coverage of its words). Tensors it does not name are stored without that code. `protect plan`
 * prints such a list; campaigns store it in the protection's spec (key `regions`), so a resumed
 * or replayed campaign protects the same memory.
 */
import { PrunefiError } from '../../core/errors.js';
import type { Hardening, ProtectSpec } from './types.js';

/** One tensor a code covers, and the bits of its words (undefined: the code's own coverage). */
export interface ProtectRegion {
  tensor: string;
  bits?: [number, number];
}

function regionsError(what: string): PrunefiError {
  return new PrunefiError('FAULT_CONFIG', `--protect-regions: ${what}`);
}

/**
 * Parses a region list: `tensor[:lo-hi|:b]`, comma-separated. The range is split off at the last
 * colon, so tensor names may hold colons; a tensor named twice is an error.
 */
export function parseProtectRegions(text: string): ProtectRegion[] {
  const out: ProtectRegion[] = [];
  const seen = new Set<string>();
  for (const item of text.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const m = /^(.*):(\d+)(?:-(\d+))?$/.exec(item);
    const tensor = m ? (m[1] ?? '') : item;
    if (tensor === '')
      throw regionsError(`'${item}' names no tensor; give tensor[:lo-hi], e.g. fc.weight:30`);
    if (seen.has(tensor)) throw regionsError(`tensor '${tensor}' is named twice; give each tensor once`);
    seen.add(tensor);
    if (!m) {
      out.push({ tensor });
      continue;
    }
    const lo = Number(m[2]);
    const hi = m[3] === undefined ? lo : Number(m[3]);
    if (hi < lo) throw regionsError(`'${item}': the bit range must be low-high`);
    out.push({ tensor, bits: [lo, hi] });
  }
  if (out.length === 0) throw regionsError('the list is empty; give tensor[:lo-hi],... (see protect plan)');
  return out;
}

/** The canonical text of a region list (what `parseProtectRegions` reads back). */
export function formatProtectRegions(regions: readonly ProtectRegion[]): string {
  return regions
    .map((r) =>
      r.bits ? `${r.tensor}:${r.bits[0] === r.bits[1] ? r.bits[0] : `${r.bits[0]}-${r.bits[1]}`}` : r.tensor,
    )
    .join(',');
}

/**
 * The spec a memory code has on tensor `tensor` of `wordBits`-bit words: the spec itself without
 * a region list, undefined when its list leaves the tensor out, else the spec restricted to the
 * tensor's bits (checked against what the code can cover).
 */
export function specForTensor(
  spec: ProtectSpec,
  hardening: Hardening | undefined,
  tensor: string,
  wordBits: number,
): ProtectSpec | undefined {
  const { regions, ...rest } = spec;
  if (regions === undefined) return spec;
  const region = parseProtectRegions(String(regions)).find((r) => r.tensor === tensor);
  if (!region) return undefined;
  if (!hardening || !region.bits) return rest as ProtectSpec;
  const [lo, hi] = region.bits;
  const [wlo, whi] = hardening.coverage(rest as ProtectSpec, wordBits);
  const where = `${spec.name} on ${tensor}:${lo}-${hi}`;
  if (hi >= wordBits) throw regionsError(`${where}: bits run 0..${wordBits - 1} in its words`);
  if (hardening.covers === 'word' && (lo !== wlo || hi !== whi))
    throw regionsError(`${where}: ${spec.name} covers whole words; name the tensor without bits`);
  if (hardening.maxBits !== undefined && hi - lo + 1 > hardening.maxBits)
    throw regionsError(`${where}: ${spec.name} covers at most ${hardening.maxBits} bits per word`);
  return hardening.restrict(rest as ProtectSpec, lo, hi);
}
