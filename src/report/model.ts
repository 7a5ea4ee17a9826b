/**
 * The report's input: everything a study measured, as plain JSON-serializable data. The study
 * stage (or `prunefi report <campaign db>`) builds it; src/report turns it into HTML, SVG, CSV
 * and JSON and derives the statistics (intervals, tolerance thresholds, conclusions) itself, so
 * a report can always be re-rendered from this file alone.
 */

/** How the study can be rerun and what it ran on. */
export interface Provenance {
  prunefiVersion: string;
  onnxruntimeVersion: string;
  nodeVersion: string;
  platform: string;
  cpus: string;
  /** The command line that produced the study. */
  command: string;
  /** The study configuration as given (after defaults were filled in). */
  config: unknown;
  configHash: string;
  seeds: Record<string, number>;
  /** Wall-clock durations of the study's steps. */
  durations: { step: string; seconds: number }[];
  startedAt: string;
  finishedAt: string;
}

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
  granularity: 'none' | 'unstructured' | 'n:m' | 'filter';
  /** Target sparsity or ratio the method was asked for (0 for the baseline). */
  target: number;
  /** Fraction of exactly-zero parameters in the final model. */
  sparsity: number;
  params: number;
  nonzeroParams: number;
  macs: number;
  /** Stored bits per storage format name (dense, csr, bitmask) under the study's number format(s). */
  memoryBits: Record<string, number>;
  /** Clean (fault-free) test accuracy and its counts. */
  cleanAccuracy: number;
  cleanCorrect: number;
  cleanTotal: number;
  /** Accuracy right after pruning, before fine-tuning (absent for the baseline). */
  accuracyBeforeFinetune?: number;
  finetuneEpochs?: number;
  /** Path of the model file, relative to the report. */
  file?: string;
}

/** The fault model a campaign used. */
export interface FaultModelInfo {
  /** e.g. 'float32 dense bit-flip' */
  label: string;
  numberFormat: string;
  storageFormat: string;
  faultType: string;
  foldBn: boolean;
}

/** Outcome of one BER trial over the image subset. */
export interface TrialOutcome {
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
  variantId: string;
  faultModel: FaultModelInfo;
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
  variantId: string;
  faultModel: FaultModelInfo;
  images: number;
  byBit: ({ bit: number } & SdcCounts)[];
  byLayer: ({ layer: string; sparsity: number; storedBits: number } & SdcCounts)[];
  total: SdcCounts;
}

/** Everything a report shows. */
export interface ReportData {
  title: string;
  /** What the study asks, one paragraph (shown at the top). */
  question: string;
  dataset: { name: string; split: string; classes: number; faultImages: number };
  provenance: Provenance;
  variants: Variant[];
  berSweeps: BerSweep[];
  bitSweeps: BitSweep[];
}
