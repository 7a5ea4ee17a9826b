/**
 * Static shape and type inference with concrete dims: walks the graph in order and asks each
 * node's rule (`shapeRules`, one per op) for the facts of its outputs. Small tensors are folded
 * so shape arithmetic (Shape→Gather→Concat→Reshape, ConstantOfShape→Equal→Where→Expand) gives
 * concrete Reshape and Expand targets. A shape that depends on data can be supplied as a
 * measurement (`runtime/shapes.ts` runs the model once in ONNX Runtime).
 */
import { MissingEntryError } from '../../core/checked.js';
import { PrunefiError } from '../../core/errors.js';
import type { Graph, Node, ValueInfo } from '../ir.js';
import type { DType } from '../tensor.js';
import {
  DataDependentShapeError,
  isIntType,
  type ShapeContext,
  shapeError,
  shapeRules,
  type ValueFacts,
} from './rule.js';
import { tensorValue } from './shape-ops.js';
import './elementwise.js';
import './nn.js';
import './quant.js';
import './reduce.js';

/** Concrete shapes and element types of every value, plus the values of small integer tensors. */
export interface ShapeInfo {
  shapes: Map<string, number[]>;
  types: Map<string, DType>;
  /** Folded values of small integer and bool tensors (shape operands), when known. */
  consts: Map<string, number[]>;
  /**
   * Set in `partial` mode when a node could not be inferred: the first such error. Values
   * that depend on that node are missing from `shapes`; all others are known.
   */
  unresolved?: PrunefiError;
}

/** How `inferShapes` resolves what the graph does not state. */
export interface InferOptions {
  /** Concrete dims for graph inputs, by name (overrides declared and symbolic dims). */
  inputShapes?: Record<string, readonly number[]>;
  /** The dim given to a symbolic or unknown axis 0 of a graph input (default 1). */
  batch?: number;
  /** Shapes and types measured by running the model, used where a rule needs data it cannot fold. */
  measured?: ReadonlyMap<string, { shape: readonly number[]; type: DType }>;
  /**
   * Do not throw at a node without a rule (or a failing one, or an input with a symbolic dim):
   * record the first error and infer every value that does not depend on it, so commands that
   * need only part of the graph still work.
   */
  partial?: boolean;
}

/** The rule lookup key: ops outside the default domain are looked up as `domain:Op` first. */
function ruleFor(n: Node) {
  const d = n.domain;
  if (d && d !== 'ai.onnx' && shapeRules.has(`${d}:${n.opType}`)) return shapeRules.get(`${d}:${n.opType}`);
  if (!shapeRules.has(n.opType))
    throw shapeError(
      n,
      `no shape rule for op '${n.opType}'${d ? ` (domain ${d})` : ''}; prunefi lists its ops in the README`,
    );
  return shapeRules.get(n.opType);
}

function context(n: Node, facts: Map<string, ValueFacts>): ShapeContext {
  const name = (i: number) => n.inputs[i] ?? '';
  const get = (i: number): ValueFacts => {
    const f = facts.get(name(i));
    if (!f) throw shapeError(n, `input ${i} ('${name(i)}') has no known shape`);
    return f;
  };
  return {
    node: n,
    has: (i) => name(i) !== '',
    shape: (i) => [...get(i).shape],
    type: (i) => get(i).type,
    value: (i) => get(i).value,
    ints(i, what) {
      const v = get(i).value;
      if (!v) throw new DataDependentShapeError(n, `${what} '${name(i)}'`);
      return v;
    },
    fail: (why) => {
      throw shapeError(n, why);
    },
  };
}

