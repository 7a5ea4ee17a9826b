/** The small campaign the store, engine and kill -9 tests share (tiny model, 40 images). */
import type { CampaignConfig } from '../../src/campaign/config.js';

/** A single-bit campaign of `perBit` × 32 experiments on the tiny model (or a BER one). */
export function campaignConfig(perBit: number, seed = 7): CampaignConfig {
  return {
    model: { spec: 'tiny', hash: 'tiny-1' },
    data: { spec: 'tiny-images', split: 'test', perClass: 0, hash: 'tiny-images-40' },
    memory: { numberFormat: 'float32', storage: 'dense', faultScales: false, foldBn: true },
    plan: { kind: 'single-bit', perBit },
    seed,
  };
}
