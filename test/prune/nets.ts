/**
 * Tiny networks for the pruning tests, built with the zoo's PyTorch emitters so they look like
 * real exports, plus helpers to randomize BatchNorm (freshly initialized BatchNorm is the
 * identity, which would hide slicing mistakes) and to run a model on ONNX Runtime.
 */
import { Rng } from '../../src/core/rng.js';
import { TorchEmitter } from '../../src/models/layers.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { attrInt, attrInts, type Model } from '../../src/onnx/ir.js';
import { f32, type Tensor } from '../../src/onnx/tensor.js';
import { createSession } from '../../src/runtime/session.js';

function start(
  name: string,
  c: number,
  hw: number,
  seed: number,
): { b: GraphBuilder; t: TorchEmitter; x: string } {
  const b = new GraphBuilder(name);
  const x = b.input('input', 'float32', ['batch', c, hw, hw]);
  return { b, t: new TorchEmitter(b, Rng.seeded(seed).split(name)), x };
}

function finish(b: GraphBuilder, logits: string, classes: number): Model {
  b.output(logits, 'float32', ['batch', classes]);
  return b.build();
}

/** conv(3→8)+BN+ReLU → MaxPool → conv(8→12)+ReLU → Flatten → Gemm(12·4·4 → 10); input 3×8×8. */
export function tinyCnn(seed = 1): Model {
  const { b, t, x } = start('tiny-cnn', 3, 8, seed);
  let y = t.relu(
    '',
    t.batchNorm2d('bn1', t.conv2d('conv1', x, { cin: 3, cout: 8, kernel: 3, padding: 1 }), 8),
  );
  y = t.maxPool2d('pool', y, 2);
  y = t.relu('', t.conv2d('conv2', y, { cin: 8, cout: 12, kernel: 3, padding: 1 }));
  y = t.flatten('', y);
  return finish(b, t.linear('fc', y, 12 * 4 * 4, 10, 'logits'), 10);
}

/**
 * A two-block ResNet: stem conv(3→8)+BN, an identity block (8), a down-sampling block (8→16,
 * stride 2, 1×1 shortcut conv + BN), global average pool and Gemm(16 → 5); input 3×8×8.
 */
export function tinyResnet(seed = 2): Model {
  const { b, t, x } = start('tiny-resnet', 3, 8, seed);
  const stem = t.relu(
    '',
    t.batchNorm2d('bn1', t.conv2d('conv1', x, { cin: 3, cout: 8, kernel: 3, padding: 1, bias: false }), 8),
  );
  const block = (path: string, inp: string, cin: number, cout: number, stride: number): string => {
    let y = t.conv2d(`${path}.conv1`, inp, { cin, cout, kernel: 3, stride, padding: 1, bias: false });
    y = t.relu(path, t.batchNorm2d(`${path}.bn1`, y, cout));
    y = t.batchNorm2d(
      `${path}.bn2`,
      t.conv2d(`${path}.conv2`, y, { cin: cout, cout, kernel: 3, padding: 1, bias: false }),
      cout,
    );
    let s = inp;
    if (stride !== 1 || cin !== cout) {
      s = t.conv2d(`${path}.shortcut.0`, inp, { cin, cout, kernel: 1, stride, bias: false });
      s = t.batchNorm2d(`${path}.shortcut.1`, s, cout);
    }
    return t.relu(path, t.add(path, y, s));
  };
  let y = block('layer1.0', stem, 8, 8, 1);
  y = block('layer2.0', y, 8, 16, 2);
  y = t.flatten('', t.globalAvgPool('', y));
  return finish(b, t.linear('linear', y, 16, 5, 'logits'), 5);
}

/**
 * Two parallel convs (3→4, 3→6) concatenated (10 channels) → BN → ReLU → depthwise 3×3 conv
 * (group 10) → conv(10→5) → GAP → Gemm(5 → 3); input 3×6×6. Exercises Concat offsets and
 * depthwise `group` updates.
 */
export function concatNet(seed = 3): Model {
  const { b, t, x } = start('concat-net', 3, 6, seed);
  const a = t.conv2d('a', x, { cin: 3, cout: 4, kernel: 3, padding: 1 });
  const c = t.conv2d('c', x, { cin: 3, cout: 6, kernel: 1 });
  let y = b.op('Concat', [a, c], { axis: attrInt(1) }, { name: '/Concat' });
  y = t.relu('', t.batchNorm2d('bn', y, 10));
  const rng = Rng.seeded(seed).split('dw');
  const dw = b.initializer(
    'dw.weight',
    f32(
      [10, 1, 3, 3],
      Array.from({ length: 90 }, () => rng.float() - 0.5),
    ),
  );
  const dwb = b.initializer(
    'dw.bias',
    f32(
      [10],
      Array.from({ length: 10 }, () => rng.float() - 0.5),
    ),
  );
  y = b.op(
    'Conv',
    [y, dw, dwb],
    { group: attrInt(10), kernel_shape: attrInts([3, 3]), pads: attrInts([1, 1, 1, 1]) },
    { name: '/dw/Conv' },
  );
  y = t.relu('dw', y);
  y = t.conv2d('pw', y, { cin: 10, cout: 5, kernel: 1 });
  y = t.flatten('', t.globalAvgPool('', y));
  return finish(b, t.linear('fc', y, 5, 3, 'logits'), 3);
}

/** conv(3→4) → LRN (mixes neighbouring channels) → conv(4→2) → GAP → Flatten; input 3×5×5. */
export function lrnNet(seed = 4): Model {
  const { b, t, x } = start('lrn-net', 3, 5, seed);
  let y = t.conv2d('conv1', x, { cin: 3, cout: 4, kernel: 3, padding: 1 });
  y = b.op('LRN', [y], { size: attrInt(3) }, { name: '/lrn/LRN' });
  y = t.conv2d('conv2', y, { cin: 4, cout: 2, kernel: 1 });
  y = t.flatten('', t.globalAvgPool('', y));
  return finish(b, t.linear('fc', y, 2, 2, 'logits'), 2);
}

/** Gives every BatchNorm random scale, shift and statistics, so a mis-sliced entry shows. */
export function randomizeBatchNorm(model: Model, seed = 9): void {
  const rng = Rng.seeded(seed);
  for (const n of model.graph.nodes) {
    if (n.opType !== 'BatchNormalization') continue;
    const [, s, bias, mean, v] = n.inputs;
    const c = model.graph.initializers.get(s!)!.dims[0]!;
    const draw = (lo: number, hi: number) =>
      f32(
        [c],
        Array.from({ length: c }, () => lo + (hi - lo) * rng.float()),
      );
    model.graph.initializers.set(s!, draw(0.5, 1.5));
    model.graph.initializers.set(bias!, draw(-0.5, 0.5));
    model.graph.initializers.set(mean!, draw(-0.5, 0.5));
    model.graph.initializers.set(v!, draw(0.5, 1.5));
  }
}

/** A seeded batch of standard-normal inputs. */
export function randomInput(dims: number[], seed = 5): Tensor<'float32'> {
  const rng = Rng.seeded(seed);
  return f32(
    dims,
    Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal()),
  );
}

/** Runs a model on one input and returns its first output's values. */
export async function runModel(model: Model, x: Tensor, inputName = 'input'): Promise<Float32Array> {
  const s = await createSession(model, { threads: 1 });
  try {
    const out = await s.run({ [inputName]: x });
    return out[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}
