/**
 * Neural-network layers: convolutions and pools (window geometry), normalizations, softmax,
 * matrix products (Gemm, batched and broadcast MatMul, Einsum) and resampling (quantized ops are in
 * `quant.ts`).
 */
import { nth } from '../../core/checked.js';
import { getFloat, getInt, getInts, getString } from '../ir.js';
import { dtypeFromCode } from '../proto.js';
import type { DType } from '../tensor.js';
import {
  broadcastShapes,
  facts,
  likeInput,
  normAxis,
  registerShapeRules,
  type ShapeContext,
  type ShapeRule,
  type ValueFacts,
} from './rule.js';
import { windowGeometry } from './window.js';

const ref = 'ONNX operator';

const conv: ShapeRule = {
  name: 'Conv',
  description: 'N-d convolution (explicit or auto_pad padding, groups, dilations)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const w = ctx.shape(1);
    const g = windowGeometry(ctx.node, x, getInts(ctx.node, 'kernel_shape', w.slice(2)));
    return [facts([nth(x, 0), nth(w, 0), ...g.outSpatial], ctx.type(0))];
  },
};

const convTranspose: ShapeRule = {
  name: 'ConvTranspose',
  description: 'transposed convolution (output_shape or output_padding)',
  reference: ref,
  infer(ctx) {
    const n = ctx.node;
    const x = ctx.shape(0);
    const w = ctx.shape(1);
    const kernel = getInts(n, 'kernel_shape', w.slice(2));
    const r = kernel.length;
    const strides = getInts(n, 'strides', new Array(r).fill(1));
    const dil = getInts(n, 'dilations', new Array(r).fill(1));
    const pads = getInts(n, 'pads', new Array(2 * r).fill(0));
    const outPad = getInts(n, 'output_padding', new Array(r).fill(0));
    const group = getInt(n, 'group', 1);
    const explicit = getInts(n, 'output_shape', []);
    const sp = kernel.map((k, i) =>
      explicit.length
        ? nth(explicit, explicit.length - r + i)
        : nth(strides, i) * (nth(x, 2 + i) - 1) +
          nth(outPad, i) +
          (k - 1) * nth(dil, i) +
          1 -
          nth(pads, i) -
          nth(pads, i + r),
    );
    return [facts([nth(x, 0), nth(w, 1) * group, ...sp], ctx.type(0))];
  },
};

function pool(name: string, description: string): ShapeRule {
  return {
    name,
    description,
    reference: ref,
    infer(ctx) {
      const x = ctx.shape(0);
      const g = windowGeometry(ctx.node, x, getInts(ctx.node, 'kernel_shape', []));
      const shape = [nth(x, 0), nth(x, 1), ...g.outSpatial];
      // MaxPool's optional second output holds int64 indices.
      return [facts(shape, ctx.type(0)), facts(shape, 'int64')];
    },
  };
}

function globalPool(name: string, description: string): ShapeRule {
  return {
    name,
    description,
    reference: ref,
    infer(ctx) {
      const x = ctx.shape(0);
      return [facts([nth(x, 0), nth(x, 1), ...x.slice(2).map(() => 1)], ctx.type(0))];
    },
  };
}

const batchNorm: ShapeRule = {
  name: 'BatchNormalization',
  description: 'per-channel normalization (training mode adds running mean and variance outputs)',
  reference: ref,
  infer(ctx) {
    const out: ValueFacts[] = [facts(ctx.shape(0), ctx.type(0))];
    if (ctx.node.outputs.length > 1)
      out.push(facts(ctx.shape(3), ctx.type(3)), facts(ctx.shape(4), ctx.type(4)));
    return out;
  },
};

const layerNorm: ShapeRule = {
  name: 'LayerNormalization',
  description: 'normalization over the trailing axes from axis (opset 17; Mean and InvStdDev outputs)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const axis = normAxis(ctx, getInt(ctx.node, 'axis', -1), x.length);
    const stats = x.map((d, i) => (i < axis ? d : 1));
    const stash: DType = dtypeFromCode(getInt(ctx.node, 'stash_type', 1), `node '${ctx.node.name}'`);
    return [facts(x, ctx.type(0)), facts(stats, stash), facts(stats, stash)];
  },
};

