/** Bit error rates × trials: experiment i uses rates[i mod #rates]. */
import {
  FaultSpace,
  type FaultSpec,
  faultModel,
  sampleFaults,
  type Targeting,
} from '../../fault/fault-models.js';
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
  check(spec) {
    // The fault model's own check, so a rate outside (0, 1) is refused in its words.
    for (const ber of spec.rates as number[]) faultModel({ model: 'ber', ber });
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
    return {
      spec,
      size: (spec.trials as number) * rates.length,
      strata: rates.map((r) => `ber=${r}`),
      stratum: (i) => `ber=${rates[i % rates.length]}`,
      faults: (i) => sampleFaults(space, specs[i % specs.length]!, rng(i)),
    };
  },
};
