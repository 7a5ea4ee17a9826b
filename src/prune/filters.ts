/**
 * Filter (channel) pruning: scoring filters (L1/L2 norm after Li et al. 2017, distance to the
 * geometric median after He et al. 2019), summing the scores of layers that share channels, and
 * choosing which channels of each group go.
 */
import { mustGet, nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import type { Graph } from '../onnx/ir.js';
import { numel, toFloat32 } from '../onnx/tensor.js';
import { type ChannelAnalysis, type ChannelGroup, type ChannelPlan, pinnedReason } from './channels.js';
import { countToPrune, maskLowest } from './masks.js';
import type { PruneTarget } from './targets.js';
import type { Scope } from './types.js';

/** The filters of a weight as rows: filter c is every entry whose index along `axis` is c. */
export function filterRows(values: Float32Array, dims: readonly number[], axis: number): Float32Array[] {
  const outer = numel(dims.slice(0, axis));
  const size = nth(dims, axis);
  const inner = numel(dims.slice(axis + 1));
  const rows = Array.from({ length: size }, () => new Float32Array(outer * inner));
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < size; c++)
      rows[c]!.set(values.subarray((o * size + c) * inner, (o * size + c + 1) * inner), o * inner);
  return rows;
}

/** The Lp norm (p = 1 or 2) of each filter. */
export function filterNorms(
  values: Float32Array,
  dims: readonly number[],
  axis: number,
  p: 1 | 2,
): Float64Array {
  return Float64Array.from(filterRows(values, dims, axis), (r) => {
    let s = 0;
    if (p === 1) for (let i = 0; i < r.length; i++) s += Math.abs(r[i]!);
    else {
      for (let i = 0; i < r.length; i++) s += r[i]! * r[i]!;
      s = Math.sqrt(s);
    }
    return s;
  });
}

/**
 * FPGM's score of each filter: the sum of its Euclidean distances to all other filters of the
 * layer. The filters with the smallest sums lie nearest the geometric median of the layer (the
 * point minimizing that sum), so the others can best stand in for them; they are pruned first.
 */
export function geometricMedianScores(
  values: Float32Array,
  dims: readonly number[],
  axis: number,
): Float64Array {
  const rows = filterRows(values, dims, axis);
  const n = rows.length;
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = nth(rows, i);
    for (let j = i + 1; j < n; j++) {
      const b = rows[j]!;
      let d = 0;
      for (let k = 0; k < a.length; k++) {
        const t = a[k]! - b[k]!;
        d += t * t;
      }
      d = Math.sqrt(d);
      s[i] = s[i]! + d;
      s[j] = s[j]! + d;
    }
  }
  return s;
}

/** How one layer's filters are scored. */
export type FilterScorer = (values: Float32Array, dims: readonly number[], axis: number) => Float64Array;

/** A group chosen for pruning, with its ratio. */
export interface GroupTarget {
  group: ChannelGroup;
  ratio: number;
  /** Set by a per-layer override: cut alone at its own ratio, outside a global pool. */
  overridden: boolean;
}

/**
 * The channel groups a filter method may prune: groups whose channels can shrink and whose every
 * producing layer is a target. Groups tied to a skipped layer, pinned groups (graph input/output,
 * grouped convolutions) and groups with conflicting per-layer ratios are reported in `notes`
 * (conflicting ratios are an error: the user asked for something impossible).
 */
export function groupTargets(
  analysis: ChannelAnalysis,
  targets: readonly PruneTarget[],
): { groups: GroupTarget[]; notes: string[] } {
  const byWeight = new Map(targets.map((t) => [t.weight, t]));
  const groups: GroupTarget[] = [];
  const notes: string[] = [];
  for (const g of analysis.groups) {
    if (g.sources.length === 0) continue;
    const names = g.sources.map((s) => s.layer.weight);
    const members = names.map((w) => byWeight.get(w));
    if (members.every((m) => m === undefined)) continue;
    const pinned = pinnedReason(g);
    if (pinned) {
      notes.push(`${names.join(', ')}: filters kept (${pinned})`);
      continue;
    }
    const missing = names.filter((_, i) => !members[i]);
    const present = members.filter((m) => m !== undefined);
    const [first] = present;
    if (missing.length || !first) {
      notes.push(
        `${names.join(', ')}: filters kept (channels tied to ${missing.join(', ')}, which is not pruned)`,
      );
      continue;
    }
    const ratios = new Set(present.map((m) => m.sparsity));
    if (ratios.size > 1) {
      throw new PrunefiError(
        'PRUNE',
        `layers ${names.join(', ')} share their output channels (residual connection) but were given different ratios (${[...ratios].join(', ')}); give them one ratio`,
      );
    }
    groups.push({
      group: g,
      ratio: first.sparsity,
      overridden: present.some((m) => m.overridden),
    });
  }
  return { groups, notes };
}

/** The per-channel score of a group: the sum of its producing layers' filter scores. */
export function groupScores(graph: Graph, group: ChannelGroup, scorer: FilterScorer): Float64Array {
  const total = new Float64Array(group.size);
  for (const s of group.sources) {
    const t = mustGet(graph.initializers, s.layer.weight);
    const sc = scorer(toFloat32(t), t.dims, s.axis);
    for (let c = 0; c < total.length; c++) total[c] = total[c]! + sc[c]!;
  }
  return total;
}

function describe(g: ChannelGroup): string {
  return g.sources.map((s) => s.layer.weight).join(', ');
}

/**
 * Chooses the channels to remove. Scope 'layer': each group loses round(ratio × channels) of its
 * lowest-scored channels. Scope 'global': all groups' channels compete, with each group's scores
 * divided by their mean first (raw norms grow with a layer's fan-in, so unnormalized scores
 * would empty the small layers; Torch-Pruning's default normalization does the same), and the
 * total removed is round(ratio × all channels). A choice that would remove every channel of a
 * group is a PrunefiError: the layer would vanish and the network would be cut in two.
 * Criteria whose scores are comparable across layers (loss estimates, BatchNorm scales) pass
 * `normalize` 'none'.
 */
export function selectChannels(
  targets: readonly GroupTarget[],
  scores: readonly Float64Array[],
  scope: Scope,
  normalize: 'mean' | 'none' = 'mean',
): ChannelPlan {
  const plan: ChannelPlan = new Map();
  const record = (t: GroupTarget, mask: Uint8Array): void => {
    const pruned = new Set<number>();
    mask.forEach((m, c) => {
      if (!m) pruned.add(c);
    });
    if (pruned.size >= t.group.size) {
      throw new PrunefiError(
        'PRUNE',
        `ratio ${t.ratio} would remove all ${t.group.size} filters of ${describe(t.group)}; use a smaller ratio or a per-layer override for it`,
      );
    }
    if (pruned.size) plan.set(t.group.id, pruned);
  };
  const pooled: number[] = [];
  targets.forEach((t, i) => {
    if (scope === 'global' && !t.overridden) pooled.push(i);
    else record(t, nth(maskLowest([nth(scores, i)], countToPrune(t.ratio, t.group.size)), 0));
  });
  if (pooled.length === 0) return plan;
  const pools = pooled.map((i) => {
    const s = nth(scores, i);
    const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
    return normalize === 'mean' && mean > 0 ? s.map((v) => v / mean) : s.slice();
  });
  const total = pooled.reduce((a, i) => a + nth(targets, i).group.size, 0);
  maskLowest(pools, countToPrune(nth(targets, nth(pooled, 0)).ratio, total)).forEach((m, j) => {
    record(nth(targets, nth(pooled, j)), m);
  });
  return plan;
}