const gemm: ShapeRule = {
  name: 'Gemm',
  description: 'alpha·op(A)·op(B) + beta·C on 2-D A and B',
  reference: ref,
  infer(ctx) {
    const a = ctx.shape(0);
    const b = ctx.shape(1);
    if (a.length !== 2 || b.length !== 2) ctx.fail(`Gemm needs 2-D inputs, got [${a}] and [${b}]`);
    const ta = getInt(ctx.node, 'transA', 0) === 1;
    const tb = getInt(ctx.node, 'transB', 0) === 1;
    const k1 = ta ? nth(a, 0) : nth(a, 1);
    const k2 = tb ? nth(b, 1) : nth(b, 0);
    if (k1 !== k2) ctx.fail(`inner dims differ: [${a}]${ta ? 'ᵀ' : ''} · [${b}]${tb ? 'ᵀ' : ''}`);
    return [facts([ta ? nth(a, 1) : nth(a, 0), tb ? nth(b, 0) : nth(b, 1)], ctx.type(0))];
  },
};

/** numpy matmul: 1-D operands get a temporary axis; batch dims broadcast. */
export function matmulShape(ctx: ShapeContext, a: number[], b: number[]): number[] {
  const a2 = a.length === 1 ? [1, nth(a, 0)] : a;
  const b2 = b.length === 1 ? [nth(b, 0), 1] : b;
  if (a2[a2.length - 1] !== b2[b2.length - 2]) ctx.fail(`inner dims differ: [${a}] · [${b}]`);
  const batch = broadcastShapes(ctx, [a2.slice(0, -2), b2.slice(0, -2)]);
  const out = [...batch, nth(a2, a2.length - 2), nth(b2, b2.length - 1)];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.pop();
  return out;
}

const matmul: ShapeRule = {
  name: 'MatMul',
  description: 'batched, broadcasting matrix product (numpy matmul)',
  reference: ref,
  infer: (ctx) => [facts(matmulShape(ctx, ctx.shape(0), ctx.shape(1)), ctx.type(0))],
};

/** The letters of one Einsum term, with '...' expanded to as many broadcast dims as it covers. */
function einsumTerm(ctx: ShapeContext, term: string, rank: number): string[] {
  const dots = term.indexOf('...');
  const letters = term.replace('...', '').split('');
  if (dots < 0) {
    if (letters.length !== rank) ctx.fail(`term '${term}' has ${letters.length} letters for rank ${rank}`);
    return letters;
  }
  const ell = Array.from({ length: rank - letters.length }, (_, i) => `.${i}`);
  const before = term.slice(0, dots).split('');
  return [...before, ...ell, ...letters.slice(before.length)];
}

const einsum: ShapeRule = {
  name: 'Einsum',
  description: 'Einstein summation (explicit or implicit output, with ellipsis)',
  reference: ref,
  infer(ctx) {
    const eq = getString(ctx.node, 'equation', '').replace(/\s/g, '');
    const [lhs, rhs] = eq.split('->') as [string, string | undefined];
    const terms = lhs.split(',');
    const size = new Map<string, number>();
    let ellipsis: number[] = [];
    terms.forEach((t, i) => {
      const shape = ctx.shape(i);
      const labels = einsumTerm(ctx, t, shape.length);
      const ell: number[] = [];
      labels.forEach((l, k) => {
        const d = shape[k]!;
        if (l.startsWith('.')) ell.push(d);
        else if (size.has(l) && size.get(l) !== d && size.get(l) !== 1 && d !== 1)
          ctx.fail(`label '${l}' is ${size.get(l)} in one operand and ${d} in another`);
        else size.set(l, Math.max(size.get(l) ?? 1, d));
      });
      ellipsis = broadcastShapes(ctx, [ellipsis, ell]);
    });
    let out: string[];
    if (rhs !== undefined) out = rhs.replace('...', '.').split('');
    else {
      // Implicit output: the ellipsis, then the labels used exactly once, alphabetically.
      const counts = new Map<string, number>();
      for (const c of lhs.replace(/\.\.\./g, '').replace(/,/g, '')) counts.set(c, (counts.get(c) ?? 0) + 1);
      out = [
        '.',
        ...[...counts]
          .filter(([, c]) => c === 1)
          .map(([l]) => l)
          .sort(),
      ];
    }
    const shape = out.flatMap((l) =>
      l === '.' ? ellipsis : [size.get(l) ?? ctx.fail(`output label '${l}' is in no input`)],
    );
    return [facts(shape, ctx.type(0))];
  },
};

