/**
 * Matrix products: Gemm (with its transpose flags, alpha and beta) and MatMul (batched, with
 * broadcasting). A MatMul by a 2-D weight reduces its batch axes inside one Gemm instead of a
 * batched product plus a sum.
 */
import { nth } from '../../core/checked.js';
import { PrunefiError } from '../../core/errors.js';
import { attrFloat, attrInt, attrInts, getFloat, getInt, type Node } from '../../onnx/ir.js';
import type { GradContext } from './context.js';
import { registerRules } from './rule.js';

function gemm(ctx: GradContext, a: string, b: string, transA: number, transB: number, alpha: number): string {
  const attrs = {
    transA: attrInt(transA),
    transB: attrInt(transB),
    ...(alpha !== 1 ? { alpha: attrFloat(alpha) } : {}),
  };
  return ctx.op('Gemm', [a, b], attrs);
}

function swapLast(ctx: GradContext, v: string, rank: number): string {
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return ctx.op('Transpose', [v], { perm: attrInts(perm) });
}

function matmulBackward(ctx: GradContext, n: Node, dY: string, needs: boolean[]): (string | undefined)[] {
  const [a, b] = [nth(n.inputs, 0), nth(n.inputs, 1)];
  const [sa, sb, sy] = [ctx.shape(a), ctx.shape(b), ctx.shape(nth(n.outputs, 0))];
  if (sa.length < 2 || sb.length < 2) {
    throw new PrunefiError(
      'TRAIN_UNSUPPORTED_OP',
      `MatMul node '${n.name}' has a 1-D operand (shapes [${sa}] and [${sb}]); training supports MatMul of rank ≥ 2 operands only; reshape the operand to 2-D in the model`,
    );
  }
  let dA: string | undefined;
  let dB: string | undefined;
  if (needs[0]) {
    const bt = swapLast(ctx, b, sb.length);
    dA = ctx.reduceTo(ctx.op('MatMul', [dY, bt]), sy, sa, a);
  }
  if (needs[1]) {
    if (sb.length === 2) {
      const k = nth(sa, sa.length - 1);
      const cols = nth(sy, sy.length - 1);
      const a2 = sa.length === 2 ? a : ctx.op('Reshape', [a, ctx.ints([-1, k])]);
      const d2 = sy.length === 2 ? dY : ctx.op('Reshape', [dY, ctx.ints([-1, cols])]);
      dB = gemm(ctx, a2, d2, 1, 0, 1);
    } else {
      dB = ctx.reduceTo(ctx.op('MatMul', [swapLast(ctx, a, sa.length), dY]), sy, sb, b);
    }
  }
  return [dA, dB];
}

registerRules(
  {
    name: 'Gemm',
    description: 'alpha·A′B′ + beta·C; gradients as Gemms with the transpose flags folded in',
    reference: '',
    differentiable: (n) => (n.inputs[2] ? [0, 1, 2] : [0, 1]),
    backward: (ctx, n, [dY], needs) => {
      const [a, b, c] = [nth(n.inputs, 0), nth(n.inputs, 1), n.inputs[2]];
      const tA = getInt(n, 'transA', 0);
      const tB = getInt(n, 'transB', 0);
      const alpha = getFloat(n, 'alpha', 1);
      const beta = getFloat(n, 'beta', 1);
      const g = dY!;
      // dA′ = dY·B′ᵀ and dB′ = A′ᵀ·dY, transposed back when the operand is stored transposed.
      const dA = needs[0]
        ? tA
          ? gemm(ctx, b, g, tB, 1, alpha)
          : gemm(ctx, g, b, 0, tB ? 0 : 1, alpha)
        : undefined;
      const dB = needs[1]
        ? tB
          ? gemm(ctx, g, a, 1, tA, alpha)
          : gemm(ctx, a, g, tA ? 0 : 1, 0, alpha)
        : undefined;
      let dC: string | undefined;
      if (c && needs[2]) {
        const scaled = beta === 1 ? g : ctx.op('Mul', [g, ctx.float(beta)]);
        dC = ctx.reduceTo(scaled, ctx.shape(nth(n.outputs, 0)), ctx.shape(c), c);
      }
      return [dA, dB, dC];
    },
  },
  {
    name: 'MatMul',
    description: 'batched matrix product with broadcasting; gradients reduced over broadcast batch axes',
    reference: '',
    differentiable: () => [0, 1],
    backward: (ctx, n, [dY], needs) => matmulBackward(ctx, n, dY!, needs),
  },
);
