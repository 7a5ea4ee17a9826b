/**
 * The clean accuracy of a model on a set of samples, measured one way for every caller (`eval`,
 * `prune`, `sensitivity`, `quantize`, studies): a plain inference session, the batched
 * classifiers of `infer.ts`, and the session released however the run ends. It returns the
 * per-sample correctness as well as its mean, because paired comparisons (the quantization cost)
 * resample the per-sample differences. The batches come from the caller: this stage does not read
 * datasets.
 */
import { imageInput, logitsOutput } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import { classify, classifyFeeds, type FeedBatch, type LabelledBatch } from './infer.js';
import { createSession, type SessionOptions } from './session.js';

/**
 * The samples to score: batches of images fed to the model's image input (with `count`, the
 * number of images they hold), or batches of feeds for any inputs.
 */
export type AccuracySamples =
  | { images: Iterable<LabelledBatch>; count: number }
  | { feeds: Iterable<FeedBatch> };

/** Options of `measureAccuracy`. */
export interface AccuracyOptions {
  session?: SessionOptions;
  /** Told how many samples are done after each batch. */
  onBatch?: (done: number) => void;
  /** Stops between batches (an InterruptedError). */
  signal?: AbortSignal;
}

/** Per-sample correctness of a model and what is derived from it. */
export interface Accuracy {
  /** 1 where a sample is classified right (every scored position of a sequence), in input order. */
  hits: Uint8Array;
  count: number;
  correct: number;
  /** correct / count; 0 for no samples (the dataset loaders refuse empty sets). */
  accuracy: number;
  /** Scored positions and the correct ones (for a classifier: the samples and their hits). */
  tokens: number;
  tokenCorrect: number;
  /** Seconds spent inside the runtime (excludes producing the batches). */
  runtimeSeconds: number;
  /** Wall-clock seconds of the batches, producing them included, opening the session not. */
  seconds: number;
}

/**
 * Top-1 accuracy of `model` on `samples`, with each sample's correctness: opens a session, runs
 * every batch, and releases the session even when a batch fails or the run is interrupted.
 */
export async function measureAccuracy(
  model: Model,
  samples: AccuracySamples,
  options: AccuracyOptions = {},
): Promise<Accuracy> {
  const session = await createSession(model, options.session);
  const run = {
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  try {
    const output = logitsOutput(model).name;
    if ('feeds' in samples) {
      const r = await classifyFeeds(session, output, samples.feeds, run);
      return { ...r, accuracy: r.count ? r.correct / r.count : 0, seconds: seconds() };
    }
    const r = await classify(session, imageInput(model).name, output, samples.images, samples.count, run);
    return {
      seconds: seconds(),
      hits: r.hits,
      count: r.count,
      correct: r.correct,
      accuracy: r.count ? r.correct / r.count : 0,
      tokens: r.count,
      tokenCorrect: r.correct,
      runtimeSeconds: r.runtimeSeconds,
    };
  } finally {
    await session.release();
  }
}