/** Resize output dims: `sizes` (input 3) or floor(dim · scale) (input 2), optionally on `axes` (opset 18). */
const resize: ShapeRule = {
  name: 'Resize',
  description: 'resampling by scales or to sizes (opset 18 axes and keep_aspect_ratio_policy)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const axes = getInts(
      ctx.node,
      'axes',
      x.map((_, i) => i),
    ).map((a) => normAxis(ctx, a, x.length));
    const shape = [...x];
    if (ctx.has(3) && ctx.shape(3)[0] !== 0) {
      const sizes = ctx.ints(3, 'its sizes input');
      const policy = getString(ctx.node, 'keep_aspect_ratio_policy', 'stretch');
      if (policy === 'stretch')
        axes.forEach((a, k) => {
          shape[a] = nth(sizes, k);
        });
      else {
        const ratios = axes.map((a, k) => nth(sizes, k) / nth(x, a));
        const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
        axes.forEach((a) => {
          shape[a] = Math.round(s * nth(x, a));
        });
      }
    } else {
      const scales = ctx.has(2) ? ctx.ints(2, 'its scales input') : getFloats(ctx, 'scales');
      if (scales.length !== axes.length) ctx.fail(`Resize has neither sizes nor ${axes.length} scales`);
      axes.forEach((a, k) => {
        shape[a] = Math.floor(nth(x, a) * nth(scales, k));
      });
    }
    return [facts(shape, ctx.type(0))];
  },
};

function getFloats(ctx: ShapeContext, name: string): number[] {
  const a = ctx.node.attributes[name];
  return a?.type === 'floats' ? a.value : [];
}

const upsample: ShapeRule = {
  name: 'Upsample',
  description: 'resampling by scales (deprecated; Resize replaced it)',
  reference: ref,
  infer(ctx) {
    const x = ctx.shape(0);
    const scales = ctx.has(1) ? ctx.ints(1, 'its scales input') : getFloats(ctx, 'scales');
    if (scales.length !== x.length) ctx.fail(`Upsample needs ${x.length} scales`);
    return [
      facts(
        x.map((d, i) => Math.floor(d * nth(scales, i))),
        ctx.type(0),
      ),
    ];
  },
};

const lpNorm = (ctx: ShapeContext): number => getFloat(ctx.node, 'p', 2);

registerShapeRules(
  conv,
  convTranspose,
  pool('MaxPool', 'max over sliding windows (optional int64 indices output)'),
  pool('AveragePool', 'mean over sliding windows'),
  pool('LpPool', 'Lp norm over sliding windows'),
  globalPool('GlobalAveragePool', 'mean over all spatial positions'),
  globalPool('GlobalMaxPool', 'max over all spatial positions'),
  {
    ...globalPool('GlobalLpPool', 'Lp norm over all spatial positions'),
    reference: `${ref} (p=${lpNorm.length})`,
  },
  batchNorm,
  likeInput('InstanceNormalization', 'per-sample, per-channel normalization'),
  layerNorm,
  likeInput('GroupNormalization', 'normalization over channel groups (opset 18)'),
  likeInput('LRN', 'local response normalization'),
  likeInput('MeanVarianceNormalization', 'zero mean, unit variance over axes'),
  likeInput('LpNormalization', 'Lp normalization along an axis'),
  likeInput('Softmax', 'softmax along an axis'),
  likeInput('LogSoftmax', 'log-softmax along an axis'),
  likeInput('Hardmax', 'one-hot of the maximum along an axis'),
  gemm,
  matmul,
  einsum,
  resize,
  upsample,
);
