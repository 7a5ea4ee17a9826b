/**
 * The outcome of one fault-injection experiment over a fixed sample set (images, or token
 * sequences), measured against the fault-free (golden) run of the same model on the same samples.
 */
import { argmaxRows } from '../core/argmax.js';

/** What an experiment did to the model's outputs. */
export interface Outcome {
  images: number;
  /** Images whose faulty top-1 class equals the label. */
  correct: number;
  accuracy: number;
  /** Silent data corruptions: images whose top-1 class differs from the golden top-1. */
  sdc: number;
  /** SDCs of images the golden model classified correctly (correct → wrong). */
  criticalSdc: number;
  /**
   * Scored output positions: one per image for a classifier, the tokens with a label ≥ 0 for a
   * sequence output. `correct` and `sdc` count samples (a sequence is correct when every token
   * is, an SDC when any token's top-1 changes); these count positions.
   */
  tokens: number;
  /** Scored positions whose top-1 equals the label. */
  tokenCorrect: number;
  /** Scored positions whose top-1 differs from golden. */
  tokenSdc: number;
  /** Images with at least one NaN logit. */
  nanImages: number;
  /** Images with at least one ±Infinity logit (and no NaN). */
  infImages: number;
  /** Largest |faulty − golden| logit over all images and classes (Infinity when one is not finite). */
  maxLogitDeviation: number;
  /**
   * 'none': no stored word changed (e.g. stuck-at on a bit already at that value); 'masked':
   * stored words changed but the decoded weights did not (e.g. a dropped index); 'run': inferred.
   * The first two are golden outcomes recorded without running the model.
   */
  effect: 'none' | 'masked' | 'run';
  /** Stored words whose bits changed, and decoded weights that changed. */
  wordsChanged: number;
  weightsChanged: number;
  /** Code words the protections corrected (0 without protections). */
  corrected: number;
  /**
   * Code words with a detected, uncorrectable error (DUE): a system that halts on one would not
   * have produced this experiment's outputs; the SDC counts are of one that carries on.
   */
  detected: number;
  /** Images actually inferred (fast mode skips images the faulty weights cannot reach). */
  imagesRun: number;
}

/** What the memory says about an experiment, before any inference. */
export type OutcomeMeta = Pick<Outcome, 'wordsChanged' | 'weightsChanged' | 'corrected' | 'detected'>;

/**
 * Golden predictions and logits of one sample set. A classifier has one scored position per
 * sample (logits [N, C]); a sequence output ([N, T, C], a token tagger or a language model) has
 * T, each with its own top-1 and label.
 */
export interface Golden {
  logits: Float32Array;
  /** Top-1 class of every position, sample after sample. */
  predictions: Int32Array;
  classes: number;
  /** Output positions per sample (1 for a classifier). */
  positions: number;
}

/** The golden reference of logits for `samples` samples, whose output's last axis is the class. */
export function makeGolden(logits: Float32Array, samples: number, classes: number): Golden {
  return {
    logits,
    predictions: argmaxRows(logits, classes),
    classes,
    positions: logits.length / classes / Math.max(1, samples),
  };
}

/**
 * Scores faulty logits against golden. `rows` lists the samples whose faulty logits are given
 * (row i of `logits` is sample rows[i]); every other sample is golden by construction. `labels`
 * holds one label per position (negative: not scored, as Hugging Face's -100 on padding). A
 * sample is correct when every scored position is, and an SDC when any scored position's top-1
 * differs from golden; the token counts score each position alone.
 */
export function scoreOutcome(
  golden: Golden,
  labels: ArrayLike<number>,
  rows: Int32Array,
  logits: Float32Array,
  meta: OutcomeMeta,
): Outcome {
  const k = golden.classes;
  const t = golden.positions;
  const n = golden.predictions.length / t;
  const pred = argmaxRows(logits, k);
  let correct = 0;
  let tokens = 0;
  let tokenCorrect = 0;
  const goldenCorrect = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let all = true;
    for (let j = i * t; j < (i + 1) * t; j++) {
      const label = labels[j]!;
      if (label < 0) continue;
      tokens++;
      if (golden.predictions[j] === label) tokenCorrect++;
      else all = false;
    }
    goldenCorrect[i] = all ? 1 : 0;
    correct += goldenCorrect[i]!;
  }
  let sdc = 0;
  let critical = 0;
  let tokenSdc = 0;
  let nan = 0;
  let inf = 0;
  let dev = 0;
  for (let r = 0; r < rows.length; r++) {
    const img = rows[r]!;
    let changed = false;
    let all = true;
    for (let j = 0; j < t; j++) {
      const label = labels[img * t + j]!;
      if (label < 0) continue;
      const g = golden.predictions[img * t + j]!;
      const p = pred[r * t + j]!;
      tokenCorrect += (p === label ? 1 : 0) - (g === label ? 1 : 0);
      if (p !== label) all = false;
      if (p !== g) {
        tokenSdc++;
        changed = true;
      }
    }
    correct += (all ? 1 : 0) - goldenCorrect[img]!;
    if (changed) {
      sdc++;
      if (goldenCorrect[img]) critical++;
    }
    let hasNan = false;
    let hasInf = false;
    for (let c = 0; c < k * t; c++) {
      const v = logits[r * k * t + c]!;
      const gv = golden.logits[img * k * t + c]!;
      if (Number.isNaN(v)) hasNan = true;
      else if (!Number.isFinite(v)) hasInf = true;
      const d = Number.isFinite(v) ? Math.abs(v - gv) : Number.POSITIVE_INFINITY;
      if (d > dev) dev = d;
    }
    if (hasNan) nan++;
    else if (hasInf) inf++;
  }
  return {
    images: n,
    correct,
    accuracy: correct / n,
    sdc,
    criticalSdc: critical,
    tokens,
    tokenCorrect,
    tokenSdc,
    nanImages: nan,
    infImages: inf,
    maxLogitDeviation: dev,
    effect: 'run',
    ...meta,
    imagesRun: rows.length,
  };
}

/** The outcome of an experiment that cannot change the model (recorded without inference). */
export function goldenOutcome(
  golden: Golden,
  labels: ArrayLike<number>,
  effect: 'none' | 'masked',
  meta: Omit<OutcomeMeta, 'weightsChanged'>,
): Outcome {
  const o = scoreOutcome(golden, labels, new Int32Array(0), new Float32Array(0), {
    ...meta,
    weightsChanged: 0,
  });
  return { ...o, effect };
}
