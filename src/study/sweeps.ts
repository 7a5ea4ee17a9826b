/**
 * Campaign records as report sweeps: a BER campaign's experiments as trials per rate, a
 * single-fault campaign's as SDC counts per bit and per layer. Shared by the study's campaign
 * steps and by reports rendered from standalone campaign databases, so both read the same way.
 */

import type { ExperimentRecord } from '../campaign/store.js';
import { groupBy } from '../campaign/summary.js';
import type { StoredModel } from '../fault/memory.js';
import type { BitSweep, SdcCounts, TrialOutcome } from '../report/model.js';

/** A stored layer's weight sparsity and its stored bits (weights and biases). */
export interface LayerStats {
  name: string;
  sparsity: number;
  bits: number;
}

/** Per-layer figures of the stored memory, for the single-fault breakdown by layer. */
export function layerStats(memory: StoredModel): LayerStats[] {
  return memory.layers.map((l) => {
    const w = l.tensors.find((t) => t.role === 'weight');
    let zeros = 0;
    if (w) for (let i = 0; i < w.golden.length; i++) if (w.golden[i] === 0) zeros++;
    return {
      name: l.name,
      sparsity: w ? zeros / w.golden.length : 0,
      bits: l.tensors.reduce((s, t) => s + t.bits, 0),
    };
  });
}

/**
 * A BER plan's trials by rate: experiment i ran rate i mod #rates. A trial's seed is its
 * experiment index plus `seedBase`: campaigns with the same seed drew the same faults for the
 * same index, so equal trial seeds let the report pair trials across variants.
 */
export function berPoints(
  records: readonly ExperimentRecord[],
  rates: readonly number[],
  seedBase = 0,
): { ber: number; trials: TrialOutcome[] }[] {
  return rates.map((ber, k) => ({
    ber,
    trials: records
      .filter((r) => r.index % rates.length === k)
      .map((r) => ({
        accuracy: r.accuracy,
        sdc: r.sdc,
        criticalSdc: r.criticalSdc,
        nonFinite: r.nanImages + r.infImages,
        faults: r.faultCount,
        seed: seedBase + r.index,
      })),
  }));
}

function counts(rs: readonly ExperimentRecord[]): SdcCounts {
  return {
    experiments: rs.length,
    sdcExperiments: rs.filter((r) => r.sdc > 0).length,
    criticalExperiments: rs.filter((r) => r.criticalSdc > 0).length,
    sdcImages: rs.reduce((s, r) => s + r.sdc, 0),
  };
}

/** Single-fault experiments as SDC counts by bit position, by layer (every stored layer) and in all. */
export function bitCounts(
  records: readonly ExperimentRecord[],
  layers: readonly LayerStats[],
): Pick<BitSweep, 'byBit' | 'byLayer' | 'total'> {
  const byBit = [...groupBy(records, (r) => r.bit)]
    .sort((a, b) => a[0] - b[0])
    .map(([bit, rs]) => ({ bit, ...counts(rs) }));
  const byLayerRecords = groupBy(records, (r) => r.layer);
  const byLayer = layers.map((l) => ({
    layer: l.name,
    sparsity: l.sparsity,
    storedBits: l.bits,
    ...counts(byLayerRecords.get(l.name) ?? []),
  }));
  return { byBit, byLayer, total: counts(records) };
}
