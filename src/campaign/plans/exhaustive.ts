/** Every (word, bit) of the targeted memory once, in order (e.g. one layer). */
import { PrunefiError } from '../../core/errors.js';
import { FaultSpace, type Targeting } from '../../fault/fault-models.js';
import { TARGETING_OPTION, TYPE_OPTION } from './common.js';
import type { PlanKind } from './types.js';

/** The exhaustive plan kind. */
export const EXHAUSTIVE: PlanKind = {
  name: 'exhaustive',
  description: 'every targeted (word, bit) once, in memory order',
  reference: '',
  options: { type: TYPE_OPTION, targeting: { ...TARGETING_OPTION, required: true } },
  fromCli(_values, common) {
    if (!common.targeting.layers)
      throw new PrunefiError(
        'USAGE',
        '--plan exhaustive needs --layers (every bit of those layers is one experiment)',
      );
    return { kind: 'exhaustive', type: common.type, targeting: common.targeting };
  },
  report: () => ({ as: 'single-fault' }),
  build(spec, memory) {
    const space = new FaultSpace(
      memory,
      spec.targeting as Targeting,
      (spec.type as string | undefined) ?? 'bit-flip',
    );
    return {
      spec,
      size: space.size,
      strata: [],
      stratum: (i) => `bit=${space.at(i).bit}`,
      faults: (i) => [space.at(i)],
    };
  },
};
