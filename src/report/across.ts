/**
 * Methods across models: the study's question ("which pruning method most?") is asked of the
 * method, not of one model. Each (model, fault model) group judges its variants on its own
 * metric, but every group with an AUC grid also tests each pruned variant against its unpruned
 * model by normalized AUC (the group's main family, or its cross-check), Holm-corrected within
 * the group. Those tests line up across groups by (method, sparsity): a method is "more tolerant
 * everywhere" only if it is so in every group that measured it, so each claim keeps its group's
 * error control.
 */
import { mustGet } from '../core/checked.js';
import type { Comparison, Derived, GroupStats } from './derive.js';
import type { ReportData } from './model.js';

/** One group's AUC test of one method: the comparison, and whether the variant is ranked at all. */
export interface AcrossCell {
  variantId: string;
  comparison: Comparison;
  /** False when the variant lost more clean accuracy than the ranking limit allows. */
  ranked: boolean;
}

/** One pruning method at one sparsity, with its test in every group (null where not measured). */
export interface AcrossRow {
  /** 'method@target'. */
  key: string;
  label: string;
  cells: (AcrossCell | null)[];
  /**
   * Significantly more tolerant in every / some / no group that measured and ranked it; 'single'
   * when fewer than two groups did, so there is nothing to line up.
   */
  outcome: 'everywhere' | 'somewhere' | 'nowhere' | 'single';
}

/** The across-models view: each method's verdict lined up over the (model, fault model) groups. */
export interface AcrossModels {
  groups: GroupStats[];
  rows: AcrossRow[];
  /** Column heading per group: the model, plus the fault model when the groups differ in it. */
  columns: string[];
  /** What a column is: 'model', or 'model and fault model' when the groups differ in it. */
  unit: string;
  /** The ranking limit on lost clean accuracy (a fraction). */
  maxCleanLoss: number;
}

/** The family holding a group's AUC tests against the unpruned model, if it has one. */
export function aucFamily(g: GroupStats): Comparison['family'] | null {
  const family = g.primary === 'auc' ? 'vs-unpruned' : 'cross-check';
  return g.comparisons.some((c) => c.family === family) ? family : null;
}

/**
 * Variants that lost more than `maxCleanLoss` of the unpruned model's clean accuracy: shown but
 * not ranked, since a model near chance has nothing left to lose under faults.
 */
export function unranked(d: Derived, g: GroupStats): Set<string> {
  const limit = d.options.maxCleanLoss;
  return new Set(
    g.costs
      .filter((c) => c.variantId !== g.baselineId && c.cleanDiff && c.cleanDiff.value < -limit)
      .map((c) => c.variantId),
  );
}

/** The methods-across-models view, or null when fewer than two groups have AUC tests. */
export function acrossModels(data: ReportData, d: Derived): AcrossModels | null {
  const groups = d.groups.filter((g) => aucFamily(g) !== null);
  if (groups.length < 2) return null;
  const byId = new Map(data.variants.map((v) => [v.id, v]));
  const keyOf = (id: string): string => {
    const v = mustGet(byId, id);
    return `${v.method}@${v.target}`;
  };
  const rows = new Map<string, AcrossRow>();
  for (const v of data.variants) {
    const key = `${v.method}@${v.target}`;
    if (v.method !== 'none' && !rows.has(key))
      rows.set(key, { key, label: v.label, cells: [], outcome: 'nowhere' });
  }
  groups.forEach((g, i) => {
    const fam = aucFamily(g);
    const skip = unranked(d, g);
    for (const c of g.comparisons) {
      if (c.family !== fam) continue;
      const row = rows.get(keyOf(c.a));
      if (row) row.cells[i] = { variantId: c.a, comparison: c, ranked: !skip.has(c.a) };
    }
  });
  const measured = [...rows.values()].filter((r) => r.cells.some(Boolean));
  for (const r of measured) {
    r.cells = groups.map((_, i) => r.cells[i] ?? null);
    const judged = r.cells.flatMap((c) => (c?.ranked ? [c] : []));
    const better = judged.filter((c) => c.comparison.significant && c.comparison.ratio.value > 1).length;
    r.outcome =
      judged.length < 2
        ? 'single'
        : better === judged.length
          ? 'everywhere'
          : better > 0
            ? 'somewhere'
            : 'nowhere';
  }
  const oneFaultModel = new Set(groups.map((g) => g.faultModel.label)).size === 1;
  return {
    groups,
    rows: measured,
    columns: groups.map((g) => (oneFaultModel ? g.model : `${g.model} (${g.faultModel.label})`)),
    unit: oneFaultModel ? 'model' : 'model and fault model',
    maxCleanLoss: d.options.maxCleanLoss,
  };
}
