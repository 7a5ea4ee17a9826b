/**
 * Shapes that depend on data (NonZero, a Reshape target computed from activations): static
 * inference stops there, so the model is run once in ONNX Runtime with the unresolved values
 * exposed as extra outputs, and inference resumes with what was measured.
 */
import { PrunefiError } from '../core/errors.js';
import { cloneGraph } from '../onnx/graph.js';
import type { Model, Node } from '../onnx/ir.js';
import {
  DataDependentShapeError,
  type InferOptions,
  inferShapes,
  type ShapeInfo,
} from '../onnx/shape/index.js';
import type { DType, Tensor } from '../onnx/tensor.js';
import { createSession } from './session.js';

/** The element type a data-dependent op gives, needed to declare its output before running. */
function outputType(n: Node, types: ReadonlyMap<string, DType>): DType {
  if (n.opType === 'NonZero') return 'int64';
  if (n.opType === 'ConstantOfShape') {
    const v = n.attributes.value;
    return v?.type === 'tensor' ? v.value.dtype : 'float32';
  }
  if (n.opType === 'OneHot') return types.get(n.inputs[2] ?? '') ?? 'float32';
  return types.get(n.inputs[0] ?? '') ?? 'float32';
}

/**
 * Infers every shape, running `feeds` through ONNX Runtime for those that depend on data (one
 * run per data-dependent node reached). Errors other than data dependence are thrown as is.
 */
export async function inferShapesMeasured(
  model: Model,
  feeds: Record<string, Tensor>,
  options: Omit<InferOptions, 'measured' | 'partial'> = {},
): Promise<ShapeInfo> {
  const inputShapes = { ...options.inputShapes };
  for (const [k, t] of Object.entries(feeds)) inputShapes[k] ??= t.dims;
  const measured = new Map<string, { shape: readonly number[]; type: DType }>();
  for (;;) {
    const info = inferShapes(model.graph, { ...options, inputShapes, measured, partial: true });
    const err = info.unresolved;
    if (!err) return info;
    if (!(err instanceof DataDependentShapeError)) throw err;
    const node = model.graph.nodes.find((n) => (n.name || n.opType) === err.node);
    if (!node || node.outputs.every((o) => o === '' || measured.has(o))) throw err;
    const graph = cloneGraph(model.graph);
    const wanted = node.outputs.filter((o) => o !== '');
    for (const o of wanted)
      if (!graph.outputs.some((v) => v.name === o))
        graph.outputs.push({ name: o, elemType: outputType(node, info.types) });
    const session = await createSession({ ...model, graph }, { threads: 1 });
    try {
      const out = await session.run(feeds, wanted);
      for (const o of wanted) {
        const t = out[o];
        if (!t) throw new PrunefiError('RUNTIME', `ONNX Runtime returned no value for '${o}'`);
        measured.set(o, { shape: t.dims, type: t.dtype });
      }
    } finally {
      await session.release();
    }
  }
}
