/**
 * Batched classification with a plain inference session: the path `prunefi eval` measures, so
 * its throughput is the runtime's own plus the cost of feeding batches.
 */
import { argmaxRows } from '../core/argmax.js';
import { InterruptedError } from '../core/progress.js';
import type { Tensor } from '../onnx/tensor.js';
import type { Session } from './session.js';

/** One batch to classify, with its labels. */
export interface LabelledBatch {
  x: Tensor<'float32'>;
  y: ArrayLike<number>;
}

/** Result of `classify`. */
export interface Classification {
  correct: number;
  count: number;
  /** Predicted class of every image, in input order. */
  predictions: Int32Array;
  /** 1 where an image's prediction is its label, in input order. */
  hits: Uint8Array;
  /** Seconds spent inside the runtime (excludes producing the batches). */
  runtimeSeconds: number;
}

/**
 * Runs every batch through `session` and counts top-1 hits. `total` sizes the prediction array;
 * `onBatch` is told how many images are done; `signal` stops between batches.
 */
export async function classify(
  session: Session,
  input: string,
  output: string,
  batches: Iterable<LabelledBatch>,
  total: number,
  options: { onBatch?: (done: number) => void; signal?: AbortSignal } = {},
): Promise<Classification> {
  const predictions = new Int32Array(total);
  const hits = new Uint8Array(total);
  let correct = 0;
  let count = 0;
  let runtime = 0;
  for (const b of batches) {
    if (options.signal?.aborted) throw new InterruptedError('evaluation interrupted');
    const t = performance.now();
    const out = (await session.run({ [input]: b.x }, [output]))[output]!;
    runtime += performance.now() - t;
    const classes = out.dims[out.dims.length - 1]!;
    const pred = argmaxRows(out.data as Float32Array, classes);
    for (let i = 0; i < pred.length; i++) {
      predictions[count + i] = pred[i]!;
      if (pred[i] === b.y[i]) {
        hits[count + i] = 1;
        correct++;
      }
    }
    count += pred.length;
    options.onBatch?.(count);
  }
  return {
    correct,
    count,
    predictions: predictions.subarray(0, count),
    hits: hits.subarray(0, count),
    runtimeSeconds: runtime / 1000,
  };
}

/** One batch of any inputs (by graph input name), with one label per output position. */
export interface FeedBatch {
  feeds: Record<string, Tensor>;
  y: ArrayLike<number>;
}

/** Result of `classifyFeeds`: samples, and positions (tokens) for a sequence output. */
export interface FeedClassification {
  count: number;
  /** Samples whose every scored position is correct (a classifier: its top-1 hits). */
  correct: number;
  /** Scored positions (label ≥ 0) and the correct ones. */
  tokens: number;
  tokenCorrect: number;
  /** 1 where a sample is correct (every scored position), in input order. */
  hits: Uint8Array;
  runtimeSeconds: number;
}

/**
 * `classify` for models with any inputs and outputs [N, C] or [N, T, C]: top-1 per position
 * against labels per position; negative labels (padding) are not scored.
 */
export async function classifyFeeds(
  session: Session,
  output: string,
  batches: Iterable<FeedBatch>,
  options: { onBatch?: (done: number) => void; signal?: AbortSignal } = {},
): Promise<FeedClassification> {
  const r = { count: 0, correct: 0, tokens: 0, tokenCorrect: 0, runtimeSeconds: 0 };
  const hits: number[] = [];
  for (const b of batches) {
    if (options.signal?.aborted) throw new InterruptedError('evaluation interrupted');
    const t = performance.now();
    const out = (await session.run(b.feeds, [output]))[output]!;
    r.runtimeSeconds += (performance.now() - t) / 1000;
    const pred = argmaxRows(out.data as Float32Array, out.dims.at(-1)!);
    const n = out.dims[0]!;
    const per = pred.length / n;
    for (let i = 0; i < n; i++) {
      let all = true;
      for (let j = i * per; j < (i + 1) * per; j++) {
        if (b.y[j]! < 0) continue;
        r.tokens++;
        if (pred[j] === b.y[j]) r.tokenCorrect++;
        else all = false;
      }
      if (all) r.correct++;
      hits.push(all ? 1 : 0);
    }
    r.count += n;
    options.onBatch?.(r.count);
  }
  return { ...r, hits: Uint8Array.from(hits) };
}
