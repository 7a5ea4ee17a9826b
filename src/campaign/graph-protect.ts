/**
 * Graph protections in campaigns (`--protect ranger`). Ranger changes the graph, not the stored
 * words: its bounds are profiled once, on training images, when the campaign is created, and are
 * part of the campaign config (they decide its results), so `campaign resume`, queue workers and
 * study steps rebuild the identical clipped model from the config alone. The stored memory is the
 * unprotected model's (no check bits), so a seed's raw flips are the unprotected campaign's.
 */
import { PrunefiError } from '../core/errors.js';
import type { ProtectSpec } from '../fault/protect/types.js';
import type { Model } from '../onnx/ir.js';
import type { Tensor } from '../onnx/tensor.js';
import type { CampaignConfig } from './config.js';
import { injectedGraph } from './evaluator.js';
import { profileRangerBounds, type RangerBound, withRanger } from './ranger.js';

/** Ranger's profile as a campaign config records it. */
export interface RangerProfile {
  /** The dataset split the bounds were profiled on (the training split), and its images' content hash. */
  split: string;
  images: number;
  hash: string;
  bounds: RangerBound[];
}

/** The ranger entry of a campaign's protections, when it names one. */
export function rangerSpec(protect: readonly ProtectSpec[] | undefined): ProtectSpec | undefined {
  return protect?.find((p) => p.name === 'ranger');
}

/**
 * Ranger's profile for a campaign on `model`: the bounds of the graph the campaign computes
 * (BatchNorm folded unless `foldBn` is false) on the profiling images `images`, whose split and
 * content hash are recorded with them.
 */
export async function profileRanger(
  model: Model,
  foldBn: boolean,
  images: Tensor,
  ref: { split: string; hash: string },
): Promise<RangerProfile> {
  const bounds = await profileRangerBounds(injectedGraph(model, { foldBn }), images);
  return { split: ref.split, images: images.dims[0] ?? 0, hash: ref.hash, bounds };
}

/**
 * The model every evaluator of a campaign runs: `model` itself, or with `--protect ranger` the
 * graph the bounds were profiled on with a Clip after each activation. A config naming ranger
 * without a profile is refused: profiling again elsewhere could give other bounds.
 */
export function protectedGraph(model: Model, config: Pick<CampaignConfig, 'memory' | 'ranger'>): Model {
  if (!rangerSpec(config.memory.protect)) return model;
  if (!config.ranger)
    throw new PrunefiError(
      'FAULT_CONFIG',
      "protection ranger: the campaign config has no profiled bounds ('ranger'); create the campaign with 'prunefi campaign run --protect ranger', which profiles them on training images",
    );
  return withRanger(injectedGraph(model, { foldBn: config.memory.foldBn }), config.ranger.bounds);
}
