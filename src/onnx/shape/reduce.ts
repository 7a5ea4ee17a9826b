/**
 * Reductions. The axes moved from an attribute to an optional second input in opset 13
 * (ReduceSum) and opset 18 (the others); a rule reads whichever form the node has, so one rule
 * serves every opset. ArgMax/ArgMin reduce one axis to int64 indices.
 */
import { nth } from '../../core/checked.js';
import { getInt, getInts } from '../ir.js';
import { numel } from '../tensor.js';
import { foldable, strides, unravel } from './fold.js';
import {
  castNumber,
  facts,
  normAxis,
  registerShapeRules,
  type ShapeContext,
  type ShapeRule,
} from './rule.js';

type Reducer = (xs: number[]) => number;

const sum: Reducer = (xs) => xs.reduce((a, b) => a + b, 0);

const REDUCERS: [string, string, Reducer?][] = [
  ['ReduceMean', 'mean over axes', (xs) => sum(xs) / xs.length],
  ['ReduceSum', 'sum over axes', sum],
  ['ReduceMax', 'maximum over axes', (xs) => Math.max(...xs)],
  ['ReduceMin', 'minimum over axes', (xs) => Math.min(...xs)],
  ['ReduceProd', 'product over axes', (xs) => xs.reduce((a, b) => a * b, 1)],
  ['ReduceL1', 'L1 norm over axes'],
  ['ReduceL2', 'L2 norm over axes'],
  ['ReduceLogSum', 'log of the sum over axes'],
  ['ReduceLogSumExp', 'log-sum-exp over axes'],
  ['ReduceSumSquare', 'sum of squares over axes'],
];

/** The reduced axes: input 1 when given (opset 13/18 form), else the `axes` attribute. */
function reducedAxes(ctx: ShapeContext, rank: number): number[] {
  const given = ctx.has(1) ? ctx.ints(1, 'its axes input') : getInts(ctx.node, 'axes', []);
  if (given.length) return given.map((a) => normAxis(ctx, a, rank));
  // No axes: every axis, unless noop_with_empty_axes (opset 18) makes it the identity.
  return getInt(ctx.node, 'noop_with_empty_axes', 0) ? [] : Array.from({ length: rank }, (_, i) => i);
}

function reduction(name: string, description: string, f?: Reducer): ShapeRule {
  return {
    name,
    description,
    reference: 'ONNX operator (axes attribute before opset 18, input from 18; ReduceSum from 13)',
    infer(ctx) {
      const x = ctx.shape(0);
      const axes = reducedAxes(ctx, x.length);
      const keep = getInt(ctx.node, 'keepdims', 1) === 1;
      const kept = x.map((d, i) => (axes.includes(i) ? 1 : d));
      const shape = keep ? kept : x.filter((_, i) => !axes.includes(i));
      const type = ctx.type(0);
      const v = ctx.value(0);
      let value: number[] | undefined;
      if (f && v && foldable(shape)) {
        const groups: number[][] = Array.from({ length: numel(kept) }, () => []);
        const st = strides(kept);
        v.forEach((e, flat) => {
          const idx = unravel(flat, x);
          nth(
            groups,
            idx.reduce((a, k, i) => a + (axes.includes(i) ? 0 : k * st[i]!), 0),
          ).push(e);
        });
        value = groups.map((g) => castNumber(f(g), type));
      }
      return [facts(shape, type, value)];
    },
  };
}

function argReduction(name: string, description: string): ShapeRule {
  return {
    name,
    description,
    reference: 'ONNX operator',
    infer(ctx) {
      const x = ctx.shape(0);
      const axis = normAxis(ctx, getInt(ctx.node, 'axis', 0), x.length);
      const keep = getInt(ctx.node, 'keepdims', 1) === 1;
      const shape = keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis);
      return [facts(shape, 'int64')];
    },
  };
}

registerShapeRules(
  ...REDUCERS.map(([n, d, f]) => reduction(n, d, f)),
  argReduction('ArgMax', 'index of the maximum along an axis (int64)'),
  argReduction('ArgMin', 'index of the minimum along an axis (int64)'),
);
