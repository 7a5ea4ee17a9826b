/**
 * Post-training static quantization (`prunefi quantize`): int8 per-channel weights, activations
 * calibrated on training images, and the clean-accuracy cost against the float model on the
 * same test images, as a paired interval (both models see every image, so the per-image
 * difference of correctness is what is resampled).
 */
import { Rng } from '../core/rng.js';
import { batches, type ImageSet } from '../data/index.js';
import { cloneModel } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { measureAccuracy, type SessionOptions } from '../runtime/index.js';
import { pairedBootstrap } from '../stats/compare.js';
import type { Interval } from '../stats/interval.js';
import {
  type ActivationType,
  activationInputs,
  CALIBRATION_METHODS,
  collectStats,
  insertActivationQdq,
} from './calibrate.js';
import { type QuantizedLayer, quantizeWeightsInt8 } from './weights.js';

/** What to quantize and how. */
export interface QuantizeOptions {
  /** Activation type, or 'none' for weight-only quantization. */
  activations: ActivationType | 'none';
  /** A CALIBRATION_METHODS name. */
  calibration: string;
  /** Percentile of |x| for the percentile method. */
  percentile: number;
  session?: SessionOptions;
  signal?: AbortSignal;
  onPass?: (pass: number, done: number) => void;
}

/** The quantized model and what was done to it. */
export interface QuantizeResult {
  model: Model;
  layers: QuantizedLayer[];
  /** Calibrated range of each quantized activation. */
  activations: Map<string, { lo: number; hi: number }>;
}

/** Quantizes a copy of `model`, calibrating activations on `calibration` (unused when 'none'). */
export async function quantizeModel(
  model: Model,
  calibration: ImageSet,
  o: QuantizeOptions,
): Promise<QuantizeResult> {
  const method = CALIBRATION_METHODS.get(o.calibration);
  const ranges = new Map<string, { lo: number; hi: number }>();
  if (o.activations !== 'none') {
    const names = activationInputs(model.graph);
    const statsOpts: Parameters<typeof collectStats>[3] = { histograms: method.name !== 'minmax' };
    if (o.session) statsOpts.session = o.session;
    if (o.signal) statsOpts.signal = o.signal;
    if (o.onPass) statsOpts.onPass = o.onPass;
    const stats = await collectStats(model, names, calibration, statsOpts);
    // Levels per side: symmetric int8 has 128 per sign; uint8 has 256 over a non-negative
    // activation (after ReLU) and about half of them per side otherwise.
    for (const [n, s] of stats) {
      const signed = s.neg.max > 0;
      const levels = o.activations === 'uint8' && !signed ? 256 : 128;
      const side = (x: typeof s.pos) =>
        x.max > 0 ? method.threshold(x, { percentile: o.percentile, levels }) : 0;
      ranges.set(n, { lo: -side(s.neg), hi: side(s.pos) });
    }
  }
  const out = cloneModel(model, true);
  const layers = quantizeWeightsInt8(out.graph);
  if (ranges.size) insertActivationQdq(out.graph, ranges, o.activations as ActivationType);
  out.metadata.set(
    'prunefi.quantize',
    JSON.stringify({
      weights: 'int8-per-channel',
      activations: o.activations,
      calibration: method.name,
      percentile: o.percentile,
    }),
  );
  return { model: out, layers, activations: ranges };
}

/** Clean accuracy of the float and quantized models on one image set, and their paired difference. */
export interface AccuracyCost {
  images: number;
  floatAccuracy: number;
  quantizedAccuracy: number;
  /** 95% BCa bootstrap interval of quantized − float accuracy (per-image paired). */
  difference: Interval;
}

/** Per-image correctness (1 or 0) of `model` on `set`, the values the paired bootstrap resamples. */
async function correctness(model: Model, set: ImageSet, session?: SessionOptions): Promise<Float64Array> {
  const r = await measureAccuracy(
    model,
    { images: batches(set, { batchSize: 256 }), count: set.count },
    session ? { session } : {},
  );
  return Float64Array.from(r.hits);
}

/** Evaluates both models on `set` and the interval of their accuracy difference. */
export async function accuracyCost(
  floatModel: Model,
  quantized: Model,
  set: ImageSet,
  session?: SessionOptions,
): Promise<AccuracyCost> {
  const a = await correctness(floatModel, set, session);
  const b = await correctness(quantized, set, session);
  const mean = (x: Float64Array) => x.reduce((s, v) => s + v, 0) / x.length;
  const { difference } = pairedBootstrap(b, a, { rng: Rng.seeded('prunefi-quantize-cost') });
  return { images: set.count, floatAccuracy: mean(a), quantizedAccuracy: mean(b), difference };
}
