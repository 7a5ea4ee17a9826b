/**
 * Turns a study configuration into a DAG of steps, each with a content key: the hash of its own
 * configuration and the keys of the steps it depends on. A step whose key is unchanged is reused
 * from the artifact store; changing one option changes the keys of exactly the steps downstream
 * of it, so only those rerun.
 */
import type { PlanSpec } from '../campaign/plan.js';
import { hashJson } from '../core/hash.js';
import { checkStudyNames, type FaultModelConfig, type RecipeConfig, type StudyConfig } from './config.js';

/** Kinds of study steps, in pipeline order. */
export type StepKind = 'base' | 'prune' | 'eval' | 'ber' | 'bits' | 'plan';

/** One unit of study work. */
export interface Step {
  /** Human-readable unique id, e.g. 'prune resnet18-cifar/magnitude-global@0.9'. */
  id: string;
  kind: StepKind;
  /** Content key (sha256 hex). */
  key: string;
  /** Ids of the steps whose artifacts this one reads. */
  deps: string[];
  /** The variant this step belongs to (for eval/campaign steps and prune steps). */
  variant?: string;
  /** Everything the executor needs, JSON-serializable. */
  params: StepParams;
}

/** Parameters of each step kind. */
export type StepParams =
  | {
      kind: 'base';
      model: string;
      source: string;
      sourceIdentity: string;
      train?: RecipeConfig;
      data: string;
      trainSplit: string;
      trainLimit: number;
      testSplit: string;
      seed: number;
    }
  | {
      kind: 'prune';
      model: string;
      method: string;
      sparsity: number;
      options: Record<string, unknown>;
      finetune: RecipeConfig;
      data: string;
      trainSplit: string;
      trainLimit: number;
      testSplit: string;
      seed: number;
    }
  | { kind: 'eval'; data: string; split: string; limit: number }
  | {
      kind: 'ber';
      faultModel: FaultModelConfig;
      rates: number[];
      trials: number;
      images: number;
      data: string;
      split: string;
      seed: number;
    }
  | {
      kind: 'bits';
      faultModel: FaultModelConfig;
      perBit: number;
      images: number;
      data: string;
      split: string;
      seed: number;
    }
  | {
      /** A campaign of any registered plan kind the report can show (`campaigns.plans`). */
      kind: 'plan';
      faultModel: FaultModelConfig;
      /** The spec without its fault type, which comes from the fault model. */
      plan: PlanSpec;
      images: number;
      data: string;
      split: string;
      seed: number;
    };

/** Bump when a change to prunefi makes old artifacts invalid (new numerics, new file layout). */
export const ARTIFACT_VERSION = 1;

/** A variant's id: model name, then method@sparsity ('none' for the baseline). */
export function variantId(model: string, method: string, sparsity: number): string {
  return method === 'none' ? `${model}/unpruned` : `${model}/${method}@${sparsity}`;
}

/** Short label of a fault model, used in step ids and the report. */
export function faultModelLabel(f: FaultModelConfig): string {
  const protect = (f.protect ?? []).map((p) => p.name).join('+');
  return `${f.numberFormat} ${f.storageFormat} ${f.faultType}${f.foldBn ? '' : ' unfolded-bn'}${protect ? ` protected by ${protect}` : ''}`;
}

function key(kind: StepKind, params: StepParams, depKeys: string[]): string {
  return hashJson({ v: ARTIFACT_VERSION, kind, params, deps: depKeys });
}

/**
 * Plans a study. `sourceIdentity` returns a content identity for a model source (a file's
 * sha256, or the zoo name with its seed) so that replacing a model file invalidates its results.
 * Every registry name in the config is checked first (see `checkStudyNames`), so a config built in
 * code fails here as a parsed one fails in `parseStudyConfig`: before any step runs.
 */
export function planStudy(config: StudyConfig, sourceIdentity: (source: string) => string): Step[] {
  checkStudyNames(config);
  const steps: Step[] = [];
  const byId = new Map<string, Step>();
  const add = (id: string, params: StepParams, deps: string[], variant?: string): Step => {
    const depKeys = deps.map((d) => byId.get(d)!.key);
    const step: Step = { id, kind: params.kind, key: key(params.kind, params, depKeys), deps, params };
    if (variant) step.variant = variant;
    steps.push(step);
    byId.set(id, step);
    return step;
  };
  const { data, trainSplit, trainLimit, testSplit, seed } = config;
  for (const m of config.models) {
    const baseParams: StepParams = {
      kind: 'base',
      model: m.name,
      source: m.source,
      sourceIdentity: sourceIdentity(m.source),
      data,
      trainSplit,
      trainLimit,
      testSplit,
      seed,
    };
    if (m.train) baseParams.train = m.train;
    const base = add(`base ${m.name}`, baseParams, []);
    // Each variant's evaluation and campaigns follow its model right away, baseline first, so a
    // long study's stored results (and its partial report) cover whole variants as it goes.
    const measure = (vid: string, model: Step): void => {
      add(`eval ${vid}`, { kind: 'eval', data, split: testSplit, limit: config.evalLimit }, [model.id], vid);
      for (const f of config.faultModels) {
        const images = config.campaigns.images;
        if (config.campaigns.ber) {
          const { rates, trials } = config.campaigns.ber;
          add(
            `ber ${vid} [${faultModelLabel(f)}]`,
            { kind: 'ber', faultModel: f, rates, trials, images, data, split: testSplit, seed },
            [model.id],
            vid,
          );
        }
        if (config.campaigns.singleBit) {
          const { perBit } = config.campaigns.singleBit;
          add(
            `bits ${vid} [${faultModelLabel(f)}]`,
            { kind: 'bits', faultModel: f, perBit, images, data, split: testSplit, seed },
            [model.id],
            vid,
          );
        }
        for (const plan of config.campaigns.plans ?? []) {
          add(
            `${plan.kind} ${vid} [${faultModelLabel(f)}]`,
            { kind: 'plan', faultModel: f, plan, images, data, split: testSplit, seed },
            [model.id],
            vid,
          );
        }
      }
    };
    if (config.baseline) measure(variantId(m.name, 'none', 0), base);
    for (const p of config.pruning) {
      if (p.models && !p.models.includes(m.name)) continue;
      for (const s of p.sparsities) {
        const vid = variantId(m.name, p.method, s);
        const step = add(
          `prune ${vid}`,
          {
            kind: 'prune',
            model: m.name,
            method: p.method,
            sparsity: s,
            options: p.options,
            finetune: p.finetune,
            data,
            trainSplit,
            trainLimit,
            testSplit,
            seed,
          },
          [base.id],
          vid,
        );
        measure(vid, step);
      }
    }
  }
  return steps;
}