/** Facts of initializers and graph inputs; in partial mode an input without dims is left out. */
function inputFacts(
  graph: Graph,
  opts: InferOptions,
  facts: Map<string, ValueFacts>,
): PrunefiError | undefined {
  let unresolved: PrunefiError | undefined;
  for (const [name, t] of graph.initializers) {
    const value = tensorValue(t);
    facts.set(
      name,
      value ? { shape: [...t.dims], type: t.dtype, value } : { shape: [...t.dims], type: t.dtype },
    );
  }
  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name)) continue;
    const given = opts.inputShapes?.[v.name];
    if (given) {
      facts.set(v.name, { shape: [...given], type: v.elemType });
      continue;
    }
    try {
      facts.set(v.name, { shape: inputDims(v, opts.batch ?? 1), type: v.elemType });
    } catch (e) {
      if (!opts.partial || !(e instanceof PrunefiError)) throw e;
      unresolved ??= e;
    }
  }
  return unresolved;
}

function inputDims(v: ValueInfo, batch: number): number[] {
  if (!v.shape)
    throw new PrunefiError(
      'SHAPE_MISMATCH',
      `graph input '${v.name}' has no declared shape; give its dims with --input-shape ${v.name}=1x…`,
    );
  const declared = v.shape;
  return declared.map((d, i) => {
    if (typeof d === 'number' && d > 0) return d;
    if (i === 0) return batch;
    throw new PrunefiError(
      'SHAPE_MISMATCH',
      `graph input '${v.name}' has a symbolic dim${typeof d === 'string' && d ? ` '${d}'` : ''} at axis ${i}; give its dims with --input-shape ${v.name}=${declared.map((x, j) => (j === 0 ? batch : typeof x === 'number' && x > 0 ? x : 'N')).join('x')}`,
    );
  });
}

/**
 * Infers the shape and type of every value. Graph inputs take `inputShapes`, else their declared
 * dims with a symbolic axis 0 set to `batch`; another symbolic dim is an error asking for it.
 */
export function inferShapes(graph: Graph, options: InferOptions = {}): ShapeInfo {
  const facts = new Map<string, ValueFacts>();
  let unresolved = inputFacts(graph, options, facts);
  for (const n of graph.nodes) {
    try {
      inferNode(n, facts, options.measured);
    } catch (e) {
      // Later failures are mostly the first one's consequences (an input with no known shape);
      // the first is the one to report, and values independent of it are still inferred.
      if (!options.partial || !(e instanceof PrunefiError)) throw e;
      unresolved ??= e;
    }
  }
  const shapes = new Map<string, number[]>();
  const types = new Map<string, DType>();
  const consts = new Map<string, number[]>();
  for (const [name, f] of facts) {
    shapes.set(name, f.shape);
    types.set(name, f.type);
    if (f.value && (isIntType(f.type) || f.type === 'bool')) consts.set(name, f.value);
  }
  return unresolved ? { shapes, types, consts, unresolved } : { shapes, types, consts };
}

function inferNode(n: Node, facts: Map<string, ValueFacts>, measured: InferOptions['measured']): void {
  let out: (ValueFacts | undefined)[];
  try {
    out = ruleFor(n).infer(context(n, facts));
  } catch (e) {
    // A rule reads the dims and attributes the op requires; a malformed file has fewer.
    if (e instanceof MissingEntryError)
      throw shapeError(n, `its inputs or attributes have fewer entries than ${n.opType} reads (${e.detail})`);
    // A shape that depends on data: use the measured one when every output was measured.
    const m = n.outputs.map((o) => (o === '' ? undefined : measured?.get(o)));
    if (!(e instanceof DataDependentShapeError) || n.outputs.some((o, i) => o !== '' && !m[i])) throw e;
    out = m.map((x) => x && { shape: [...x.shape], type: x.type });
  }
  n.outputs.forEach((o, i) => {
    const f = out[i];
    if (o === '') return;
    if (!f) throw shapeError(n, `its rule gives no shape for output ${i} ('${o}')`);
    facts.set(o, f);
  });
}

/**
 * Concrete dims for every graph input with a declared shape: the batch axis `batch`, every other
 * symbolic dim (a sequence length) `other`. For structural passes, which need some concrete
 * shape and whose results do not depend on which; 7 is chosen so no symbolic dim coincides with
 * a head count or channel width.
 */
export function concreteInputShapes(graph: Graph, batch = 1, other = 7): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name) || !v.shape) continue;
    out[v.name] = v.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : other));
  }
  return out;
}
