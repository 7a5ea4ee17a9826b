/**
 * Builds a training graph from a forward ONNX model: the forward pass in training mode, a scalar
 * objective, the reverse-mode backward pass as standard ONNX ops (opset 17), and the gradient of
 * every requested value as a graph output. Trainable initializers become graph inputs, so one
 * ONNX Runtime session serves every step with the current weights fed in.
 */
import { mustGet, nth } from '../../core/checked.js';
import { PrunefiError } from '../../core/errors.js';
import { cloneGraph, materializeIdentityConstants, nameGenerator, topoSort } from '../../onnx/graph.js';
import { type Graph, type Model, type Node, onnxOpset, type ValueInfo } from '../../onnx/ir.js';
import { inferShapes } from '../../onnx/shape/index.js';
import type { DType } from '../../onnx/tensor.js';
import {
  type BatchNormMode,
  type BatchNormStats,
  type ConvWeightGradStrategy,
  type DerivedInput,
  type DropoutMask,
  type FloatType,
  GradContext,
} from './context.js';
import './activation.js';
import './conv.js';
import './elementwise.js';
import './gather.js';
import './layernorm.js';
import './linear.js';
import './math.js';
import './norm.js';
import { emitObjective, type Objective } from './objective.js';
import './pool.js';
import './reduce.js';
import { gradRules } from './rule.js';
import './shape.js';
import './softmax.js';

/** Options of `buildTrainingGraph`. */
export interface TrainingGraphOptions {
  /**
   * Values whose gradients become outputs: initializer names and/or graph input names.
   * Default: every trainable parameter (`trainableParameters`).
   */
  wrt?: readonly string[];
  /** Default: cross-entropy without label smoothing. */
  objective?: Objective;
  /** Default 'train'. */
  batchNorm?: BatchNormMode;
  /** Apply Dropout (masks fed per step). Default: true when batchNorm is 'train'. */
  dropout?: boolean;
  /** The graph output the objective reads. Default: the first output. */
  output?: string;
  /** Batch size used to resolve static shapes while building (any size runs). Default 2. */
  probeBatch?: number;
  /**
   * Concrete dims of graph inputs with symbolic dims other than the batch (a token model's
   * sequence length), as the data gives them; the batch axis is overridden by `probeBatch`.
   */
  inputShapes?: Record<string, readonly number[]>;
  /** Default 'auto' (see ConvWeightGradStrategy). */
  convWeightGrad?: ConvWeightGradStrategy;
  /** Lower Convs on small feature maps to GEMMs (default true; false for benchmarks). */
  lowerConv?: boolean;
}

/** A built training graph and the names a session needs to drive it. */
export interface TrainingGraph {
  model: Model;
  dtype: FloatType;
  /** The model's data input (its first non-initializer input). */
  dataInput: string;
  /** Labels input (int64 [N]) for cross-entropy; seed input for the 'seed' objective. */
  labelsInput?: string;
  seedInput?: string;
  /** Scalar loss output and the prediction output (the forward output the objective read). */
  lossOutput: string;
  predictionOutput: string;
  /** Initializers turned into graph inputs, fed from the weight store every run. */
  stateInputs: string[];
  /** Gradient output name per requested value (values the objective does not reach are absent). */
  gradOutputs: Map<string, string>;
  /** The requested values, in request order. */
  wrt: string[];
  bnStats: BatchNormStats[];
  dropoutMasks: DropoutMask[];
  /** Inputs computed from weights before every run (see DerivedInput). */
  derivedInputs: DerivedInput[];
}

const FLOAT_TYPES: ReadonlySet<DType> = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/**
 * The trainable parameters of a graph: floating-point initializers that some supported op reads
 * at a differentiable slot (weights, biases, BatchNorm scale and shift), in initializer order.
 * BatchNorm running statistics, Clip bounds and shape operands are not parameters.
 */
export function trainableParameters(graph: Graph): string[] {
  const found = new Set<string>();
  for (const n of graph.nodes) {
    if (n.domain !== '' || !gradRules.has(n.opType)) continue;
    for (const slot of gradRules.get(n.opType).differentiable(n)) {
      const v = n.inputs[slot];
      const t = v ? graph.initializers.get(v) : undefined;
      if (v && t && FLOAT_TYPES.has(t.dtype)) found.add(v);
    }
  }
  return [...graph.initializers.keys()].filter((k) => found.has(k));
}

