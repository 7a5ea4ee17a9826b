/** A given list of experiments (e.g. imported from torch_baseline.py). */
import { readFaultList } from '../../fault/fault-list.js';
import type { Fault } from '../../fault/memory.js';
import type { PlanKind } from './types.js';

/** The fault-list plan kind. */
export const FAULT_LIST: PlanKind = {
  name: 'fault-list',
  description: 'the experiments of a fault list, in order (prunefi or torch_baseline.py format)',
  reference: '',
  options: {
    experiments: {
      type: 'fault-lists',
      required: true,
      flag: 'faults',
      placeholder: 'file.json',
      description: 'fault-list: a prunefi or torch_baseline.py fault list',
    },
  },
  fromCli: (values) => ({
    kind: 'fault-list',
    experiments: readFaultList(values.experiments as string).experiments.map((e) => e.faults),
  }),
  report: () => undefined,
  build(spec, memory) {
    const experiments = spec.experiments as Fault[][];
    experiments.forEach((faults, i) => {
      memory.validate(faults, `fault list experiment ${i}`);
    });
    const stratum = (i: number): string => {
      const f = experiments[i]!;
      return f.length === 1 ? `bit=${f[0]!.bit}` : `faults=${f.length}`;
    };
    return {
      spec,
      size: experiments.length,
      strata: [...new Set(experiments.map((_, i) => stratum(i)))],
      stratum,
      faults: (i) => experiments[i]!,
    };
  },
};
