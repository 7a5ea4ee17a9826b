/** The registry of every pruning method, by name (what `prunefi methods` lists). */
import { Registry } from '../core/registry.js';
import { gmp, imp } from './gradual.js';
import { heads } from './heads.js';
import { fpgm, l1Filter, l2Filter, magnitude, mlpUnits, nm, random } from './methods.js';
import { greg1, greg2, slimming } from './regularized.js';
import { grasp, snip, synflow, taylor } from './saliency.js';
import type { PruneMethod } from './types.js';
import { wanda } from './wanda.js';

/** Every pruning method, by name. */
export const PRUNE_METHODS = new Registry<PruneMethod>('pruning method', [
  magnitude,
  random,
  nm,
  gmp,
  imp,
  snip,
  grasp,
  synflow,
  l1Filter,
  l2Filter,
  fpgm,
  taylor,
  slimming,
  greg1,
  greg2,
  heads,
  mlpUnits,
  wanda,
]);
