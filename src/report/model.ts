/**
 * The report's input: everything a study measured, as plain JSON-serializable data. The study
 * stage (or `prunefi report <campaign db>`) builds it; src/report turns it into HTML, SVG, CSV
 * and JSON and derives the statistics (intervals, tolerance thresholds, conclusions) itself, so
 * a report can always be re-rendered from this file alone.
 */

/** How the study can be rerun and what it ran on. */
export interface Provenance {
  /** Version of prunefi that ran the study (package.json). */
  prunefiVersion: string;
  /** Version of onnxruntime-node used for inference and training. */
  onnxruntimeVersion: string;
  /** `process.version`, e.g. 'v20.20.2'. */
  nodeVersion: string;
  /** Operating system and architecture, e.g. 'linux x64'. */
  platform: string;
  /** CPU count and model, e.g. '2 × Intel Xeon ...'. */
  cpus: string;
  /** The command line that produced the study. */
  command: string;
  /** The study configuration as given (after defaults were filled in). */
  config: unknown;
  /** Hash of `config` (e.g. 'sha256:…'): two studies with the same hash ran the same configuration. */
  configHash: string;
  /** Every seed the study used, by purpose (e.g. { study: 1, faults: 2 }). */
  seeds: Record<string, number>;
  /** Wall-clock durations of the study's steps. */
  durations: { step: string; seconds: number }[];
  /** ISO 8601 time the study started. The only timestamps a report shows. */
  startedAt: string;
  /** ISO 8601 time the study finished. */
  finishedAt: string;
}

/**
 * Every granularity a variant can have: the pruning stage's granularities plus 'none' for the
 * unpruned baseline. One list serves the type and the validator of report data, so a new kind
 * of pruning cannot pass the type check and then be refused when its report is rendered.
 */
export const VARIANT_GRANULARITIES = ['none', 'unstructured', 'n:m', 'filter', 'head'] as const;

/** What a variant's pruning removed (see VARIANT_GRANULARITIES). */
export type VariantGranularity = (typeof VARIANT_GRANULARITIES)[number];

/** One model variant: a base model, unpruned or pruned by one method at one sparsity. */
export interface Variant {
  /** Unique id within the report, e.g. 'resnet18-cifar/magnitude-global@0.9'. */
  id: string;
  /** Base model name, e.g. 'resnet18-cifar'. */
  model: string;
  /** Pruning method registry name, or 'none' for the unpruned baseline. */
  method: string;
  /** Human label, e.g. 'magnitude (global) 90%'. */
  label: string;
  /** What the method removes: single weights, N:M groups, whole filters or attention heads (structured), or nothing. */
  granularity: VariantGranularity;
  /** Target sparsity or ratio the method was asked for (0 for the baseline). */
  target: number;
  /** Fraction of exactly-zero parameters in the final model. */
  sparsity: number;
  /** Parameters stored (structured pruning removes some outright). */
  params: number;
  /** Parameters that are not exactly zero. */
  nonzeroParams: number;
  /** Multiply-accumulates per input image. */
  macs: number;
  /** Stored bits per storage format name (dense, csr, bitmask) under the study's number format(s). */
  memoryBits: Record<string, number>;
  /** Clean (fault-free) test accuracy and its counts. */
  cleanAccuracy: number;
  /** Correctly classified test images (cleanAccuracy = cleanCorrect / cleanTotal; intervals use the counts). */
  cleanCorrect: number;
  /** Test images evaluated. */
  cleanTotal: number;
  /** Accuracy right after pruning, before fine-tuning (absent for the baseline). */
  accuracyBeforeFinetune?: number;
  /** Fine-tuning epochs after pruning (absent for the baseline). */
  finetuneEpochs?: number;
  /** Path of the model file, relative to the report. */
  file?: string;
}

