/**
 * Where one changed weight of a layer acts: the Conv/Gemm/MatMul node whose arithmetic the fast
 * path's shortcuts know, and for each weight the output elements it adds to and the input
 * elements it multiplies. The delta path (`delta.ts`) adds the change along these terms; the
 * affected-image analysis (`affected.ts`) reads their input side.
 */
import type { StoredLayer, TensorChange } from '../fault/memory.js';
import { type Graph, getFloat, getInt, type Node } from '../onnx/ir.js';
import { windowGeometry } from '../onnx/shape/index.js';
import { numel } from '../onnx/tensor.js';

/**
 * The Conv/Gemm/MatMul node of a layer whose geometry the shortcuts (delta path, affected
 * images) know, when the layer starts at that node and the changes are all its own inputs;
 * otherwise (an embedding, a norm scale, a MatMul's separate bias Add) null.
 */
export function computeNode(graph: Graph, layer: StoredLayer, changes: readonly TensorChange[]): Node | null {
  if (layer.computeIndex === undefined || layer.computeIndex !== layer.nodeIndex) return null;
  const node = graph.nodes[layer.computeIndex]!;
  return changes.every((c) => node.inputs.includes(c.tensor.name)) ? node : null;
}

/**
 * Whether the shortcuts can follow `changes` weight by weight: at most 256 changed weights (more
 * cost more to trace than to run), each finite before and after (Inf·0 is NaN, which reaches
 * outputs a finite product cannot).
 */
export function traceable(changes: readonly TensorChange[]): boolean {
  let count = 0;
  for (const c of changes) {
    count += c.positions.length;
    for (let i = 0; i < c.positions.length; i++) {
      if (!Number.isFinite(c.values[i]!) || !Number.isFinite(c.tensor.golden[c.positions[i]!]!)) return false;
    }
  }
  return count <= 256;
}

/** Where a changed weight or bias of a layer lands in the layer's per-image output. */
export interface DeltaGeometry {
  /** The scale of every weight product (Gemm's alpha; 1 for Conv and MatMul). */
  alpha: number;
  /** The scale of the bias (Gemm's beta; 1 for Conv). */
  beta: number;
  /** Calls `term(outputOffset, inputOffset)` for every product the weight at flat index p takes part in. */
  weightTerms(p: number, term: (at: number, xi: number) => void): void;
  /** The output offsets a bias element adds to. */
  biasTargets(p: number): Iterable<number>;
}

/**
 * The delta geometry of a Conv (NCHW, 2-D), Gemm (transA = 0) or MatMul (weight [K, O]) node on
 * one image's block of x (`rowDims`), or null.
 */
export function deltaGeometry(
  node: Node,
  xDims: readonly number[],
  wDims: readonly number[],
): DeltaGeometry | null {
  if (node.opType === 'Conv' && xDims.length === 3 && wDims.length === 4) {
    const [C, H, W] = xDims as [number, number, number];
    const [O, Cg, KH, KW] = wDims as [number, number, number, number];
    const group = getInt(node, 'group', 1);
    const geo = windowGeometry(node, [1, C, H, W], [KH, KW]);
    const [Ho, Wo] = geo.outSpatial as [number, number];
    const [sh, sw] = geo.strides as [number, number];
    const [dh, dw] = geo.dilations as [number, number];
    const [pt, pl] = geo.pads as [number, number];
    return {
      alpha: 1,
      beta: 1,
      weightTerms(p, term) {
        const o = Math.floor(p / (Cg * KH * KW));
        const ci = Math.floor(p / (KH * KW)) % Cg;
        const i = Math.floor(p / KW) % KH;
        const j = p % KW;
        const ch = Math.floor(o / (O / group)) * Cg + ci;
        for (let yy = 0; yy < Ho; yy++) {
          const iy = yy * sh + i * dh - pt;
          if (iy < 0 || iy >= H) continue;
          for (let xx = 0; xx < Wo; xx++) {
            const ix = xx * sw + j * dw - pl;
            if (ix >= 0 && ix < W) term((o * Ho + yy) * Wo + xx, (ch * H + iy) * W + ix);
          }
        }
      },
      biasTargets: (p) => Array.from({ length: Ho * Wo }, (_, k) => p * Ho * Wo + k),
    };
  }
  if (node.opType === 'Gemm' && xDims.length >= 1 && wDims.length === 2 && getInt(node, 'transA', 0) === 0) {
    // Per image, x is one row [K] or a block of rows [R, K] (tokens of a [batch·tokens, K] matrix).
    const transB = getInt(node, 'transB', 0) === 1;
    const K = xDims.at(-1)!;
    const O = transB ? wDims[0]! : wDims[1]!;
    const rows = numel(xDims) / K;
    return {
      alpha: getFloat(node, 'alpha', 1),
      beta: getFloat(node, 'beta', 1),
      weightTerms(p, term) {
        const o = transB ? Math.floor(p / K) : p % O;
        const k = transB ? p % K : Math.floor(p / O);
        for (let r = 0; r < rows; r++) term(r * O + o, r * K + k);
      },
      biasTargets: (p) => Array.from({ length: rows }, (_, r) => r * O + p),
    };
  }
  if (node.opType === 'MatMul' && xDims.length >= 1 && wDims.length === 2 && xDims.at(-1) === wDims[0]) {
    // Per image, x is [..., K] (rows of tokens) and y is [..., O]: the weight W[k, o] adds
    // δ·x[r, k] to y[r, o] in every row r. MatMul has no bias (an Add after it is its own node).
    const [K, O] = wDims as [number, number];
    const rows = numel(xDims) / K;
    return {
      alpha: 1,
      beta: 1,
      weightTerms(p, term) {
        const k = Math.floor(p / O);
        const o = p % O;
        for (let r = 0; r < rows; r++) term(r * O + o, r * K + k);
      },
      biasTargets: () => [],
    };
  }
  return null;
}
