/**
 * PyTorch modules as ONNX nodes: each emitter adds the nodes `torch.onnx.export` (opset 13,
 * eval mode, BatchNorm kept) produces for the module, names its parameters as the module's
 * state_dict does, and fills them with PyTorch's default initialization drawn from a seeded Rng.
 * The zoo's architectures are written with these, so a zoo model and the same architecture
 * exported from PyTorch are interchangeable (same initializer names, ops and attributes).
 */
import type { Rng } from '../core/rng.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { type Attribute, attrFloat, attrInt, attrInts, attrTensor } from '../onnx/ir.js';
import { type Tensor, tensor } from '../onnx/tensor.js';

/**
 * The scope prefix PyTorch's exporter gives nodes of the module at `path`: 'layer1.0.conv1' →
 * '/layer1/layer1.0/conv1' (children of a Sequential are named `parent.index`), '' → ''.
 */
export function exportScope(path: string): string {
  if (path === '') return '';
  const parts = path.split('.');
  return parts.map((p, i) => `/${/^\d+$/.test(p) && i > 0 ? `${parts[i - 1]}.${p}` : p}`).join('');
}

/**
 * A float32 tensor of i.i.d. U(-bound, bound) values. Each tensor gets its own Rng stream, so a
 * parameter's values depend only on (seed, model, parameter name), not on build order.
 */
export function uniformTensor(rng: Rng, dims: readonly number[], bound: number): Tensor<'float32'> {
  let n = 1;
  for (const d of dims) n *= d;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng.float() - 1) * bound;
  return tensor('float32', dims, data);
}

function filled(dims: readonly number[], value: number): Tensor<'float32'> {
  return tensor('float32', dims, new Float32Array(dims[0]!).fill(value));
}

/** Geometry of a `torch.nn.Conv2d` (square kernels, symmetric padding, as the zoo uses). */
export interface Conv2dSpec {
  cin: number;
  cout: number;
  kernel: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
}

/**
 * Emits PyTorch modules into a GraphBuilder. `rng` is the model's init stream; each parameter
 * draws from `rng.split(parameterName)`.
 */
export class TorchEmitter {
  constructor(
    readonly b: GraphBuilder,
    private readonly rng: Rng,
  ) {}

  private node(
    path: string,
    opType: string,
    inputs: string[],
    attrs: Record<string, Attribute> = {},
    output?: string,
  ): string {
    const options = output === undefined ? {} : { output };
    return this.b.op(opType, inputs, attrs, { name: `${exportScope(path)}/${opType}`, ...options });
  }

  /**
   * PyTorch's Linear/Conv default init (`reset_parameters`): weight kaiming_uniform_(a=√5), whose
   * bound gain·√(3/fan_in) with gain = √(2/(1+5)) is exactly 1/√fan_in, and bias U(±1/√fan_in).
   */
  private uniformParam(name: string, dims: number[], fanIn: number): string {
    return this.b.initializer(name, uniformTensor(this.rng.split(name), dims, 1 / Math.sqrt(fanIn)));
  }

  /** `nn.Conv2d` at module `path` (parameters `path.weight`, `path.bias`). */
  conv2d(path: string, x: string, s: Conv2dSpec): string {
    const k = s.kernel;
    const p = s.padding ?? 0;
    const st = s.stride ?? 1;
    const fanIn = s.cin * k * k;
    const inputs = [x, this.uniformParam(`${path}.weight`, [s.cout, s.cin, k, k], fanIn)];
    if (s.bias ?? true) inputs.push(this.uniformParam(`${path}.bias`, [s.cout], fanIn));
    return this.node(path, 'Conv', inputs, {
      dilations: attrInts([1, 1]),
      group: attrInt(1),
      kernel_shape: attrInts([k, k]),
      pads: attrInts([p, p, p, p]),
      strides: attrInts([st, st]),
    });
  }

  /**
   * `nn.BatchNorm2d` in eval mode: weight 1, bias 0, running mean 0, running var 1, eps 1e-5, and
   * ONNX momentum 0.9 (ONNX weighs the running value, PyTorch the new batch: 1 - 0.1).
   */
  batchNorm2d(path: string, x: string, channels: number): string {
    const inputs = [
      x,
      this.b.initializer(`${path}.weight`, filled([channels], 1)),
      this.b.initializer(`${path}.bias`, filled([channels], 0)),
      this.b.initializer(`${path}.running_mean`, filled([channels], 0)),
      this.b.initializer(`${path}.running_var`, filled([channels], 1)),
    ];
    return this.node(path, 'BatchNormalization', inputs, {
      epsilon: attrFloat(Math.fround(1e-5)),
      momentum: attrFloat(Math.fround(0.9)),
    });
  }

  /** `nn.Linear` at `path` as Gemm(transB=1); `output` names the result (e.g. 'logits'). */
  linear(path: string, x: string, inFeatures: number, outFeatures: number, output?: string): string {
    const w = this.uniformParam(`${path}.weight`, [outFeatures, inFeatures], inFeatures);
    const bias = this.uniformParam(`${path}.bias`, [outFeatures], inFeatures);
    return this.node(
      path,
      'Gemm',
      [x, w, bias],
      { alpha: attrFloat(1), beta: attrFloat(1), transB: attrInt(1) },
      output,
    );
  }

