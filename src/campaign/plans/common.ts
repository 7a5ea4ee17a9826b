/** Options and helpers shared by the built-in plan kinds. */
import { PrunefiError } from '../../core/errors.js';
import type { PlanSpec } from '../plan.js';
import type { PlanCliCommon, PlanKind, PlanOption } from './types.js';

/** The fault type, set by --fault-type. */
export const TYPE_OPTION: PlanOption = {
  type: 'fault-type',
  flag: false,
  description: "fault type (see 'prunefi faults'; default bit-flip)",
};

/** Which stored bits may be hit, set by --layers, --roles, --bits and --value-range. */
export const TARGETING_OPTION: PlanOption = {
  type: 'targeting',
  flag: false,
  description: 'which stored bits may be hit (default: every weight and bias bit)',
};

/** Adjacent bits per burst fault, set by --burst-length. */
export const LENGTH_OPTION: PlanOption = {
  type: 'int',
  min: 2,
  max: 32,
  flag: false,
  description: 'bits per burst (fault type burst)',
};

/** A FAULT_CONFIG error of a plan kind. */
export function planError(kind: string, what: string): PrunefiError {
  return new PrunefiError('FAULT_CONFIG', `${kind} plan: ${what}`);
}

/**
 * The default command-line spec: the kind's own values, then the shared fault options the kind
 * declares (an empty targeting is left out, so the stored config stays as short as it was).
 */
export function specFromCli(
  kind: PlanKind,
  values: Record<string, unknown>,
  common: PlanCliCommon,
): PlanSpec {
  const spec: PlanSpec = { kind: kind.name };
  if ('type' in kind.options) spec.type = common.type;
  if ('targeting' in kind.options && Object.keys(common.targeting).length) spec.targeting = common.targeting;
  if ('length' in kind.options && common.length !== undefined) spec.length = common.length;
  for (const [k, v] of Object.entries(values)) if (k in kind.options && v !== undefined) spec[k] = v;
  return spec;
}
