/**
 * The contract of a shape rule: from the shapes, element types and (when small and constant) the
 * values of a node's inputs, give the shape, type and value of each output. One module per op
 * family registers rules; `shapeRules` is the lookup table `inferShapes` walks the graph with.
 */
import { PrunefiError } from '../../core/errors.js';
import { Registry, type RegistryEntry } from '../../core/registry.js';
import type { Node } from '../ir.js';
import { type DType, numel } from '../tensor.js';

/**
 * What is known about one value. `value` holds the elements (row-major, bools as 0/1, int64 as
 * numbers) of tensors small enough to fold, so shape arithmetic resolves at inference time.
 */
export interface ValueFacts {
  shape: number[];
  type: DType;
  value?: number[];
}

/** Tensors with at most this many elements are constant-folded when their inputs are known. */
export const FOLD_LIMIT = 1024;

/** What a rule may ask about the node it infers. Every accessor fails with the node's name. */
export interface ShapeContext {
  readonly node: Node;
  /** Whether input `i` is given (not omitted as '' or past the end). */
  has(i: number): boolean;
  /** The shape of input `i` (an error when unknown). */
  shape(i: number): number[];
  /** The element type of input `i`. */
  type(i: number): DType;
  /** The folded elements of input `i`, when it is a small constant. */
  value(i: number): number[] | undefined;
  /**
   * The folded elements of input `i`, which the output shape depends on: a
   * `DataDependentShapeError` when they are computed from data no rule could fold.
   */
  ints(i: number, what: string): number[];
  /** Throws the one-line error naming the node. */
  fail(why: string): never;
}

/** A shape and type rule for one ONNX op type (default domain). */
export interface ShapeRule extends RegistryEntry {
  /** Facts of every output, in order (undefined for an omitted optional output). */
  infer(ctx: ShapeContext): (ValueFacts | undefined)[];
}

/** Shape rules by op type. */
export const shapeRules = new Registry<ShapeRule>('op with a shape rule');

/** Registers rules (each op-family module calls this once at load). */
export function registerShapeRules(...rules: ShapeRule[]): void {
  for (const r of rules) shapeRules.add(r);
}

/** The error every rule failure throws: one line naming the node and its op. */
export function shapeError(n: Node, why: string): PrunefiError {
  return new PrunefiError(
    'ONNX_UNSUPPORTED',
    `cannot infer shapes at node '${n.name || n.opType}' (${n.opType}): ${why}`,
  );
}

/**
 * Thrown when an output shape depends on tensor data that static folding cannot know (NonZero,
 * a Reshape target computed from activations). `runtime/shapes.ts` answers these by running the
 * model once in ONNX Runtime.
 */
export class DataDependentShapeError extends PrunefiError {
  readonly node: string;
  constructor(n: Node, what: string) {
    super(
      'ONNX_UNSUPPORTED',
      `cannot infer shapes at node '${n.name || n.opType}' (${n.opType}): its output shape depends on the data of ${what}; prunefi info measures such shapes with ONNX Runtime`,
    );
    this.node = n.name || n.opType;
  }
}

/** Normalizes a possibly negative axis against `rank`. */
export function normAxis(ctx: ShapeContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Multidirectional (numpy) broadcast of shapes. */
export function broadcastShapes(ctx: ShapeContext, shapes: readonly number[][]): number[] {
  const r = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - r + i] ?? 1;
      if (x === 1) continue;
      if (d !== 1 && d !== x)
        ctx.fail(`shapes ${shapes.map((q) => `[${q}]`).join(' and ')} do not broadcast`);
      d = x;
    }
    out.push(d);
  }
  return out;
}

/** Facts with the value attached only when it is small enough to keep. */
export function facts(shape: number[], type: DType, value?: number[]): ValueFacts {
  return value !== undefined && numel(shape) <= FOLD_LIMIT && value.length === numel(shape)
    ? { shape, type, value }
    : { shape, type };
}

/**
 * A rule whose output is its first input's shape and type (softmax, normalizations, scatters,
 * cumulative ops).
 */
export function likeInput(name: string, description: string): ShapeRule {
  return {
    name,
    description,
    reference: 'ONNX operator',
    infer: (ctx) => [facts(ctx.shape(0), ctx.type(0))],
  };
}

/** Whether a dtype holds integers (folded values are truncated). */
export function isIntType(t: DType): boolean {
  return t.startsWith('int') || t.startsWith('uint');
}

/** Rounds a folded number to what a tensor of `type` stores. */
export function castNumber(v: number, type: DType): number {
  if (type === 'bool') return v !== 0 ? 1 : 0;
  if (isIntType(type)) return Number.isFinite(v) ? Math.trunc(v) : v;
  if (type === 'float32') return Math.fround(v);
  return v;
}
