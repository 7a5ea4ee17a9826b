/**
 * `pruneModel`: one pruning call from a model to a pruned model with its provenance and a
 * per-layer report. The parent model is never modified.
 */
import { mustGet } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import type { ProgressCallback } from '../core/progress.js';
import { Rng } from '../core/rng.js';
import { cloneModel, materializeIdentityConstants, weightLayers } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { summarizeModel } from '../onnx/summary.js';
import { numel, toFloat32 } from '../onnx/tensor.js';
import { analyzeChannels, blockedReason, type ChannelPlan } from './channels.js';
import { applyMasks } from './masks.js';
import { resolveOptions } from './options.js';
import { PRUNE_META, weightsSha256 } from './provenance.js';
import { PRUNE_METHODS } from './registry.js';
import { checkRemovable, removeChannels } from './remove.js';
import { selectTargets } from './targets.js';
import { fineTune, type TrainingSetup } from './training.js';
import type { Masks, MethodContext, PruneMethod, PruneOptions, ResolvedOptions } from './types.js';

/** Options of one pruning call. */
export interface PruneRequest extends PruneOptions {
  /** Cut pruned channels out of the model (filter methods only; their default). */
  remove?: boolean;
  /** With `remove`: channels behind an op the structural pass cannot follow are masked, not an error. */
  maskFallback?: boolean;
  /** Training data and recipe: required by methods that need data or training, and by fine-tuning. */
  setup?: TrainingSetup;
  /** Epochs of fine-tuning after pruning (default 0), with the pruned weights held at zero. */
  finetuneEpochs?: number;
  /** Called with the pruned model before fine-tuning (to measure accuracy after pruning). */
  onPruned?: (model: Model) => Promise<void>;
  /** sha256 of the parent file's bytes, recorded in the metadata when given. */
  parentFileSha256?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** One weight layer before and after pruning. */
export interface LayerReport {
  /** Module name as PyTorch names it (the weight's prefix), as `prunefi info` shows it. */
  name: string;
  /** ONNX node name. */
  node: string;
  weight: string;
  op: string;
  shapeBefore: number[];
  shapeAfter: number[];
  /** Weight + bias parameters, before and after (smaller only after physical removal). */
  paramsBefore: number;
  paramsAfter: number;
  /** Fraction of the parent's weights that are zero or removed. */
  sparsity: number;
  macsBefore: number;
  macsAfter: number;
  /** Whether the layer was a pruning target. */
  target: boolean;
}

/** What `pruneModel` returns. */
export interface PruneResult {
  model: Model;
  method: string;
  options: ResolvedOptions;
  masks: Masks;
  /** Filter methods: pruned channels per group id. */
  plan?: ChannelPlan;
  /** True when channels were physically removed. */
  removed: boolean;
  layers: LayerReport[];
  /** Fraction of the target layers' weights that are zero or removed. */
  sparsity: number;
  paramsBefore: number;
  paramsAfter: number;
  macsBefore: number;
  macsAfter: number;
  notes: string[];
  /** Set when fine-tuned: epochs run and the test accuracy after the last one (with a test set). */
  finetuned?: { epochs: number; accuracy?: number };
}

function countNonzero(v: Float32Array): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) n++;
  return n;
}

/**
 * Prunes a copy of `model` with the named method. Options are checked before any work; a method
 * that needs data, gradients or training is refused here when none is given. Filter methods cut
 * the chosen channels out unless `remove` is false, and fail with PRUNE_UNSUPPORTED naming the
 * node when an op stands in the way (unless `maskFallback`).
 */
