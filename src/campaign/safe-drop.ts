/**
 * Proven-safe fault dropping: an image of a delta-path experiment is scored as golden, without
 * inference, when its golden top-1 margin exceeds a sound bound on how far the fault can move its
 * logits. The bound is ‖Δy‖2 (the layer output's change, exact: the delta path's faulty values
 * minus the golden ones) times the suffix's Lipschitz gain (`lipschitz.ts`), times √2 (the
 * difference of two logits changes by at most √2·‖Δ logits‖2).
 *
 * Float rounding: the gain bounds the exact real-valued suffix, while ONNX Runtime computes it in
 * float32, possibly with other kernels for other batch sizes. So an image is dropped only when
 *   margin > √2 · gain · ‖Δy‖2 · (1 + 1e-3) + 1e-3 · (1 + max |golden logit|).
 * The relative 1e-3 covers the float64 norm and the float32 rounding of a change carried through
 * the suffix (about fan-in · 2^-24 ≈ 1e-4 for fan-ins of a few thousand); the absolute term
 * covers rounding that does not shrink with the change (a different summation order of the whole
 * logit), measured below 1e-4 between fast and naive sessions on AlexNet-CIFAR (logits below 30),
 * and taken ten times larger relative to the logit scale. Images with non-finite golden logits or
 * faulty layer outputs are never dropped.
 */
import type { Graph } from '../onnx/ir.js';
import type { DeltaOutput } from './delta.js';
import type { GoldenCache } from './golden.js';
import { suffixGain } from './lipschitz.js';
import type { Golden } from './outcome.js';

/** What dropping did to the experiments of one bit position. */
export interface DropStats {
  bit: number;
  /** Single-fault experiments of this bit evaluated with dropping on. */
  experiments: number;
  /** Of those, the ones that needed no inference because every reachable image was dropped. */
  experimentsDropped: number;
  /** Images over those experiments (images × experiments). */
  images: number;
  /** Images scored as golden by the bound. */
  imagesDropped: number;
}

/** The relative slack on the bound (float rounding of the change; see the module comment). */
const RELATIVE_SLACK = 1e-3;
/** The absolute slack, per unit of the image's logit scale (rounding independent of the change). */
const ABSOLUTE_SLACK = 1e-3;
/** The largest change of any intermediate value the bound trusts (far below float32's 3.4e38). */
const MAX_INTERMEDIATE_CHANGE = 1e30;

/** Proven-safe dropping for one evaluator: the suffix gains per layer, and per-bit statistics. */
export class SafeDrop {
  private readonly gains = new Map<string, { gain: number; peak: number } | null>();
  private readonly stats = new Map<number, DropStats>();

  constructor(
    private readonly graph: Graph,
    private readonly cache: GoldenCache,
  ) {}

  /**
   * The rows of `d` the bound cannot prove unchanged, with their faulty layer outputs (`d` itself
   * when nothing is dropped). `after` is the faulty layer's node index.
   */
  filter(d: DeltaOutput, after: number): DeltaOutput & { dropped: number } {
    const gains = this.gain(d.value, after);
    const y = this.cache.get(d.value);
    if (gains === null || !y || d.rows.length === 0) return { ...d, dropped: 0 };
    const k = d.golden.classes * d.golden.positions;
    const keep: number[] = [];
    for (let r = 0; r < d.rows.length; r++) {
      const img = d.rows[r] ?? 0;
      const change = changeNorm(d.faulty, r * y.size, y.data, img * y.size, y.size);
      const bound = marginBound(gains.gain, change, d.golden.logits, img * k, k);
      // A change that could take some intermediate value near float32's range (3.4e38) might
      // overflow to Inf there, which no Lipschitz bound of the real-valued map sees.
      const tame = gains.peak * change < MAX_INTERMEDIATE_CHANGE;
      if (!(tame && bound < goldenMargin(d.golden, img))) keep.push(r);
    }
    if (keep.length === d.rows.length) return { ...d, dropped: 0 };
    const faulty = new Float32Array(keep.length * y.size);
    keep.forEach((r, i) => {
      faulty.set(d.faulty.subarray(r * y.size, (r + 1) * y.size), i * y.size);
    });
    const rows = Int32Array.from(keep, (r) => d.rows[r] ?? 0);
    return { ...d, rows, faulty, dropped: d.rows.length - keep.length };
  }

  /** Records one single-fault experiment of `bit`: `dropped` images dropped, `ran` still inferred. */
  record(bit: number, images: number, dropped: number, ran: number): void {
    let s = this.stats.get(bit);
    if (!s) {
      s = { bit, experiments: 0, experimentsDropped: 0, images: 0, imagesDropped: 0 };
      this.stats.set(bit, s);
    }
    s.experiments++;
    s.images += images;
    s.imagesDropped += dropped;
    if (dropped > 0 && ran === 0) s.experimentsDropped++;
  }

  /** The statistics per bit, lowest bit first. */
  perBit(): DropStats[] {
    return [...this.stats.values()].sort((a, b) => a.bit - b.bit).map((s) => ({ ...s }));
  }

  /** The suffix gains from a layer's output, computed once per layer (null: no bound). */
  private gain(value: string, after: number): { gain: number; peak: number } | null {
    const known = this.gains.get(value);
    if (known !== undefined) return known;
    const gains = suffixGain(this.graph, value, after);
    this.gains.set(value, gains);
    return gains;
  }
}

/** ‖faulty − golden‖2 of one image's layer output, in float64; Infinity when a value is not finite. */
function changeNorm(
  faulty: Float32Array,
  fb: number,
  golden: Float32Array,
  gb: number,
  size: number,
): number {
  let s = 0;
  for (let i = 0; i < size; i++) {
    const d = (faulty[fb + i] ?? 0) - (golden[gb + i] ?? 0);
    s += d * d;
  }
  return Number.isFinite(s) ? Math.sqrt(s) : Number.POSITIVE_INFINITY;
}

/**
 * How far the difference of any two of an image's logits (its k logits from `base` of the golden
 * `logits`) can move, at most, when a value with suffix gain `gain` changes by `change` (2-norm):
 * √2 · gain · change, with the rounding slack of the module comment.
 */
export function marginBound(
  gain: number,
  change: number,
  logits: Float32Array,
  base: number,
  k: number,
): number {
  let m = 0;
  for (let i = 0; i < k; i++) m = Math.max(m, Math.abs(logits[base + i] ?? 0));
  return Math.SQRT2 * gain * change * (1 + RELATIVE_SLACK) + ABSOLUTE_SLACK * (1 + m);
}

/**
 * The smallest golden top-1 margin over an image's output positions (top-1 minus the runner-up;
 * 0 on a tie, NaN when a logit is not finite, so the image is never dropped).
 */
export function goldenMargin(golden: Golden, img: number): number {
  const c = golden.classes;
  const t = golden.positions;
  let margin = Number.POSITIVE_INFINITY;
  for (let p = img * t; p < (img + 1) * t; p++) {
    let first = Number.NEGATIVE_INFINITY;
    let second = Number.NEGATIVE_INFINITY;
    for (let i = p * c; i < (p + 1) * c; i++) {
      const v = golden.logits[i] ?? 0;
      if (!Number.isFinite(v)) return Number.NaN;
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) second = v;
    }
    margin = Math.min(margin, first - second);
  }
  return margin;
}
