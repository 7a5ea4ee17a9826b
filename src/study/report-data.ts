/**
 * Assembles a study's ReportData from its plan and step results: one Variant per model artifact
 * (with its clean accuracy), one BerSweep / BitSweep per campaign step.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { foldBatchNorm } from '../fault/fold-bn.js';
import { StoredModel } from '../fault/memory.js';
import { materializeIdentityConstants } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { quantizedWeights } from '../onnx/quant.js';
import { summarizeModel } from '../onnx/summary.js';
import type { BerSweep, BitSweep, FaultModelInfo, Provenance, ReportData, Variant } from '../report/model.js';
import { runtimeVersion } from '../runtime/index.js';
import type { FaultModelConfig, StudyConfig } from './config.js';
import { faultModelLabel, type Step } from './plan.js';
import type { StepResult } from './steps.js';

function faultModelInfo(f: FaultModelConfig): FaultModelInfo {
  return {
    label: faultModelLabel(f),
    numberFormat: f.numberFormat,
    storageFormat: f.storageFormat,
    faultType: f.faultType,
    foldBn: f.foldBn,
  };
}

/** A variant's label: 'unpruned', or the method and its target sparsity ('magnitude 90%'). */
export function variantLabel(method: string, target: number): string {
  return method === 'none' ? 'unpruned' : `${method} ${Math.round(target * 1000) / 10}%`;
}

/** Stored bits of a model under every storage format, for the cost columns of the report. */
function memoryBits(model: Model, numberFormat: string, foldBn: boolean): Record<string, number> {
  const m = foldBn ? foldBatchNorm(model).model : model;
  const out: Record<string, number> = {};
  // A quantized model's integer words are stored dense (as the model stores them): prunefi does
  // not lay them out in CSR or bitmask formats yet, so its report shows dense memory only.
  const storages = quantizedWeights(m.graph).size > 0 ? ['dense'] : ['dense', 'csr', 'bitmask'];
  for (const storage of storages) out[storage] = new StoredModel(m.graph, { numberFormat, storage }).bits;
  return out;
}

/** A model's cost figures: sparsity, parameters, MACs and stored bits per storage format. */
export function variantFigures(
  model: Model,
  numberFormat: string,
  foldBn: boolean,
): Pick<Variant, 'sparsity' | 'params' | 'nonzeroParams' | 'macs' | 'memoryBits'> {
  const g = { ...model.graph, initializers: new Map(model.graph.initializers) };
  materializeIdentityConstants(g);
  const s = summarizeModel(g);
  return {
    sparsity: s.sparsity,
    params: s.params,
    nonzeroParams: s.params - s.zeros,
    macs: s.macs,
    memoryBits: memoryBits(model, numberFormat, foldBn),
  };
}

/** The machine and software a report's numbers were measured with. */
export function hostProvenance(): Pick<
  Provenance,
  'prunefiVersion' | 'onnxruntimeVersion' | 'nodeVersion' | 'platform' | 'cpus'
> {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return {
    prunefiVersion: pkg.version,
    onnxruntimeVersion: runtimeVersion(),
    nodeVersion: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  };
}

/** The study's question, shown at the top of the report. */
export const STUDY_QUESTION =
  'Does pruning change how well a network tolerates bit flips (soft errors) in the memory that stores its weights, and which pruning method gives the most fault-tolerant model at what cost in accuracy and size?';

/**
 * Builds the report input from the study's finished steps. Steps without a result are listed as
 * pending (a partial report, written while a long study runs); sweeps are kept only for variants
 * whose evaluation is among the results.
 */
export function buildReportData(
  config: StudyConfig,
  steps: readonly Step[],
  results: ReadonlyMap<string, StepResult>,
  provenance: Provenance,
  classes: number,
): ReportData {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const variants: Variant[] = [];
  const berSweeps: BerSweep[] = [];
  const bitSweeps: BitSweep[] = [];
  let faultImages = 0;
  const pending: string[] = [];
  for (const step of steps) {
    const r = results.get(step.id);
    if (!r) {
      pending.push(step.id);
      continue;
    }
    if (step.kind === 'eval' && r.kind === 'eval') {
      const modelStep = byId.get(step.deps[0]!)!;
      const m = results.get(modelStep.id)!;
      if (m.kind !== 'model') continue;
      const p = modelStep.params;
      const v: Variant = {
        id: step.variant!,
        model: p.kind === 'base' || p.kind === 'prune' ? p.model : '',
        method: m.method,
        label: variantLabel(m.method, m.target),
        granularity: m.granularity,
        target: m.target,
        sparsity: m.sparsity,
        params: m.params,
        nonzeroParams: m.nonzeroParams,
        macs: m.macs,
        memoryBits: m.memoryBits,
        cleanAccuracy: r.correct / r.total,
        cleanCorrect: r.correct,
        cleanTotal: r.total,
        file: m.file,
      };
      if (m.accuracyBeforeFinetune !== undefined) v.accuracyBeforeFinetune = m.accuracyBeforeFinetune;
      if (m.finetuneEpochs !== undefined) v.finetuneEpochs = m.finetuneEpochs;
      variants.push(v);
    } else if (r.kind === 'ber' && (step.params.kind === 'ber' || step.params.kind === 'plan')) {
      berSweeps.push({
        variantId: step.variant!,
        faultModel: faultModelInfo(step.params.faultModel),
        images: r.images,
        cleanAccuracy: r.cleanCorrect / r.images,
        points: r.points,
      });
      faultImages = r.images;
    } else if (r.kind === 'bits' && (step.params.kind === 'bits' || step.params.kind === 'plan')) {
      bitSweeps.push({
        variantId: step.variant!,
        faultModel: faultModelInfo(step.params.faultModel),
        images: r.images,
        byBit: r.byBit,
        byLayer: r.byLayer,
        total: r.total,
      });
      faultImages = r.images;
    }
  }
  return {
    title: `${config.name}: pruning vs fault tolerance`,
    question: STUDY_QUESTION,
    dataset: { name: config.data, split: config.testSplit, classes, faultImages },
    provenance,
    variants,
    berSweeps: berSweeps.filter((s) => variants.some((v) => v.id === s.variantId)),
    bitSweeps: bitSweeps.filter((s) => variants.some((v) => v.id === s.variantId)),
    ...(pending.length ? { pending } : {}),
  };
}
