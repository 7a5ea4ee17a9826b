/** Study configs for tests. */
import { parseStudyConfig } from '../../src/study/config.js';

/** A study small enough for a test: untrained LeNet-5, one method, tiny campaigns. */
export function tinyStudy(over: Record<string, unknown> = {}) {
  return parseStudyConfig({
    name: 'tiny',
    data: 'mnist',
    evalLimit: 200,
    models: [{ name: 'lenet5', source: 'zoo:lenet5' }],
    pruning: [{ method: 'magnitude', sparsities: [0.5], finetune: { epochs: 0 } }],
    faultModels: [{ numberFormat: 'float32', storageFormat: 'dense' }],
    campaigns: { images: 100, ber: { rates: [1e-4], trials: 3 }, singleBit: { perBit: 2 } },
    seed: 3,
    threads: 1,
    ...over,
  });
}
