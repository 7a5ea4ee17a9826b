/** Single faults swept over bit positions: experiment i hits bit bits[i mod #bits]. */
import { FaultSpace, sampleFaults, type Targeting } from '../../fault/fault-models.js';
import { leveugleSampleSize } from '../../stats/samplesize.js';
import type { PlanSpec } from '../plan.js';
import { planError, TARGETING_OPTION, TYPE_OPTION } from './common.js';
import type { PlanKind } from './types.js';

/** The single-bit plan kind. */
export const SINGLE_BIT: PlanKind = {
  name: 'single-bit',
  description: 'one fault per experiment, the same number of experiments at every bit position',
  reference: 'Leveugle et al., DATE 2009 (sample size)',
  options: {
    perBit: {
      type: 'int',
      min: 1,
      flag: 'per-bit',
      placeholder: 'N',
      description: 'single-bit: experiments per bit (default: Leveugle)',
    },
    margin: {
      type: 'number',
      min: 0,
      max: 1,
      description: 'single-bit: error margin for the Leveugle sample size (default 0.05)',
    },
    confidence: {
      type: 'number',
      min: 0,
      max: 1,
      description: 'confidence of the sample size (default 0.95)',
    },
    bits: {
      type: 'ints',
      min: 0,
      flag: false,
      description: 'bit positions (default: every bit of the word)',
    },
    type: TYPE_OPTION,
    targeting: TARGETING_OPTION,
  },
  fromCli(values, common) {
    // --bits lists the swept positions here, so it leaves the targeting's bit range.
    const { bits: _range, ...targeting } = common.targeting;
    const spec: PlanSpec = {
      kind: 'single-bit',
      type: common.type,
      ...(Object.keys(targeting).length ? { targeting } : {}),
    };
    if (common.bits) spec.bits = common.bits;
    if (values.perBit !== undefined) spec.perBit = values.perBit;
    else {
      spec.margin = values.margin ?? 0.05;
      spec.confidence = values.confidence ?? 0.95;
    }
    return spec;
  },
  report: () => ({ as: 'single-fault' }),
  build(spec, memory, rng) {
    const targeting = spec.targeting as Targeting | undefined;
    // A sweep over protections' check words runs over their width (8 bits of a (72,64) code).
    const checks = memory.tensors.flatMap((t) =>
      t.regions.filter((r) => r.check && targeting?.regions?.includes(r.name)),
    );
    const checkOnly =
      checks.length > 0 && (targeting?.regions ?? []).every((n) => checks.some((r) => r.name === n));
    const width = checkOnly ? Math.max(...checks.map((r) => r.bits)) : memory.wordBits;
    const what = checkOnly ? 'check words' : memory.weightFormat.name;
    const bits = (spec.bits as number[] | undefined) ?? Array.from({ length: width }, (_, b) => b);
    for (const b of bits) {
      if (b >= width) {
        throw planError(
          'single-bit',
          `bit ${b} is outside the ${width}-bit words of ${what}; bits run 0..${width - 1}`,
        );
      }
    }
    const type = (spec.type as string | undefined) ?? 'bit-flip';
    const spaces = bits.map((b) => new FaultSpace(memory, { ...targeting, bits: [b, b] }, type));
    const perBit =
      (spec.perBit as number | undefined) ??
      leveugleSampleSize({
        population: spaces[0]!.size,
        margin: (spec.margin as number | undefined) ?? 0.05,
        confidence: (spec.confidence as number | undefined) ?? 0.95,
      });
    return {
      spec,
      size: perBit * bits.length,
      strata: bits.map((b) => `bit=${b}`),
      stratum: (i) => `bit=${bits[i % bits.length]}`,
      faults: (i) => sampleFaults(spaces[i % bits.length]!, { model: 'exact-k', k: 1, type }, rng(i)),
    };
  },
};