function unsupported(n: Node): PrunefiError {
  return new PrunefiError(
    'TRAIN_UNSUPPORTED_OP',
    `node '${n.name || n.outputs[0]}' is a ${n.domain ? `${n.domain}::` : ''}${n.opType}, which training cannot differentiate; supported ops: ${gradRules.names().join(', ')}. Replace the op in the model or freeze the layers before it`,
  );
}

/**
 * Builds the training graph of `model` (which is not modified). The forward nodes keep their
 * output names, so the prediction output has the original output's name. Throws
 * TRAIN_UNSUPPORTED_OP naming the first op on the path from a parameter to the objective that
 * has no gradient rule.
 */
export function buildTrainingGraph(model: Model, options: TrainingGraphOptions = {}): TrainingGraph {
  const opset = onnxOpset(model);
  if (opset < 13) {
    throw new PrunefiError(
      'TRAIN',
      `training needs an ONNX model of opset 13 or later, but this one uses opset ${opset}; convert it (onnx.version_converter) or re-export it with opset_version=13`,
    );
  }
  const graph = cloneGraph(model.graph);
  materializeIdentityConstants(graph);
  graph.nodes = topoSort(graph);
  const dataInputs = graph.inputs.filter((v) => !graph.initializers.has(v.name));
  const data = dataInputs[0];
  if (!data) throw new PrunefiError('TRAIN', 'the model has no data input to train on');
  const params = trainableParameters(graph);
  // Token models take integer ids: the parameters' type is the graph's float type then.
  const dtype = FLOAT_TYPES.has(data.elemType)
    ? data.elemType
    : (graph.initializers.get(params[0] ?? '')?.dtype ?? data.elemType);
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new PrunefiError(
      'TRAIN',
      `training needs float32 or float64 inputs or parameters; '${data.name}' is ${data.elemType}${params[0] ? ` and '${params[0]}' ${mustGet(graph.initializers, params[0]).dtype}` : ''}`,
    );
  }
  const wrt = [...(options.wrt ?? params)];
  for (const w of wrt) {
    if (!graph.initializers.has(w) && !dataInputs.some((v) => v.name === w)) {
      throw new PrunefiError(
        'TRAIN',
        `cannot differentiate with respect to '${w}': it is neither an initializer nor a graph input`,
      );
    }
  }
  const predName = options.output ?? graph.outputs[0]?.name;
  if (!predName || !graph.outputs.some((o) => o.name === predName)) {
    throw new PrunefiError('TRAIN', `the model has no output '${predName ?? ''}' to train on`);
  }
  const bnMode = options.batchNorm ?? 'train';
  const probe = options.probeBatch ?? 2;
  const inputShapes = Object.fromEntries(
    Object.entries(options.inputShapes ?? {}).map(([k, d]) => [k, [probe, ...d.slice(1)]]),
  );
  const { shapes, types } = inferShapes(graph, { batch: probe, inputShapes });
  const fresh = nameGenerator(graph);
  const ctx = new GradContext(graph, dtype, shapes, bnMode, options.dropout ?? bnMode === 'train', fresh);
  ctx.convWeightGrad = options.convWeightGrad ?? 'auto';
  ctx.lowerConv = options.lowerConv ?? true;

  // Values that depend on a requested value through differentiable slots.
  const requires = new Set<string>(wrt);
  const active: Node[] = [];
  for (const n of graph.nodes) {
    const rule = n.domain === '' && gradRules.has(n.opType) ? gradRules.get(n.opType) : undefined;
    const slots = rule ? rule.differentiable(n) : n.inputs.map((_, i) => i);
    if (!slots.some((s) => requires.has(n.inputs[s] ?? ''))) continue;
    // Integer and bool values carry no gradient: shape arithmetic on an activation (Shape →
    // Gather → Concat, exporters' dynamic reshapes) runs forward only and needs no rule.
    const carried = n.outputs.filter((o) => o && FLOAT_TYPES.has(types.get(o) ?? 'float32'));
    if (carried.length === 0) continue;
    active.push(n);
    for (const o of carried) requires.add(o);
  }
  // Of those, the ones the objective depends on.
  const relevant = new Set<string>([predName]);
  const onPath: Node[] = [];
  for (let i = active.length - 1; i >= 0; i--) {
    const n = nth(active, i);
    if (!n.outputs.some((o) => relevant.has(o))) continue;
    if (n.domain !== '' || !gradRules.has(n.opType)) throw unsupported(n);
    onPath.push(n);
    for (const v of n.inputs) if (v && requires.has(v)) relevant.add(v);
  }

  for (const n of graph.nodes) {
    const rule = n.domain === '' && gradRules.has(n.opType) ? gradRules.get(n.opType) : undefined;
    if (rule?.forward) rule.forward(ctx, n);
    else ctx.nodes.push({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] });
  }

  const objective = emitObjective(ctx, predName, options.objective ?? { kind: 'cross-entropy' });
  const grads = new Map<string, string[]>([[predName, [objective.dPred]]]);
  const total = (v: string): string | undefined => {
    const list = grads.get(v);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) grads.set(v, [ctx.op('Sum', list, {}, 'grad_sum')]);
    return mustGet(grads, v)[0];
  };
  for (const n of onPath) {
    const dOut = n.outputs.map((o) => (o ? total(o) : undefined));
    if (dOut.every((d) => d === undefined)) continue;
    const rule = gradRules.get(n.opType);
    const slots = new Set(rule.differentiable(n));
    const needs = n.inputs.map((v, i) => slots.has(i) && !!v && relevant.has(v));
    const dIn = rule.backward(ctx, n, dOut, needs);
    n.inputs.forEach((v, i) => {
      const d = dIn[i];
      if (!d || !needs[i]) return;
      const list = grads.get(v);
      if (list) list.push(d);
      else grads.set(v, [d]);
    });
  }

  const gradOutputs = new Map<string, string>();
  const outputs: ValueInfo[] = [
    { name: objective.loss, elemType: dtype },
    { name: predName, elemType: dtype },
  ];
  for (const w of wrt) {
    const g = total(w);
    if (!g) continue;
    const out = fresh(`grad/${w}`);
    ctx.emit('Identity', [g], {}, [out]);
    gradOutputs.set(w, out);
    outputs.push({ name: out, elemType: dtype });
  }
  for (const s of ctx.bnStats) {
    outputs.push({ name: s.meanOutput, elemType: dtype }, { name: s.varOutput, elemType: dtype });
  }
  return assemble(model, graph, ctx, objective, outputs, {
    dtype,
    dataInput: data.name,
    predictionOutput: predName,
    lossOutput: objective.loss,
    gradOutputs,
    wrt,
    bnStats: ctx.bnStats,
    dropoutMasks: ctx.dropoutMasks,
    derivedInputs: ctx.derivedInputs,
    stateInputs: [],
  });
}

