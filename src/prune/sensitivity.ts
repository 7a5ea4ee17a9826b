/**
 * Sensitivity analysis (Li et al. 2017, section 4.2; Han et al. 2015): prune one layer at a time
 * at increasing sparsity, without fine-tuning, and measure accuracy. Layers whose accuracy holds
 * up can take a higher per-layer ratio.
 */
import { unknownName } from '../core/errors.js';
import { throwIfAborted } from '../core/progress.js';
import { cloneModel, materializeIdentityConstants } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { analyzeChannels, pinnedReason } from './channels.js';
import { checkSparsity, resolveOptions } from './options.js';
import { type PruneRequest, pruneModel } from './prune.js';
import { PRUNE_METHODS } from './registry.js';
import { selectTargets } from './targets.js';
import type { PruneMethod } from './types.js';

/** Scores a model (accuracy on held-out images, in [0, 1]). */
export type Evaluate = (model: Model) => Promise<number>;

/** One measurement: a layer (or a group of layers sharing channels) pruned alone. */
export interface SensitivityRow {
  /** The weights pruned together (one, or a residual group's members). */
  layers: string[];
  sparsity: number;
  accuracy: number;
}

/** Options of `sensitivity`. */
export interface SensitivityOptions {
  /** Default 'magnitude' (per layer). Filter methods prune each channel group alone. */
  method?: string;
  /** Default 0.1, 0.2, ..., 0.9. */
  sparsities?: readonly number[];
  /** Limit the analysis to these weights (default: every weight layer). */
  layers?: readonly string[];
  evaluate: Evaluate;
  seed?: number;
  signal?: AbortSignal;
  /** Called after each measurement. */
  onRow?: (row: SensitivityRow, done: number, total: number) => void;
}

/**
 * Measures accuracy with each layer pruned alone at each sparsity (others dense). Returns the
 * dense accuracy and one row per (layer, sparsity).
 */
export async function sensitivity(
  model: Model,
  options: SensitivityOptions,
): Promise<{ baseline: number; rows: SensitivityRow[] }> {
  const method: PruneMethod = PRUNE_METHODS.get(options.method ?? 'magnitude');
  const sparsities = options.sparsities ?? [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  sparsities.forEach((s, i) => {
    checkSparsity(s, `sparsities[${i}]`);
  });
  const work = cloneModel(model);
  materializeIdentityConstants(work.graph);
  const resolved = resolveOptions(method, { sparsity: 0, scope: 'layer' });
  const all = selectTargets(work.graph, resolved).targets.map((t) => t.weight);
  for (const l of options.layers ?? []) if (!all.includes(l)) throw unknownName('layer', l, all);
  const wanted = new Set(options.layers ?? all);
  let units: string[][];
  if (method.granularity === 'filter') {
    units = analyzeChannels(work.graph)
      .groups.filter((g) => g.sources.length > 0 && !pinnedReason(g))
      .map((g) => g.sources.map((s) => s.layer.weight))
      .filter((ws) => ws.some((w) => wanted.has(w)));
  } else units = all.filter((w) => wanted.has(w)).map((w) => [w]);
  const baseline = await options.evaluate(work);
  const rows: SensitivityRow[] = [];
  const total = units.length * sparsities.length;
  for (const unit of units) {
    for (const s of sparsities) {
      throwIfAborted(options.signal);
      const layers: Record<string, number> = {};
      for (const w of all) layers[w] = 0;
      for (const w of unit) layers[w] = s;
      const request: PruneRequest = { sparsity: 0, scope: 'layer', layers, seed: options.seed ?? 0 };
      if (method.granularity === 'filter') request.remove = false;
      const pruned = await pruneModel(work, method, request);
      const row = { layers: unit, sparsity: s, accuracy: await options.evaluate(pruned.model) };
      rows.push(row);
      options.onRow?.(row, rows.length, total);
    }
  }
  return { baseline, rows };
}
