/** Study configs for tests. */
import { parseStudyConfig } from '../../src/study/config.js';

/**
 * A study small enough for a test, as the JSON a user writes: untrained LeNet-5, one method,
 * tiny campaigns.
 */
export const TINY_STUDY = {
  name: 'tiny',
  data: 'mnist',
  evalLimit: 200,
  models: [{ name: 'lenet5', source: 'zoo:lenet5' }],
  pruning: [{ method: 'magnitude', sparsities: [0.5], finetune: { epochs: 0 } }],
  faultModels: [{ numberFormat: 'float32', storageFormat: 'dense' }],
  campaigns: { images: 100, ber: { rates: [1e-4], trials: 3 }, singleBit: { perBit: 2 } },
  seed: 3,
  threads: 1,
};

/** `TINY_STUDY` parsed, with `over` replacing its top-level keys. */
export function tinyStudy(over: Record<string, unknown> = {}) {
  return parseStudyConfig({ ...TINY_STUDY, ...over });
}
