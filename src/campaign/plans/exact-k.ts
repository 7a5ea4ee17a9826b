/** `experiments` experiments of exactly k faults each. */
import { FaultSpace, type FaultSpec, sampleFaults, type Targeting } from '../../fault/fault-models.js';
import { LENGTH_OPTION, TARGETING_OPTION, TYPE_OPTION } from './common.js';
import type { PlanKind } from './types.js';

/** The exact-k plan kind. */
export const EXACT_K: PlanKind = {
  name: 'exact-k',
  description: 'exactly k faults per experiment, uniformly over the targeted bits',
  reference: '',
  options: {
    k: { type: 'int', min: 1, required: true, cliDefault: 1, description: 'exact-k: faults per experiment' },
    experiments: {
      type: 'int',
      min: 1,
      required: true,
      cliDefault: 1000,
      description: 'exact-k: number of experiments',
    },
    type: TYPE_OPTION,
    length: LENGTH_OPTION,
    targeting: TARGETING_OPTION,
  },
  report: (spec) => (spec.k === 1 ? { as: 'single-fault' } : undefined),
  build(spec, memory, rng) {
    const type = spec.type as string | undefined;
    const length = spec.length as number | undefined;
    const space = new FaultSpace(memory, spec.targeting as Targeting | undefined, type ?? 'bit-flip', length);
    const s: FaultSpec = { model: 'exact-k', k: spec.k as number, type, length };
    return {
      spec,
      size: spec.experiments as number,
      strata: [`k=${spec.k}`],
      stratum: () => `k=${spec.k}`,
      faults: (i) => sampleFaults(space, s, rng(i)),
    };
  },
};
