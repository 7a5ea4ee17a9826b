/**
 * Campaign plans: the list of experiments, each defined by its index alone. Experiment i draws
 * its faults from `Rng.seeded(seed).split('experiment', i)`, so any experiment replays by itself
 * and a resumed or sharded campaign produces exactly the experiments an uninterrupted one would.
 *
 * Plan kinds live in the `PLAN_KINDS` registry (./plans/): each declares its options once, and
 * validation, the CLI's flags, `prunefi faults`, `inject --index` and the report read them there.
 */
import { PrunefiError, unknownName } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { FAULT_TYPES } from '../fault/fault-types.js';
import type { Fault, StoredModel } from '../fault/memory.js';
import { planError, specFromCli } from './plans/common.js';
import { PLAN_KINDS } from './plans/registry.js';
import type { PlanCliCommon, PlanKind, PlanOption } from './plans/types.js';

export { PLAN_KINDS } from './plans/registry.js';
export type { PlanCliCommon, PlanKind, PlanOption, PlanOptionType, PlanReport } from './plans/types.js';

/**
 * A plan, as stored in the campaign config (plain JSON): its registered kind and that kind's
 * options, e.g. `{ kind: 'ber', rates: [1e-6], trials: 30 }`.
 */
export type PlanSpec = { kind: string } & Record<string, unknown>;

/** An instantiated plan: the experiments of a campaign on one stored model. */
export interface Plan {
  readonly spec: PlanSpec;
  /** Number of planned experiments. */
  readonly size: number;
  /** The strata rates are reported by (bit positions, rates), in report order. */
  readonly strata: readonly string[];
  /** The stratum of experiment i. */
  stratum(i: number): string;
  /** The faults of experiment i (deterministic given the seed). */
  faults(i: number): Fault[];
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function checkNumber(kind: string, key: string, o: PlanOption, v: unknown, int: boolean): void {
  if (!isNumber(v) || (int && !Number.isSafeInteger(v)))
    throw planError(
      kind,
      `${key} must be ${int ? 'an integer' : 'a finite number'}, got ${JSON.stringify(v)}`,
    );
  if (o.min !== undefined && v < o.min) throw planError(kind, `${key} must be at least ${o.min}, got ${v}`);
  if (o.max !== undefined && v > o.max) throw planError(kind, `${key} must be at most ${o.max}, got ${v}`);
}

/** Checks one option value against its declaration (types and bounds; memory-free). */
function checkOption(kind: string, key: string, o: PlanOption, v: unknown): void {
  switch (o.type) {
    case 'int':
    case 'number':
      checkNumber(kind, key, o, v, o.type === 'int');
      return;
    case 'numbers':
    case 'ints':
      if (!Array.isArray(v) || v.length === 0)
        throw planError(kind, `${key} must be a non-empty list of numbers, got ${JSON.stringify(v)}`);
      for (const x of v) checkNumber(kind, `every entry of ${key}`, o, x, o.type === 'ints');
      return;
    case 'fault-type':
      if (typeof v !== 'string' || !FAULT_TYPES.has(v))
        throw unknownName('fault type', String(v), FAULT_TYPES.names());
      return;
    case 'targeting':
      if (!v || typeof v !== 'object' || Array.isArray(v))
        throw planError(kind, `${key} must be an object (layers, roles, regions, bits, valueRange)`);
      return;
    case 'fault-lists':
      if (!Array.isArray(v) || !v.every(Array.isArray))
        throw planError(kind, `${key} must be a list of experiments, each a list of faults`);
      return;
  }
}

/**
 * Checks a spec against its kind's declaration without a model: the kind is registered (else a
 * "did you mean"), every option is declared, required ones are present, and values have their
 * declared types and bounds. Stored configs, study configs and command lines all pass here first.
 */
export function checkPlanSpec(spec: unknown): PlanSpec {
  if (!spec || typeof spec !== 'object' || typeof (spec as { kind?: unknown }).kind !== 'string')
    throw new PrunefiError(
      'FAULT_CONFIG',
      `a plan must be an object with a kind (${PLAN_KINDS.names().join(', ')})`,
    );
  const s = spec as PlanSpec;
  const kind = PLAN_KINDS.get(s.kind);
  for (const [key, v] of Object.entries(s)) {
    if (key === 'kind' || v === undefined) continue;
    const o = kind.options[key];
    if (!o) throw unknownName(`option of the ${kind.name} plan`, key, Object.keys(kind.options));
    checkOption(kind.name, key, o, v);
  }
  for (const [key, o] of Object.entries(kind.options))
    if (o.required && s[key] === undefined)
      throw planError(kind.name, `${key} is required (${o.description})`);
  kind.check?.(s);
  return s;
}

/** Builds the plan of a spec on a stored model. Bad parameters are FAULT_CONFIG errors. */
export function buildPlan(spec: PlanSpec, memory: StoredModel, seed: number): Plan {
  checkPlanSpec(spec);
  const root = Rng.seeded(seed);
  return PLAN_KINDS.get(spec.kind).build(spec, memory, (i) => root.split('experiment', i));
}

/** The spec of a command line: the kind's own `fromCli`, or its values and the shared options. */
export function planFromCli(
  kind: PlanKind,
  values: Record<string, unknown>,
  common: PlanCliCommon,
): PlanSpec {
  return kind.fromCli ? kind.fromCli(values, common) : specFromCli(kind, values, common);
}