/** The fault model a campaign used. */
export interface FaultModelInfo {
  /**
   * e.g. 'float32 dense bit-flip'. Identifies the fault model: sweeps are grouped by (model,
   * label), and every sweep with the same label must carry the same definition.
   */
  label: string;
  /** Number format of the stored weights (fault registry name, e.g. 'float32', 'int8'). */
  numberFormat: string;
  /** Storage format name (e.g. 'dense', 'csr', 'bitmask'); a key of Variant.memoryBits. */
  storageFormat: string;
  /** Fault type name (e.g. 'bit-flip', 'stuck-at-0'). */
  faultType: string;
  /** Whether BatchNorm was folded into the weights before storing them. */
  foldBn: boolean;
}

/** Outcome of one BER trial over the image subset. */
export interface TrialOutcome {
  /** Top-1 accuracy over the sweep's images with this trial's faults. */
  accuracy: number;
  /** Images whose top-1 differs from the fault-free model. */
  sdc: number;
  /** Images correct without faults and wrong with them. */
  criticalSdc: number;
  /** Images whose logits contain NaN or Inf. */
  nonFinite: number;
  /** Number of faults injected in this trial. */
  faults: number;
  /**
   * Seed of this trial's fault draw. Optional; when two sweeps' trials at a BER carry the same
   * seeds, the report pairs them (trial with trial) in comparisons, which removes the
   * between-draw variance from the difference; otherwise it compares them as independent samples.
   */
  seed?: number;
}

/** A bit-error-rate sweep of one variant under one fault model. */
export interface BerSweep {
  /** Id of the variant (in ReportData.variants) the faults were injected into. */
  variantId: string;
  faultModel: FaultModelInfo;
  /** Images each trial classified. */
  images: number;
  /**
   * Fault-free accuracy on this sweep's images: the reference the tolerance threshold ("BER at
   * which mean accuracy falls N points below clean") is measured from. Optional; when absent the
   * variant's `cleanAccuracy` is used and the report says so, because that is measured on a
   * possibly different image set.
   */
  cleanAccuracy?: number;
  /** BERs (each > 0, at most 1) with the outcome of every trial; order does not matter. */
  points: { ber: number; trials: TrialOutcome[] }[];
}

/** Counts of single-fault experiments in one bucket (a bit position, a layer...). */
export interface SdcCounts {
  /** Single-fault experiments (one flipped bit each) in this bucket. */
  experiments: number;
  /** Experiments in which at least one image's top-1 changed. */
  sdcExperiments: number;
  /** Experiments in which at least one golden-correct image became wrong. */
  criticalExperiments: number;
  /** Image-level SDCs summed over experiments (divide by experiments × images for a rate). */
  sdcImages: number;
}

/** A single-fault sweep of one variant under one fault model. */
export interface BitSweep {
  /** Id of the variant (in ReportData.variants) the faults were injected into. */
  variantId: string;
  faultModel: FaultModelInfo;
  /** Images each experiment classified. */
  images: number;
  /** Counts per bit position of the stored number (0 = least significant). */
  byBit: ({ bit: number } & SdcCounts)[];
  /**
   * Counts per weight layer (initializer name), with the layer's sparsity and its bits of
   * storage under this fault model's storage format.
   */
  byLayer: ({ layer: string; sparsity: number; storedBits: number } & SdcCounts)[];
  /** Counts over all experiments of the sweep. */
  total: SdcCounts;
}

/** Everything a report shows. */
export interface ReportData {
  /** The report's heading. */
  title: string;
  /** What the study asks, one paragraph (shown at the top). */
  question: string;
  /** The dataset: its name, the split evaluated, the class count, and images per fault trial. */
  dataset: { name: string; split: string; classes: number; faultImages: number };
  provenance: Provenance;
  /** Every model variant, unpruned baselines included (method 'none', at most one per model). */
  variants: Variant[];
  /** At most one BER sweep per (variant, fault model label). */
  berSweeps: BerSweep[];
  /** At most one single-fault sweep per (variant, fault model label). */
  bitSweeps: BitSweep[];
  /**
   * Study steps not run yet, when the report was written part-way through a study (absent or
   * empty: the study is complete). Everything shown covers the finished steps only.
   */
  pending?: string[];
}