export async function pruneModel(
  model: Model,
  method: string | PruneMethod,
  request: PruneRequest,
): Promise<PruneResult> {
  const m = typeof method === 'string' ? PRUNE_METHODS.get(method) : method;
  const options = resolveOptions(m, request);
  const finetuneEpochs = request.finetuneEpochs ?? 0;
  if (!Number.isInteger(finetuneEpochs) || finetuneEpochs < 0) {
    throw new RangeError(`finetuneEpochs must be a non-negative integer, got ${finetuneEpochs}`);
  }
  if (!request.setup && (m.needsData || m.needsTraining || finetuneEpochs > 0)) {
    const what = [m.needsData && 'data', m.needsGradients && 'gradients', m.needsTraining && 'training']
      .filter(Boolean)
      .join(', ');
    throw new PrunefiError(
      'PRUNE',
      finetuneEpochs > 0 && !m.needsData && !m.needsTraining
        ? 'fine-tuning needs training data; pass --data'
        : `pruning method '${m.name}' needs ${what}, but no training data was given; pass --data with a dataset that has a training split`,
    );
  }
  const structured = m.granularity === 'filter' || m.granularity === 'head';
  const remove = request.remove ?? structured;
  if (remove && !structured) {
    throw new RangeError(
      `remove applies to filter and head methods only; '${m.name}' prunes ${m.granularity} weights`,
    );
  }
  const work = cloneModel(model, true);
  materializeIdentityConstants(work.graph);
  // The parent's tensors are only read: a shallow copy suffices.
  const parent = cloneModel(model);
  materializeIdentityConstants(parent.graph);
  const { targets, skipped } = selectTargets(work.graph, options);
  if (targets.length === 0) {
    throw new PrunefiError(
      'PRUNE',
      'no weight layer is left to prune; check the skip options and per-layer overrides',
    );
  }
  const ctx: MethodContext = {
    model: work,
    targets,
    options,
    rng: Rng.seeded(options.seed).split('prune', m.name),
  };
  if (m.granularity === 'filter') ctx.channels = analyzeChannels(work.graph);
  if (request.setup) ctx.setup = request.setup;
  if (request.signal) ctx.signal = request.signal;
  if (request.onProgress) ctx.onProgress = request.onProgress;
  const result = await m.run(ctx);
  const notes = [...skipped.map((s) => `${s.weight}: not pruned (${s.reason})`), ...result.notes];
  const pruned = result.model ?? work;
  applyMasks(pruned.graph, result.masks);
  let out = pruned;
  let removed = false;
  if (remove && result.remover) {
    out = result.remover(pruned);
    removed = result.masks.size > 0;
  }
  if (remove && result.plan && ctx.channels) {
    const plan: ChannelPlan = new Map(result.plan);
    if (request.maskFallback) {
      for (const g of ctx.channels.groups) {
        const why = blockedReason(g);
        if (why && plan.has(g.id)) {
          plan.delete(g.id);
          notes.push(
            `${g.sources.map((s) => s.layer.weight).join(', ')}: channels masked, not removed (${why})`,
          );
        }
      }
    } else checkRemovable(ctx.channels, plan);
    out = removeChannels(pruned, ctx.channels, plan);
    removed = plan.size > 0;
  }
  await request.onPruned?.(out);
  let finetuned: { accuracy?: number; epochs: number } | undefined;
  if (finetuneEpochs > 0) {
    const ft = await fineTune(out, result.masks, request.setup!, finetuneEpochs, options.seed);
    out = ft.model;
    const acc = ft.history[ft.history.length - 1]?.testAccuracy;
    finetuned = { epochs: ft.history.length, ...(acc === undefined ? {} : { accuracy: acc }) };
  }
  const report = layerReport(parent, out, new Set(targets.map((t) => t.weight)));
  const targetRows = report.layers.filter((l) => l.target);
  const before = targetRows.reduce((a, l) => a + numel(l.shapeBefore), 0);
  const zeroed = targetRows.reduce((a, l) => a + l.sparsity * numel(l.shapeBefore), 0);
  const sparsity = before ? zeroed / before : 0;
  const meta = out.metadata;
  meta.set(`${PRUNE_META}method`, m.name);
  meta.set(
    `${PRUNE_META}options`,
    JSON.stringify({ ...options, remove, maskFallback: request.maskFallback ?? false }),
  );
  meta.set(`${PRUNE_META}seed`, String(options.seed));
  meta.set(`${PRUNE_META}removed`, String(removed));
  meta.set(`${PRUNE_META}sparsity`, sparsity.toFixed(6));
  meta.set(`${PRUNE_META}params`, String(report.paramsAfter));
  meta.set(`${PRUNE_META}parent_params`, String(report.paramsBefore));
  meta.set('prunefi.parent.weights_sha256', weightsSha256(model.graph));
  if (request.parentFileSha256) meta.set('prunefi.parent.file_sha256', request.parentFileSha256);
  if (finetuned) meta.set(`${PRUNE_META}finetune_epochs`, String(finetuned.epochs));
  const res: PruneResult = {
    model: out,
    method: m.name,
    options,
    masks: result.masks,
    removed,
    sparsity,
    notes,
    ...report,
  };
  if (result.plan) res.plan = result.plan;
  if (finetuned) res.finetuned = finetuned;
  return res;
}

/** Per-layer parameters, MACs and sparsity of a pruned model against its parent. */
export function layerReport(
  parent: Model,
  pruned: Model,
  targets: ReadonlySet<string>,
): Pick<PruneResult, 'layers' | 'paramsBefore' | 'paramsAfter' | 'macsBefore' | 'macsAfter'> {
  const sb = summarizeModel(parent.graph);
  const sa = summarizeModel(pruned.graph);
  const rowsB = new Map(sb.layers.map((l) => [l.node, l]));
  const rowsA = new Map(sa.layers.map((l) => [l.node, l]));
  const layers: LayerReport[] = [];
  for (const l of weightLayers(parent.graph)) {
    const node = l.node.name || l.node.outputs[0] || l.node.opType;
    const b = rowsB.get(node);
    const a = rowsA.get(node);
    const wb = mustGet(parent.graph.initializers, l.weight);
    const wa = pruned.graph.initializers.get(l.weight);
    const nonzero = wa ? countNonzero(toFloat32(wa)) : 0;
    layers.push({
      name: b?.name ?? node,
      node,
      weight: l.weight,
      op: l.node.opType,
      shapeBefore: [...wb.dims],
      shapeAfter: wa ? [...wa.dims] : [],
      paramsBefore: b?.params ?? numel(wb.dims),
      paramsAfter: a?.params ?? (wa ? numel(wa.dims) : 0),
      sparsity: 1 - nonzero / numel(wb.dims),
      macsBefore: b?.macs ?? 0,
      macsAfter: a?.macs ?? 0,
      target: targets.has(l.weight),
    });
  }
  return { layers, paramsBefore: sb.params, paramsAfter: sa.params, macsBefore: sb.macs, macsAfter: sa.macs };
}