  /** ReLU (`nn.ReLU` at `path`, or `F.relu` inside the module at `path`). */
  relu(path: string, x: string): string {
    return this.node(path, 'Relu', [x]);
  }

  /** `nn.MaxPool2d(kernel, stride)` / `F.max_pool2d` without padding. */
  maxPool2d(path: string, x: string, kernel: number, stride = kernel): string {
    return this.node(path, 'MaxPool', [x], {
      ceil_mode: attrInt(0),
      kernel_shape: attrInts([kernel, kernel]),
      pads: attrInts([0, 0, 0, 0]),
      strides: attrInts([stride, stride]),
    });
  }

  /** `a + b` inside the module at `path` (a residual connection). */
  add(path: string, a: string, b: string): string {
    return this.node(path, 'Add', [a, b]);
  }

  /** `F.adaptive_avg_pool2d(x, 1)`, which the exporter writes as GlobalAveragePool. */
  globalAvgPool(path: string, x: string): string {
    return this.node(path, 'GlobalAveragePool', [x]);
  }

  /**
   * `nn.LayerNorm(width)` over the last axis at `path` (weight 1, bias 0, eps 1e-5), as the fused
   * LayerNormalization of opset 17 that `torch.onnx.export` writes from that opset on.
   */
  layerNorm(path: string, x: string, width: number): string {
    const scale = this.b.initializer(`${path}.weight`, filled([width], 1));
    const bias = this.b.initializer(`${path}.bias`, filled([width], 0));
    return this.node(path, 'LayerNormalization', [x, scale, bias], {
      axis: attrInt(-1),
      epsilon: attrFloat(Math.fround(1e-5)),
    });
  }

  /**
   * A learned parameter initialized N(0, std²) (`nn.init.normal_` / `trunc_normal_`, as ViTs
   * initialize position embeddings), by Box–Muller from the parameter's own stream.
   */
  normalParameter(name: string, dims: readonly number[], std: number): string {
    const rng = this.rng.split(name);
    let n = 1;
    for (const d of dims) n *= d;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = 1 - rng.float();
      data[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
    }
    return this.b.initializer(name, tensor('float32', dims, data));
  }

  /**
   * A Constant node (what the exporter writes for literals such as Reshape targets and the 1/√d
   * scale), so literals are neither parameters nor stored weights.
   */
  constant(path: string, value: Tensor): string {
    return this.node(path, 'Constant', [], { value: attrTensor(value) });
  }

  /** `x.reshape(dims)` (int64 target, -1 for the inferred dim). */
  reshape(path: string, x: string, dims: readonly number[]): string {
    const target = this.constant(path, tensor('int64', [dims.length], BigInt64Array.from(dims.map(BigInt))));
    return this.node(path, 'Reshape', [x, target]);
  }

  /** `x.permute(perm)`. */
  transpose(path: string, x: string, perm: readonly number[]): string {
    return this.node(path, 'Transpose', [x], { perm: attrInts([...perm]) });
  }

  /** `a @ b` (batched over leading dims). */
  matmul(path: string, a: string, b: string): string {
    return this.node(path, 'MatMul', [a, b]);
  }

  /** `x * factor` with a scalar literal. */
  scale(path: string, x: string, factor: number): string {
    const f = this.constant(path, tensor('float32', [], Float32Array.of(factor)));
    return this.node(path, 'Mul', [x, f]);
  }

  /** `x.softmax(axis)`. */
  softmax(path: string, x: string, axis: number): string {
    return this.node(path, 'Softmax', [x], { axis: attrInt(axis) });
  }

  /** `x.mean(axes)` without keeping the reduced dims (ReduceMean with an axes attribute, opset < 18). */
  mean(path: string, x: string, axes: readonly number[]): string {
    return this.node(path, 'ReduceMean', [x], { axes: attrInts([...axes]), keepdims: attrInt(0) });
  }

  /**
   * Exact `nn.GELU()`: x · (1 + erf(x / √2)) / 2, the Div/Erf/Add/Mul/Mul chain the exporter
   * writes before opset 20 has a Gelu op.
   */
  gelu(path: string, x: string): string {
    const sqrt2 = this.constant(path, tensor('float32', [], Float32Array.of(Math.SQRT2)));
    const one = this.constant(path, tensor('float32', [], Float32Array.of(1)));
    const half = this.constant(path, tensor('float32', [], Float32Array.of(0.5)));
    const e = this.node(path, 'Erf', [this.node(path, 'Div', [x, sqrt2])]);
    const y = this.node(path, 'Mul', [x, this.node(path, 'Add', [e, one])]);
    return this.node(path, 'Mul', [y, half]);
  }

  /** `torch.flatten(x, 1)`. */
  flatten(path: string, x: string): string {
    return this.node(path, 'Flatten', [x], { axis: attrInt(1) });
  }
}
