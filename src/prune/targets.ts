/**
 * Which weight tensors a pruning call may touch, and at what sparsity each: the weights of
 * Conv/ConvTranspose/Gemm/MatMul layers (as torch.nn.utils.prune practice and the study prune
 * them; biases and BatchNorm parameters stay dense), minus the first/last layer when asked, with
 * per-layer overrides.
 */
import { mustGet } from '../core/checked.js';
import { unknownName } from '../core/errors.js';
import { type WeightLayer, weightLayers } from '../onnx/graph.js';
import type { Graph } from '../onnx/ir.js';
import type { ResolvedOptions } from './types.js';

/** A weight tensor that may be pruned. */
export interface PruneTarget {
  layer: WeightLayer;
  /** Initializer name of the weight (the mask key). */
  weight: string;
  dims: readonly number[];
  /** Sparsity to reach in this layer (the global sparsity unless overridden). */
  sparsity: number;
  /** True when a per-layer override set `sparsity`; such layers stay out of global pools. */
  overridden: boolean;
}

/** A weight layer left out of pruning, and why. */
export interface SkippedLayer {
  weight: string;
  reason: string;
}

const FLOAT_TYPES = new Set(['float32', 'float16', 'bfloat16', 'float64']);

/**
 * Lists the prunable weight tensors of a graph under the given options. Override keys may name a
 * weight initializer or its node; a key naming neither is a PrunefiError listing the layers.
 */
export function selectTargets(
  graph: Graph,
  options: ResolvedOptions,
): { targets: PruneTarget[]; skipped: SkippedLayer[] } {
  const layers = weightLayers(graph).filter((l) =>
    FLOAT_TYPES.has(mustGet(graph.initializers, l.weight).dtype),
  );
  const byKey = new Map<string, WeightLayer>();
  for (const l of layers) {
    byKey.set(l.weight, l);
    if (l.node.name) byKey.set(l.node.name, l);
  }
  const overrides = new Map<WeightLayer, number>();
  for (const [key, s] of Object.entries(options.layers)) {
    const l = byKey.get(key);
    if (!l)
      throw unknownName(
        'layer',
        key,
        layers.map((x) => x.weight),
      );
    overrides.set(l, s);
  }
  const targets: PruneTarget[] = [];
  const skipped: SkippedLayer[] = [];
  layers.forEach((l, i) => {
    const o = overrides.get(l);
    if (o === undefined && options.skipFirst && i === 0) {
      skipped.push({ weight: l.weight, reason: 'first layer (skip-first)' });
      return;
    }
    if (o === undefined && options.skipLast && i === layers.length - 1) {
      skipped.push({ weight: l.weight, reason: 'last layer (skip-last)' });
      return;
    }
    const sparsity = o ?? options.sparsity;
    if (o === 0) {
      skipped.push({ weight: l.weight, reason: 'per-layer sparsity 0' });
      return;
    }
    targets.push({
      layer: l,
      weight: l.weight,
      dims: mustGet(graph.initializers, l.weight).dims,
      sparsity,
      overridden: o !== undefined,
    });
  });
  return { targets, skipped };
}
