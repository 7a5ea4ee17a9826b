/**
 * Sound upper bounds on how much a graph suffix can amplify a change of one value: the Lipschitz
 * constant, in the 2-norm over the whole tensor, of the map from that value to the logits. One rule
 * per op (a rule table, like shapes and gradients); a graph whose suffix holds an op without a rule,
 * or an op used in a way its rule does not cover (a perturbed weight, a non-constant factor), has
 * no bound, and proven-safe dropping (`safe-drop.ts`) then drops nothing.
 *
 * Every rule is an upper bound of the exact real-valued map; float rounding is the caller's slack.
 * A bound holds for the whole batch tensor, so ops that reshape images into one another stay sound
 * (the change of one image is part of the change of the batch).
 */
import { type Graph, getFloat, getInt, getInts, type Node } from '../onnx/ir.js';
import { inferShapes } from '../onnx/shape/index.js';
import type { Tensor } from '../onnx/tensor.js';

/** What a rule can read besides its node: the graph's constant float32 tensors. */
export interface LipschitzContext {
  /** A float32 initializer (a constant weight of the suffix), or undefined. */
  constant(name: string): Tensor<'float32'> | undefined;
  /** A value's inferred shape, or undefined when shape inference could not give it. */
  shape(name: string): readonly number[] | undefined;
}

/**
 * The gain of a node's first output given the gains of its inputs (0 for an input the change does
 * not reach), or null when the rule cannot bound it.
 */
export type LipschitzRule = (node: Node, gains: readonly number[], ctx: LipschitzContext) => number | null;

/** Only input 0 is perturbed (shape, axes and other control inputs carry no change). */
function onlyFirst(gains: readonly number[]): boolean {
  return gains.every((g, i) => i === 0 || g === 0);
}

/**
 * Whether every perturbed input of an elementwise op has the output's shape: a broadcast input's
 * change is repeated (√repeats times its norm), which the elementwise rules below do not cover.
 */
function unbroadcast(n: Node, gains: readonly number[], ctx: LipschitzContext): boolean {
  const out = ctx.shape(n.outputs[0] ?? '');
  return (
    out !== undefined &&
    gains.every((g, i) => {
      const s = ctx.shape(n.inputs[i] ?? '');
      return g === 0 || (s !== undefined && s.length === out.length && s.every((d, j) => d === out[j]));
    })
  );
}

/** A rule for an op that scales its one perturbed input (input 0) by at most `factor(node)`. */
function scaling(factor: (n: Node) => number): LipschitzRule {
  return (n, g) => (onlyFirst(g) ? factor(n) * (g[0] ?? 0) : null);
}

/**
 * How many windows of a sliding-window op read one input element, at most: per spatial axis, the
 * taps k with k·d ≡ offset (mod s), at most ceil(K / (s / gcd(s, d))). Each output element reads
 * one window, so the squared 2-norm of the windows' changes sums each input change this often.
 */
function windowOverlap(n: Node, kernel: readonly number[]): number {
  const strides = getInts(
    n,
    'strides',
    kernel.map(() => 1),
  );
  const dilations = getInts(
    n,
    'dilations',
    kernel.map(() => 1),
  );
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return kernel.reduce((m, k, i) => {
    const s = strides[i] ?? 0;
    return m * Math.ceil(k / (s / gcd(s, dilations[i] ?? 0)));
  }, 1);
}

/**
 * A window reduction whose output element changes by at most the 2-norm of its window's change
 * (max: |max a − max b| ≤ max|a − b|; average: |Σ Δ|/K ≤ √n‖Δ‖/K ≤ ‖Δ‖ over the n ≤ K valid taps),
 * so the whole output changes by at most √overlap times the input's change.
 */
const windowReduction: LipschitzRule = (n, g) => {
  if (!onlyFirst(g) || n.outputs.length > 1) return null;
  return Math.sqrt(windowOverlap(n, getInts(n, 'kernel_shape', []))) * (g[0] ?? 0);
};

/**
 * An upper bound of the largest singular value of the row-major m × n matrix `a`:
 * λmax(G) ≤ tr(G^(2^J))^(1/2^J) for the PSD Gram matrix G (the smaller of AAᵀ, AᵀA), computed in
 * float64 with renormalization at each squaring. It exceeds σmax by at most size^(1/2^(J+1))
 * (≤ 1.1 for J = 5 and size ≤ 512), and the factor 1 + 1e-6 covers float64 rounding (relative
 * errors near size·2^J·1e-16 before the root).
 */
