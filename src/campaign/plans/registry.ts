/**
 * The plan kinds. A new kind is one file exporting a `PlanKind` plus its line here (or, from
 * user code, `PLAN_KINDS.add(kind)`): the CLI flags, `prunefi faults`, validation, `inject
 * --index` and the report pick it up from this registry.
 */
import { Registry } from '../../core/registry.js';
import { BER } from './ber.js';
import { EXACT_K } from './exact-k.js';
import { EXHAUSTIVE } from './exhaustive.js';
import { FAULT_LIST } from './fault-list.js';
import { SINGLE_BIT } from './single-bit.js';
import type { PlanKind } from './types.js';

/** Every plan kind a campaign may name, in the order `prunefi faults` lists them. */
export const PLAN_KINDS = new Registry<PlanKind>('plan kind', [
  SINGLE_BIT,
  EXHAUSTIVE,
  BER,
  EXACT_K,
  FAULT_LIST,
]);
