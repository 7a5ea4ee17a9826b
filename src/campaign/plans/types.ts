/** The contract of a plan kind: what one `PLAN_KINDS` entry declares and does. */
import type { RegistryEntry } from '../../core/registry.js';
import type { Rng } from '../../core/rng.js';
import type { Targeting } from '../../fault/fault-models.js';
import type { StoredModel } from '../../fault/memory.js';
import type { Plan, PlanSpec } from '../plan.js';

/**
 * How an option is typed in the stored JSON: numbers; non-empty lists of numbers or integers; a
 * fault type (checked against its registry); a targeting object; a list of fault lists.
 */
export type PlanOptionType =
  | 'int'
  | 'number'
  | 'numbers'
  | 'ints'
  | 'fault-type'
  | 'targeting'
  | 'fault-lists';

/** One option of a plan kind, as stored in the spec and (unless `flag: false`) as a CLI flag. */
export interface PlanOption {
  type: PlanOptionType;
  /** One line, for `--help` and error messages. */
  description: string;
  required?: boolean;
  /** Inclusive bounds of a number (of every entry of a list). */
  min?: number;
  max?: number;
  /**
   * The CLI flag (default: the key in kebab-case), or false when the command line sets it
   * through the options every plan shares (--fault-type, --burst-length, --layers, --bits...).
   */
  flag?: string | false;
  /** The value a command line that omits the flag gets (shown in `--help`); absent: none. */
  cliDefault?: number;
  /** What the flag's value names, for `--help` (default from the type). */
  placeholder?: string;
}

/** The fault options every command line states once, whatever the plan kind. */
export interface PlanCliCommon {
  /** --fault-type. */
  type: string;
  /** --burst-length, for multi-bit fault types. */
  length?: number;
  /** --layers, --roles, --bits (as a range), --value-range; empty when none is given. */
  targeting: Targeting;
  /** --bits as the list it was written as ('0,7,30'), when given. */
  bits?: number[];
}

/** How `prunefi report` shows a plan's campaigns. */
export type PlanReport =
  /** Tolerance curves: experiment i ran at rates[i mod #rates]. */
  | { as: 'ber'; rates: number[] }
  /** Per-bit and per-layer SDC rates: each experiment injects one fault. */
  | { as: 'single-fault' };

/** A plan kind: one entry of `PLAN_KINDS`. */
export interface PlanKind extends RegistryEntry {
  /** Every option a spec of this kind may hold, by JSON key. */
  readonly options: Readonly<Record<string, PlanOption>>;
  /**
   * The spec a command line gives. `values` holds this kind's own flags by option key (numbers
   * parsed, lists split; `fault-lists` options hold the file name); `common` the shared ones.
   * Absent: `{ kind, ...values, ...common }` restricted to the declared options.
   */
  fromCli?(values: Record<string, unknown>, common: PlanCliCommon): PlanSpec;
  /**
   * Memory-free checks beyond the options' declared types and bounds (FAULT_CONFIG), run by
   * `checkPlanSpec`, so a bad value fails before a model or dataset is loaded.
   */
  check?(spec: PlanSpec): void;
  /** How the report shows this plan's campaigns, or undefined when it cannot. */
  report(spec: PlanSpec): PlanReport | undefined;
  /**
   * The experiments on a stored model (the spec has passed `checkPlanSpec`). `rng(i)` is
   * experiment i's generator; memory-dependent checks throw FAULT_CONFIG.
   */
  build(spec: PlanSpec, memory: StoredModel, rng: (i: number) => Rng): Plan;
}
