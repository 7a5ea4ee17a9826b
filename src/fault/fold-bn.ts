/**
 * BatchNorm folding: a deployed accelerator stores a Conv followed by an inference-mode
 * BatchNormalization as one conv with scaled filters and a bias, so that is the memory faults
 * hit by default. W'[o] = W[o]·s[o] and b'[o] = (b[o] − mean[o])·s[o] + beta[o] with
 * s = gamma / sqrt(var + eps), computed in float64 and rounded once to float32.
 */
import { cloneModel, consumers, nameGenerator } from '../onnx/graph.js';
import { getFloat, type Model } from '../onnx/ir.js';
import { numel, type Tensor, tensor, toFloat32 } from '../onnx/tensor.js';

/** What folding did: the model and the names of the convs that absorbed a BatchNorm. */
export interface FoldResult {
  model: Model;
  folded: string[];
}

/**
 * Folds every BatchNormalization whose input is the only use of a Conv's output (with constant
 * weight, bias and statistics) into that Conv. The input model is not modified (initializers
 * of untouched tensors are shared). Outputs match the unfolded model up to float32 rounding of
 * the folded weights (a relative change of about 1e-7 per weight).
 */
export function foldBatchNorm(model: Model): FoldResult {
  const m = cloneModel(model);
  const g = m.graph;
  const uses = consumers(g);
  const outputs = new Set(g.outputs.map((v) => v.name));
  const fresh = nameGenerator(g);
  const removed = new Set<(typeof g.nodes)[number]>();
  const folded: string[] = [];
  const weightUses = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) weightUses.set(i, (weightUses.get(i) ?? 0) + 1);
  for (const conv of g.nodes) {
    if (conv.opType !== 'Conv' || conv.domain !== '') continue;
    const y = conv.outputs[0]!;
    const next = uses.get(y);
    const bn = next?.[0];
    if (!bn || next.length !== 1 || outputs.has(y) || bn.opType !== 'BatchNormalization' || bn.domain !== '')
      continue;
    if (bn.outputs.filter((o) => o !== '').length !== 1) continue;
    const [wName, bName] = [conv.inputs[1], conv.inputs[2]];
    const stats = bn.inputs.slice(1, 5).map((s) => g.initializers.get(s));
    const w = wName ? g.initializers.get(wName) : undefined;
    if (w?.dtype !== 'float32' || weightUses.get(wName!) !== 1 || stats.some((t) => !t)) continue;
    if (bName && (!g.initializers.has(bName) || weightUses.get(bName) !== 1)) continue;
    const [gamma, beta, mean, variance] = stats.map((t) => toFloat32(t as Tensor));
    const eps = getFloat(bn, 'epsilon', 1e-5);
    const out = w.dims[0]!;
    const per = numel(w.dims) / out;
    const wd = w.data as Float32Array;
    const nw = new Float32Array(wd.length);
    const nb = new Float32Array(out);
    const b = bName ? toFloat32(g.initializers.get(bName)!) : new Float32Array(out);
    for (let o = 0; o < out; o++) {
      const s = gamma![o]! / Math.sqrt(variance![o]! + eps);
      for (let i = 0; i < per; i++) nw[o * per + i] = wd[o * per + i]! * s;
      nb[o] = (b[o]! - mean![o]!) * s + beta![o]!;
    }
    g.initializers.set(wName!, tensor('float32', w.dims, nw));
    const biasName =
      bName ?? fresh(wName!.endsWith('.weight') ? `${wName!.slice(0, -7)}.bias` : `${wName}_bias`);
    g.initializers.set(biasName, tensor('float32', [out], nb));
    conv.inputs = [conv.inputs[0]!, wName!, biasName];
    conv.outputs = [bn.outputs[0]!];
    removed.add(bn);
    folded.push(conv.name || wName!);
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  for (const name of [...g.initializers.keys()]) if (!used.has(name)) g.initializers.delete(name);
  return { model: m, folded };
}
