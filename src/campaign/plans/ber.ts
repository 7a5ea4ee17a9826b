/** Bit error rates × trials: experiment i uses rates[i mod #rates]. */
import { Rng } from '../../core/rng.js';
import { FaultSpace, type FaultSpec, sampleFaults, type Targeting } from '../../fault/fault-models.js';
import { LENGTH_OPTION, TARGETING_OPTION, TYPE_OPTION } from './common.js';
import type { PlanKind } from './types.js';

/** The ber plan kind. */
export const BER: PlanKind = {
  name: 'ber',
  description: 'each targeted bit faulty with probability p, for each rate p × trials',
  reference: '',
  options: {
    rates: {
      type: 'numbers',
      required: true,
      placeholder: 'p,p',
      description: 'ber: bit error rates, e.g. 1e-7,1e-6',
    },
    trials: { type: 'int', min: 1, required: true, cliDefault: 30, description: 'ber: experiments per rate' },
    type: TYPE_OPTION,
    length: LENGTH_OPTION,
    targeting: TARGETING_OPTION,
  },
  report: (spec) => ({ as: 'ber', rates: spec.rates as number[] }),
  build(spec, memory, rng) {
    const rates = spec.rates as number[];
    const type = spec.type as string | undefined;
    const length = spec.length as number | undefined;
    // Every stored bit takes faults at the rate, check words too (after the data bits, so a
    // protected campaign hits the unprotected one's data bits with the same seed).
    const space = new FaultSpace(
      memory,
      spec.targeting as Targeting | undefined,
      type ?? 'bit-flip',
      length,
      true,
    );
    const specs: FaultSpec[] = rates.map((ber) => ({ model: 'ber', ber, type, length }));
    for (const s of specs) sampleFaults(space, s, Rng.seeded(0)); // validates every rate up front
    return {
      spec,
      size: (spec.trials as number) * rates.length,
      strata: rates.map((r) => `ber=${r}`),
      stratum: (i) => `ber=${rates[i % rates.length]}`,
      faults: (i) => sampleFaults(space, specs[i % specs.length]!, rng(i)),
    };
  },
};
