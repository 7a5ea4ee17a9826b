/**
 * A tiny residual CNN built by hand (conv-BN-ReLU, conv-BN, skip add, ReLU, pooling, Gemm), with
 * seeded random weights and one pruned (all-zero) filter, for fault tests that must run in
 * milliseconds but exercise every graph feature the fast evaluator handles.
 */

import type { ImageInput } from '../../src/campaign/evaluator.js';
import { Rng } from '../../src/core/rng.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { attrFloat, attrInt, attrInts, type Model } from '../../src/onnx/ir.js';
import { f32, type Tensor } from '../../src/onnx/tensor.js';

function randn(rng: Rng, dims: number[], scale: number): Tensor<'float32'> {
  const n = dims.reduce((a, b) => a * b, 1);
  return f32(
    dims,
    Array.from({ length: n }, () => rng.normal() * scale),
  );
}

/**
 * The tiny model: input [N, 2, 6, 6] → logits [N, 3]. Filter 1 of conv2 is pruned to zero, and
 * conv1's channel 0 has a strongly negative BN shift, so its ReLU output is all zero for many
 * images (what lets fast mode skip images).
 */
export function tinyResnet(seed = 1): Model {
  const rng = Rng.seeded(seed);
  const b = new GraphBuilder('tiny');
  const x = b.input('input', 'float32', ['batch', 2, 6, 6]);
  const conv = (name: string, inp: string, cin: number, cout: number): string => {
    const w = b.initializer(`${name}.weight`, randn(rng, [cout, cin, 3, 3], 0.5));
    const c = b.op('Conv', [inp, w], { kernel_shape: attrInts([3, 3]), pads: attrInts([1, 1, 1, 1]) });
    const bn = [`${name}.bn.weight`, `${name}.bn.bias`, `${name}.bn.mean`, `${name}.bn.var`].map((n, i) =>
      b.initializer(
        n,
        f32(
          [cout],
          Array.from({ length: cout }, () =>
            i === 3 ? 0.5 + rng.float() : i === 0 ? 1 + 0.2 * rng.normal() : 0.1 * rng.normal(),
          ),
        ),
      ),
    );
    return b.op('BatchNormalization', [c, ...bn], { epsilon: attrFloat(1e-5) });
  };
  const a = b.op('Relu', [conv('conv1', x, 2, 4)]);
  const w2 = conv('conv2', a, 4, 4);
  const s = b.op('Relu', [b.op('Add', [w2, a])]);
  const p = b.op('MaxPool', [s], { kernel_shape: attrInts([2, 2]), strides: attrInts([2, 2]) });
  const g = b.op('Flatten', [b.op('GlobalAveragePool', [p])], { axis: attrInt(1) });
  const fw = b.initializer('fc.weight', randn(rng, [3, 4], 0.7));
  const fb = b.initializer('fc.bias', randn(rng, [3], 0.1));
  const y = b.op('Gemm', [g, fw, fb], { transB: attrInt(1) }, { output: 'logits' });
  b.output(y, 'float32', ['batch', 3]);
  const model = b.build();
  const w = model.graph.initializers.get('conv2.weight')!.data as Float32Array;
  w.fill(0, 36, 72);
  (model.graph.initializers.get('conv1.bn.bias')!.data as Float32Array)[0] = -3;
  return model;
}

/** `n` seeded random images for the tiny model, with labels 0..2. */
export function tinyImages(n: number, seed = 2): ImageInput {
  const rng = Rng.seeded(seed);
  return {
    x: f32(
      [n, 2, 6, 6],
      Array.from({ length: n * 72 }, () => rng.normal()),
    ),
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
  };
}
