/** Tiny ONNX models and seeded data for the training tests. */
import { Rng } from '../../src/core/rng.js';
import { type Attribute, type Model, node } from '../../src/onnx/ir.js';
import { type DType, numel, type Tensor, tensor } from '../../src/onnx/tensor.js';

/** A float tensor of the given dtype with values uniform in [-scale, scale). */
export function randomTensor(rng: Rng, dtype: 'float32' | 'float64', dims: number[], scale = 1): Tensor {
  const n = numel(dims);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rng.float() * 2 - 1) * scale;
  return dtype === 'float64'
    ? tensor('float64', dims, data as Float64Array)
    : tensor('float32', dims, data as Float32Array);
}

/** One node of a test model: op type, inputs, outputs and attributes. */
export type NodeSpec = [string, string[], string[], Record<string, Attribute>?];

/** A model over the given nodes; the data input `X` has a symbolic batch dim. */
export function model(
  nodes: NodeSpec[],
  x: { dtype: DType; shape: number[]; name?: string },
  initializers: Record<string, Tensor>,
  outputs: string[] = ['Y'],
): Model {
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 13 }],
    producerName: 'prunefi-test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: new Map(),
    functions: [],
    graph: {
      name: 'test',
      nodes: nodes.map(([op, i, o, a], k) => node(op, i, o, a ?? {}, `${op}_${k}`)),
      initializers: new Map(Object.entries(initializers)),
      inputs: [{ name: x.name ?? 'X', elemType: x.dtype, shape: ['N', ...x.shape.slice(1)] }],
      outputs: outputs.map((name) => ({ name, elemType: x.dtype })),
      valueInfo: [],
    },
  };
}

/** A seeded generator for a test. */
export function testRng(name: string): Rng {
  return Rng.seeded(`prunefi-train-test/${name}`);
}