/** Turns the emitted nodes into a model: used state initializers become inputs. */
function assemble(
  model: Model,
  graph: Graph,
  ctx: GradContext,
  objective: ReturnType<typeof emitObjective>,
  outputs: ValueInfo[],
  result: Omit<TrainingGraph, 'model'>,
): TrainingGraph {
  const used = new Set<string>();
  for (const n of ctx.nodes) for (const i of n.inputs) if (i) used.add(i);
  const params = new Set(trainableParameters(graph));
  const runningStats = new Set(
    graph.nodes.filter((n) => n.opType === 'BatchNormalization').flatMap((n) => n.inputs.slice(3, 5)),
  );
  const stateInputs = [...graph.initializers.keys()].filter(
    (k) => used.has(k) && (params.has(k) || runningStats.has(k)),
  );
  const inputs: ValueInfo[] = graph.inputs
    .filter((v) => !graph.initializers.has(v.name))
    .map((v) => ({ ...v }));
  for (const i of objective.inputs) inputs.push({ name: i.name, elemType: i.elemType, shape: i.shape });
  for (const i of ctx.extraInputs) inputs.push({ name: i.name, elemType: i.elemType, shape: i.shape });
  for (const d of ctx.derivedInputs) inputs.push({ name: d.name, elemType: ctx.dtype, shape: d.dims });
  for (const k of stateInputs) {
    const t = mustGet(graph.initializers, k);
    inputs.push({ name: k, elemType: t.dtype, shape: [...t.dims] });
  }
  const initializers = new Map(
    [...graph.initializers].filter(([k]) => used.has(k) && !stateInputs.includes(k)),
  );
  for (const [k, t] of ctx.constants) initializers.set(k, t);
  const built: Model = {
    ...model,
    irVersion: Math.max(model.irVersion, 8),
    opsetImports: [{ domain: '', version: 17 }],
    metadata: new Map(model.metadata),
    functions: [],
    graph: {
      name: `${graph.name || 'model'}_training`,
      nodes: ctx.nodes,
      initializers,
      inputs,
      outputs,
      valueInfo: [],
    },
  };
  const labels = objective.inputs.find((i) => i.elemType === 'int64')?.name;
  const seed = objective.inputs.find((i) => i.elemType !== 'int64')?.name;
  return {
    ...result,
    model: built,
    stateInputs,
    ...(labels ? { labelsInput: labels } : {}),
    ...(seed ? { seedInput: seed } : {}),
  };
}
