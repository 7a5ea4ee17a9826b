/**
 * The outcome of one fault-injection experiment over a fixed image set, measured against the
 * fault-free (golden) run of the same model on the same images.
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
  /** Images actually inferred (fast mode skips images the faulty weights cannot reach). */
  imagesRun: number;
}

/** Golden predictions and logits of one image set. */
export interface Golden {
  logits: Float32Array;
  predictions: Int32Array;
  classes: number;
}

/**
 * Scores faulty logits against golden. `rows` lists the images whose faulty logits are given
 * (row i of `logits` is image rows[i]); every other image is golden by construction.
 */
export function scoreOutcome(
  golden: Golden,
  labels: ArrayLike<number>,
  rows: Int32Array,
  logits: Float32Array,
  meta: Pick<Outcome, 'wordsChanged' | 'weightsChanged'>,
): Outcome {
  const k = golden.classes;
  const n = golden.predictions.length;
  const pred = argmaxRows(logits, k);
  let correct = 0;
  for (let i = 0; i < n; i++) if (golden.predictions[i] === labels[i]) correct++;
  let sdc = 0;
  let critical = 0;
  let nan = 0;
  let inf = 0;
  let dev = 0;
  for (let r = 0; r < rows.length; r++) {
    const img = rows[r]!;
    const g = golden.predictions[img]!;
    const p = pred[r]!;
    const label = labels[img]!;
    correct += (p === label ? 1 : 0) - (g === label ? 1 : 0);
    if (p !== g) {
      sdc++;
      if (g === label) critical++;
    }
    let hasNan = false;
    let hasInf = false;
    for (let c = 0; c < k; c++) {
      const v = logits[r * k + c]!;
      const gv = golden.logits[img * k + c]!;
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
  wordsChanged: number,
): Outcome {
  const o = scoreOutcome(golden, labels, new Int32Array(0), new Float32Array(0), {
    wordsChanged,
    weightsChanged: 0,
  });
  return { ...o, effect };
}