export function spectralBound(a: ArrayLike<number>, m: number, n: number): number {
  const s = Math.min(m, n);
  const g = new Float64Array(s * s);
  for (let i = 0; i < s; i++)
    for (let j = i; j < s; j++) {
      let acc = 0;
      if (m <= n) for (let k = 0; k < n; k++) acc += (a[i * n + k] ?? 0) * (a[j * n + k] ?? 0);
      else for (let k = 0; k < m; k++) acc += (a[k * n + i] ?? 0) * (a[k * n + j] ?? 0);
      g[i * s + j] = acc;
      g[j * s + i] = acc;
    }
  let h = g;
  let logScale = 0;
  const J = 5;
  for (let step = 0; step < J; step++) {
    let f = 0;
    for (const v of h) f += v * v;
    f = Math.sqrt(f);
    if (f === 0) return 0;
    for (let i = 0; i < h.length; i++) h[i] = (h[i] ?? 0) / f;
    const next = new Float64Array(s * s);
    for (let i = 0; i < s; i++)
      for (let k = 0; k < s; k++) {
        const hik = h[i * s + k] ?? 0;
        if (hik === 0) continue;
        for (let j = 0; j < s; j++) next[i * s + j] = (next[i * s + j] ?? 0) + hik * (h[k * s + j] ?? 0);
      }
    h = next;
    logScale = 2 * (logScale + Math.log(f));
  }
  let trace = 0;
  for (let i = 0; i < s; i++) trace += h[i * s + i] ?? 0;
  if (trace <= 0) return 0;
  const lambda = Math.exp((logScale + Math.log(trace)) / 2 ** J);
  return Math.sqrt(lambda) * (1 + 1e-6);
}

/**
 * The operator 2-norm bound of a Conv with weight [O, Cg, kH, kW]: the smaller of
 * √overlap · σ(W as O × Cg·k) (each output position applies that matrix to one input patch, and
 * patches repeat each input element at most `overlap` times; groups only zero blocks of it) and
 * Σ over taps of σ(W[:, :, i, j]) (each tap is a 1×1 conv of a shifted, strided input).
 */
function convNorm(n: Node, w: Tensor<'float32'>): number {
  const [O = 0, Cg = 0, ...kernel] = w.dims;
  const taps = kernel.reduce((a, b) => a * b, 1);
  const whole = Math.sqrt(windowOverlap(n, kernel)) * spectralBound(w.data, O, Cg * taps);
  let perTap = 0;
  const tap = new Float64Array(O * Cg);
  for (let t = 0; t < taps; t++) {
    for (let i = 0; i < O * Cg; i++) tap[i] = w.data[i * taps + t] ?? 0;
    perTap += spectralBound(tap, O, Cg);
  }
  return Math.min(whole, perTap);
}

/** The largest |value| of a constant tensor. */
function maxAbs(t: Tensor<'float32'>): number {
  let m = 0;
  for (const v of t.data) m = Math.max(m, Math.abs(v));
  return m;
}

/** Ops that move or keep elements without changing them (2-norm preserving or shrinking). */
const passThrough = scaling(() => 1);

