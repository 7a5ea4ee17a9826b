/**
 * The campaign config: everything that decides a campaign's results (model and image-set
 * content hashes, memory layout, plan, seed, stopping rule). It is stored in the database with
 * its hash; a database is only ever continued with the identical config. Runtime choices that
 * do not change results (threads, batch size, fast or naive mode) are not part of it.
 */
import type { ProtectSpec } from '../fault/protect/types.js';
import type { Model } from '../onnx/ir.js';
import type { StoppingSpec } from './engine.js';
import { Evaluator, type EvaluatorOptions, type ImageInput, type SampleInput } from './evaluator.js';
import { protectedGraph, type RangerProfile } from './graph-protect.js';
import { buildPlan, type Plan, type PlanSpec } from './plan.js';

/** What a campaign is. */
export interface CampaignConfig {
  model: { spec: string; hash: string };
  /**
   * The samples: an image dataset's split and images per class, or a tensor dataset (split
   * 'tensors', perClass 0) and its first `limit` samples when limited; `classes` are the class
   * names its labels follow when they were given on the command line (`--classes`).
   */
  data: {
    spec: string;
    split: string;
    perClass: number;
    limit?: number;
    classes?: readonly string[];
    hash: string;
  };
  /** `protect` is absent without protections, so an unprotected campaign's config is as before. */
  memory: {
    numberFormat: string;
    storage: string;
    faultScales: boolean;
    foldBn: boolean;
    protect?: ProtectSpec[];
  };
  /** With `--protect ranger`: its bounds, profiled on training images when the campaign was created. */
  ranger?: RangerProfile;
  plan: PlanSpec;
  seed: number;
  stopping?: StoppingSpec;
}

/** The memory a campaign faults unless told otherwise: dense float32, BatchNorm folded into convs. */
export const DEFAULT_MEMORY: Readonly<CampaignConfig['memory']> = {
  numberFormat: 'float32',
  storage: 'dense',
  faultScales: false,
  foldBn: true,
};

/**
 * The config of a campaign on a target (see `imageCampaignTarget`) with a plan and a seed. The
 * memory defaults to `DEFAULT_MEMORY`, as on the command line.
 */
export function campaignConfig(
  target: { modelRef: CampaignConfig['model']; dataRef: CampaignConfig['data'] },
  plan: PlanSpec,
  o: { seed: number; memory?: CampaignConfig['memory']; ranger?: RangerProfile; stopping?: StoppingSpec },
): CampaignConfig {
  return {
    model: target.modelRef,
    data: target.dataRef,
    memory: { ...(o.memory ?? DEFAULT_MEMORY) },
    ...(o.ranger ? { ranger: o.ranger } : {}),
    plan,
    seed: o.seed,
    ...(o.stopping ? { stopping: o.stopping } : {}),
  };
}

/** A ready campaign: its evaluator (sessions, golden cache) and plan. */
export interface PreparedCampaign {
  evaluator: Evaluator;
  plan: Plan;
}

/**
 * Builds the evaluator and plan of a config for an already loaded model and image set (the CLI
 * resolves and checks them against the config's hashes). The evaluator runs the model with the
 * config's graph protections (Ranger's Clips) in it.
 */
export async function prepareCampaign(
  config: CampaignConfig,
  model: Model,
  input: ImageInput | SampleInput,
  runtime: Pick<EvaluatorOptions, 'mode' | 'threads' | 'batch' | 'cacheMiB' | 'safeDrop' | 'onProgress'> = {},
): Promise<PreparedCampaign> {
  const evaluator = await Evaluator.create(protectedGraph(model, config), input, {
    ...config.memory,
    ...runtime,
  });
  try {
    return { evaluator, plan: buildPlan(config.plan, evaluator.memory, config.seed) };
  } catch (err) {
    await evaluator.release();
    throw err;
  }
}
