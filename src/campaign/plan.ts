/**
 * Campaign plans: the list of experiments, each defined by its index alone. Experiment i draws
 * its faults from `Rng.seeded(seed).split('experiment', i)`, so any experiment replays by itself
 * and a resumed or sharded campaign produces exactly the experiments an uninterrupted one would.
 */
import { PrunefiError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { FaultSpace, type FaultSpec, sampleFaults, type Targeting } from '../fault/fault-models.js';
import type { Fault, StoredModel } from '../fault/memory.js';
import { leveugleSampleSize } from '../stats/samplesize.js';

/** A plan, as stored in the campaign config (plain JSON). */
export type PlanSpec =
  | {
      /** Single faults, swept over bit positions: experiment i hits bit bits[i mod #bits]. */
      kind: 'single-bit';
      /** Experiments per bit; default from Leveugle et al. for `margin` and `confidence`. */
      perBit?: number;
      margin?: number;
      confidence?: number;
      /** Bit positions (default: every bit of the number format). */
      bits?: number[];
      type?: string;
      targeting?: Targeting;
    }
  | {
      /** Every (word, bit) of the targeted memory once, in order (e.g. one layer). */
      kind: 'exhaustive';
      type?: string;
      targeting: Targeting;
    }
  | {
      /** Bit error rates × trials: experiment i uses rates[i mod #rates]. */
      kind: 'ber';
      rates: number[];
      trials: number;
      type?: string;
      length?: number;
      targeting?: Targeting;
    }
  | {
      /** `experiments` experiments of exactly k faults each. */
      kind: 'exact-k';
      k: number;
      experiments: number;
      type?: string;
      length?: number;
      targeting?: Targeting;
    }
  | {
      /** A given list of experiments (e.g. imported from torch_baseline.py). */
      kind: 'fault-list';
      experiments: Fault[][];
    };

/** An instantiated plan: the experiments of a campaign on one stored model. */
export interface Plan {
  readonly spec: PlanSpec;
  /** Number of planned experiments. */
  readonly size: number;
  /** The strata rates are reported by (bit positions, rates), in report order. */
  readonly strata: readonly string[];
  /** The stratum of experiment i. */
  stratum(i: number): string;
  /** The faults of experiment i (deterministic given the seed). */
  faults(i: number): Fault[];
}

function bad(what: string): PrunefiError {
  return new PrunefiError('FAULT_CONFIG', what);
}

function positiveInt(v: number | undefined, name: string): number {
  if (v === undefined || !Number.isSafeInteger(v) || v < 1)
    throw bad(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Builds the plan of a spec on a stored model. Bad parameters are FAULT_CONFIG errors. */
export function buildPlan(spec: PlanSpec, memory: StoredModel, seed: number): Plan {
  const root = Rng.seeded(seed);
  const rng = (i: number): Rng => root.split('experiment', i);
  switch (spec.kind) {
    case 'single-bit': {
      const width = memory.numberFormat.bits;
      const bits = spec.bits ?? Array.from({ length: width }, (_, b) => b);
      if (bits.length === 0) throw bad('single-bit plan: bits is empty; give at least one bit position');
      for (const b of bits) {
        if (!Number.isInteger(b) || b < 0 || b >= width) {
          throw bad(
            `single-bit plan: bit ${b} is outside the ${width}-bit words of ${memory.numberFormat.name}; bits run 0..${width - 1}`,
          );
        }
      }
      const type = spec.type ?? 'bit-flip';
      const spaces = bits.map((b) => new FaultSpace(memory, { ...spec.targeting, bits: [b, b] }, type));
      const perBit =
        spec.perBit !== undefined
          ? positiveInt(spec.perBit, 'perBit')
          : leveugleSampleSize({
              population: spaces[0]!.size,
              margin: spec.margin ?? 0.05,
              confidence: spec.confidence ?? 0.95,
            });
      return {
        spec,
        size: perBit * bits.length,
        strata: bits.map((b) => `bit=${b}`),
        stratum: (i) => `bit=${bits[i % bits.length]}`,
        faults: (i) => sampleFaults(spaces[i % bits.length]!, { model: 'exact-k', k: 1, type }, rng(i)),
      };
    }
    case 'exhaustive': {
      const space = new FaultSpace(memory, spec.targeting, spec.type ?? 'bit-flip');
      return {
        spec,
        size: space.size,
        strata: [],
        stratum: (i) => `bit=${space.at(i).bit}`,
        faults: (i) => [space.at(i)],
      };
    }
    case 'ber': {
      if (!Array.isArray(spec.rates) || spec.rates.length === 0)
        throw bad('ber plan: give at least one bit error rate');
      const trials = positiveInt(spec.trials, 'trials');
      const space = new FaultSpace(memory, spec.targeting, spec.type ?? 'bit-flip', spec.length);
      const specs: FaultSpec[] = spec.rates.map((ber) => ({
        model: 'ber',
        ber,
        type: spec.type,
        length: spec.length,
      }));
      for (const s of specs) sampleFaults(space, s, Rng.seeded(0)); // validates every rate up front
      return {
        spec,
        size: trials * spec.rates.length,
        strata: spec.rates.map((r) => `ber=${r}`),
        stratum: (i) => `ber=${spec.rates[i % spec.rates.length]}`,
        faults: (i) => sampleFaults(space, specs[i % specs.length]!, rng(i)),
      };
    }
    case 'exact-k': {
      const n = positiveInt(spec.experiments, 'experiments');
      const space = new FaultSpace(memory, spec.targeting, spec.type ?? 'bit-flip', spec.length);
      const s: FaultSpec = { model: 'exact-k', k: spec.k, type: spec.type, length: spec.length };
      return {
        spec,
        size: n,
        strata: [`k=${spec.k}`],
        stratum: () => `k=${spec.k}`,
        faults: (i) => sampleFaults(space, s, rng(i)),
      };
    }
    case 'fault-list': {
      spec.experiments.forEach((faults, i) => {
        memory.validate(faults, `fault list experiment ${i}`);
      });
      const stratum = (i: number): string => {
        const f = spec.experiments[i]!;
        return f.length === 1 ? `bit=${f[0]!.bit}` : `faults=${f.length}`;
      };
      return {
        spec,
        size: spec.experiments.length,
        strata: [...new Set(spec.experiments.map((_, i) => stratum(i)))],
        stratum,
        faults: (i) => spec.experiments[i]!,
      };
    }
    default:
      throw bad(
        `unknown plan kind '${(spec as { kind: string }).kind}'; valid: single-bit, exhaustive, ber, exact-k, fault-list`,
      );
  }
}