/** One rule per op type. */
export const LIPSCHITZ_RULES: Readonly<Record<string, LipschitzRule>> = {
  Identity: passThrough,
  Relu: passThrough,
  Flatten: passThrough,
  Reshape: passThrough,
  Squeeze: passThrough,
  Unsqueeze: passThrough,
  Transpose: passThrough,
  Tanh: passThrough,
  // Inference-mode Dropout is the identity; its mask output is refused (it is not bounded here).
  Dropout: (n, g, ctx) => (n.outputs.filter(Boolean).length > 1 ? null : passThrough(n, g, ctx)),
  // Each softmax row is 1-Lipschitz in the 2-norm (its Jacobian's norm is at most 1/2).
  Softmax: passThrough,
  Sigmoid: scaling(() => 0.25),
  LeakyRelu: scaling((n) => Math.max(1, Math.abs(getFloat(n, 'alpha', 0.01)))),
  MaxPool: windowReduction,
  AveragePool: windowReduction,
  // |Δ max| and |Δ mean| of a channel are at most the 2-norm of that channel's change.
  GlobalMaxPool: passThrough,
  GlobalAveragePool: passThrough,
  // Residual joins: the triangle inequality.
  Add: (n, g, ctx) => (unbroadcast(n, g, ctx) ? (g[0] ?? 0) + (g[1] ?? 0) : null),
  Sub: (n, g, ctx) => (unbroadcast(n, g, ctx) ? (g[0] ?? 0) + (g[1] ?? 0) : null),
  Concat: (_n, g) => Math.sqrt(g.reduce((s, x) => s + x * x, 0)),
  Mul: (n, g, ctx) => {
    const [a, b] = g as [number, number];
    if ((a > 0 && b > 0) || !unbroadcast(n, g, ctx)) return null;
    const c = ctx.constant(n.inputs[a > 0 ? 1 : 0] ?? '');
    return c ? maxAbs(c) * Math.max(a, b) : null;
  },
  Conv: (n, g, ctx) => {
    const w = ctx.constant(n.inputs[1] ?? '');
    return onlyFirst(g) && w && w.dims.length >= 3 ? convNorm(n, w) * (g[0] ?? 0) : null;
  },
  // ‖ΔA·B‖_F ≤ ‖ΔA‖_F·σ(B), transposed or not.
  Gemm: (n, g, ctx) => {
    const b = ctx.constant(n.inputs[1] ?? '');
    if (!onlyFirst(g) || !b || b.dims.length !== 2) return null;
    return (
      Math.abs(getFloat(n, 'alpha', 1)) * spectralBound(b.data, b.dims[0] ?? 0, b.dims[1] ?? 0) * (g[0] ?? 0)
    );
  },
  MatMul: (n, g, ctx) => {
    const b = ctx.constant(n.inputs[1] ?? '');
    if (!onlyFirst(g) || !b || b.dims.length !== 2) return null;
    return spectralBound(b.data, b.dims[0] ?? 0, b.dims[1] ?? 0) * (g[0] ?? 0);
  },
  // Inference BatchNorm scales each channel by scale/√(var + ε).
  BatchNormalization: (n, g, ctx) => {
    const scale = ctx.constant(n.inputs[1] ?? '');
    const variance = ctx.constant(n.inputs[4] ?? '');
    if (!onlyFirst(g) || !scale || !variance || getInt(n, 'training_mode', 0) === 1) return null;
    const eps = getFloat(n, 'epsilon', 1e-5);
    let m = 0;
    scale.data.forEach((s, i) => {
      m = Math.max(m, Math.abs(s) / Math.sqrt((variance.data[i] ?? 0) + eps));
    });
    return Number.isFinite(m) ? m * (g[0] ?? 0) : null;
  },
};

/**
 * The gain from value `from` to the graph's first output: ‖Δ output‖2 ≤ gain · ‖Δ from‖2, for the
 * nodes after index `after` (nodes in topological order, constant weights), and the largest gain
 * to any value on the way (`peak`, which says how far an intermediate value can move). Null when
 * some node the change reaches has no rule or its rule cannot bound it.
 */
export function suffixGain(graph: Graph, from: string, after: number): { gain: number; peak: number } | null {
  let shapes: Map<string, number[]>;
  try {
    shapes = inferShapes(graph, { partial: true }).shapes;
  } catch {
    // Without shapes the elementwise rules refuse, so such graphs drop nothing.
    shapes = new Map();
  }
  const ctx: LipschitzContext = {
    constant(name) {
      const t = graph.initializers.get(name);
      return t?.dtype === 'float32' ? (t as Tensor<'float32'>) : undefined;
    },
    shape: (name) => shapes.get(name),
  };
  const gains = new Map<string, number>([[from, 1]]);
  let peak = 1;
  for (const n of graph.nodes.slice(after + 1)) {
    const g = n.inputs.map((v) => (v ? (gains.get(v) ?? 0) : 0));
    if (g.every((x) => x === 0)) continue;
    const rule = LIPSCHITZ_RULES[n.opType];
    const out = rule && (!n.domain || n.domain === 'ai.onnx') ? rule(n, g, ctx) : null;
    if (out === null || !Number.isFinite(out)) return null;
    gains.set(n.outputs[0] ?? '', out);
    peak = Math.max(peak, out);
    // Other outputs (indices, masks, statistics) have no bound: anything reading them is refused.
    for (const o of n.outputs.slice(1)) if (o) gains.set(o, Number.POSITIVE_INFINITY);
  }
  return { gain: gains.get(graph.outputs[0]?.name ?? '') ?? 0, peak };
}
