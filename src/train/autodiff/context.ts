/**
 * The emission context shared by every gradient rule: it appends nodes to the training graph,
 * makes typed constants (deduplicated), knows the static shape of every forward value at a probe
 * batch size, and keeps the values a rule's forward part saves for its backward part.
 */
import { nth } from '../../core/checked.js';
import { PrunefiError } from '../../core/errors.js';
import { type Attribute, type Graph, type Node, node } from '../../onnx/ir.js';
import { type DType, f32, i64, type Tensor, tensor, toNumbers } from '../../onnx/tensor.js';

/** Float element types the training graph can be built in (float64 for exact gradient checks). */
export type FloatType = 'float32' | 'float64';

/**
 * How the weight gradient of a (not lowered) Conv is computed (see conv.ts): 'auto' picks
 * 'conv' for kernels of 25 taps or more (im2col of a large kernel is slow) and 'im2col' else.
 */
export type ConvWeightGradStrategy = 'auto' | 'im2col' | 'conv';

/** How BatchNormalization behaves in the built graph. */
export type BatchNormMode = 'train' | 'eval' | 'identity';

/** Batch statistics a training-mode BatchNormalization exposes for the running-stat update. */
export interface BatchNormStats {
  /** The BatchNormalization node's name (or its output when unnamed). */
  node: string;
  /** Initializer names of the running statistics to update. */
  runningMean: string;
  runningVar: string;
  /** ONNX momentum: running = running * momentum + batch * (1 - momentum). */
  momentum: number;
  /** Elements per channel per image (the product of the spatial dims). */
  perImage: number;
  /** Graph outputs: the batch mean and the biased batch variance, shape [C]. */
  meanOutput: string;
  varOutput: string;
}

/** A Dropout node in training mode: its mask (already scaled by 1/(1-ratio)) is a graph input. */
export interface DropoutMask {
  node: string;
  /** Graph input to feed with the scaled keep-mask, same shape as the dropped tensor. */
  input: string;
  ratio: number;
  /** Probe shape of the mask (axis 0 is the batch). */
  shape: number[];
}

/**
 * A graph input computed from a weight before every run instead of inside the graph (see
 * src/train/layouts.ts): the spatially flipped, group-transposed Conv kernel of the stride-1
 * input gradient, [Ci, Co/g, ...kernel].
 */
export interface DerivedInput {
  name: string;
  kind: 'flipped';
  /** The weight (a state input) it is computed from: [Co, Ci/g, ...kernel]. */
  source: string;
  group: number;
  dims: number[];
}

/**
 * Emission state for one training graph. Rules call `emit` for every node they add; the
 * builder owns the order (forward nodes, then the objective, then backward in reverse).
 */
export class GradContext {
  readonly nodes: Node[] = [];
  readonly constants = new Map<string, Tensor>();
  readonly bnStats: BatchNormStats[] = [];
  readonly dropoutMasks: DropoutMask[] = [];
  readonly derivedInputs: DerivedInput[] = [];
  /** Extra graph inputs rules add (dropout masks). */
  readonly extraInputs: { name: string; elemType: DType; shape: (number | string)[] }[] = [];
  /** Values a forward rule saved for the same node's backward rule. */
  private readonly saved = new Map<Node, Record<string, string>>();
  private readonly constKeys = new Map<string, string>();
  /** Conv weight-gradient strategy (an option so benchmarks can compare both). */
  convWeightGrad: ConvWeightGradStrategy = 'auto';
  /** Run Convs on small feature maps as GEMMs over batch × positions (lowered.ts). */
  lowerConv = true;

  constructor(
    readonly source: Graph,
    readonly dtype: FloatType,
    readonly shapes: Map<string, number[]>,
    readonly bnMode: BatchNormMode,
    readonly dropout: boolean,
    private readonly fresh: (base: string) => string,
  ) {}

  /** A fresh value name derived from `base`. */
  name(base: string): string {
    return this.fresh(base);
  }

  /** Appends a node and returns its output names (fresh names unless given). */
  emit(
    opType: string,
    inputs: string[],
    attributes: Record<string, Attribute> = {},
    outputs: number | string[] = 1,
    base = opType,
  ): string[] {
    const outs =
      typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(base)) : outputs;
    this.nodes.push(node(opType, inputs, outs, attributes, this.fresh(`${base}_node`)));
    return outs;
  }

  /** `emit` for single-output nodes. */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, base = opType): string {
    return nth(this.emit(opType, inputs, attributes, 1, base), 0);
  }

  /** A constant of the graph's float type (deduplicated by value). */
  float(values: number | readonly number[], dims?: readonly number[]): string {
    const arr = typeof values === 'number' ? [values] : values;
    const d = dims ?? (typeof values === 'number' ? [] : [arr.length]);
    const key = `${this.dtype}:${d.join('x')}:${arr.length <= 16 ? arr.join(',') : this.fresh('big')}`;
    const hit = this.constKeys.get(key);
    if (hit) return hit;
    const data = this.dtype === 'float64' ? Float64Array.from(arr) : Float32Array.from(arr);
    return this.addConst(key, tensor(this.dtype, d, data), 'const');
  }

  /** A constant int64 vector (axes, shapes, split sizes), deduplicated. */
  ints(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    return this.constKeys.get(key) ?? this.addConst(key, i64([values.length], values), 'ints');
  }

  /** Adds an arbitrary constant tensor (not deduplicated). */
  tensor(t: Tensor, base = 'const'): string {
    return this.addConst(this.fresh(base), t, base);
  }

  private addConst(key: string, t: Tensor, base: string): string {
    const name = this.fresh(base);
    this.constants.set(name, t);
    this.constKeys.set(key, name);
    return name;
  }

  /**
   * The value of a forward constant (an initializer or a Constant node's output), or undefined
   * when `value` is computed: rules read constant axes, exponents and ratios through this.
   */
  constant(value: string): Tensor | undefined {
    const init = this.source.initializers.get(value);
    if (init) return init;
    const c = this.source.nodes.find((n) => n.opType === 'Constant' && n.outputs[0] === value);
    const a = c?.attributes;
    if (!a) return undefined;
    if (a.value?.type === 'tensor') return a.value.value;
    if (a.value_ints?.type === 'ints') return i64([a.value_ints.value.length], a.value_ints.value);
    if (a.value_int?.type === 'int') return i64([], [a.value_int.value]);
    if (a.value_floats?.type === 'floats') return f32([a.value_floats.value.length], a.value_floats.value);
    if (a.value_float?.type === 'float') return f32([], [a.value_float.value]);
    return undefined;
  }

  /** A constant's values as numbers (see `constant`), or undefined when not constant. */
  constantNumbers(value: string): number[] | undefined {
    const t = this.constant(value);
    return t ? toNumbers(t) : undefined;
  }

  /** The static (probe-batch) shape of a forward value; unknown shapes are an error. */
  shape(value: string): number[] {
    const s = this.shapes.get(value);
    if (!s)
      throw new PrunefiError(
        'TRAIN',
        `internal: no static shape known for '${value}' while building gradients`,
      );
    return s;
  }

  /** Records values a forward rule computed that its backward rule needs. */
  save(n: Node, values: Record<string, string>): void {
    this.saved.set(n, { ...this.saved.get(n), ...values });
  }

  /** A value saved by `save`. */
  restore(n: Node, key: string): string {
    const v = this.saved.get(n)?.[key];
    if (!v) throw new PrunefiError('TRAIN', `internal: node '${n.name}' saved no '${key}'`);
    return v;
  }

  /** Whether the forward rule saved `key`. */
  hasSaved(n: Node, key: string): boolean {
    return this.saved.get(n)?.[key] !== undefined;
  }

  /**
   * Sums a broadcast result's gradient back to an operand's shape: reduces the leading axes the
   * operand lacks and the axes where it has size 1, then reshapes to the operand's own shape.
   * Reducing an axis whose runtime size is 1 is harmless, so this is right for any batch size.
   */
  reduceTo(
    grad: string,
    gradShape: readonly number[],
    target: readonly number[],
    targetDynamic?: string,
  ): string {
    const lead = gradShape.length - target.length;
    const axes: number[] = [];
    for (let i = 0; i < gradShape.length; i++) {
      const t = i < lead ? undefined : target[i - lead];
      if (t === undefined || (t === 1 && gradShape[i] !== 1)) axes.push(i);
    }
    if (axes.length === 0) return grad;
    const summed = this.op('ReduceSum', [grad, this.ints(axes)], { keepdims: { type: 'int', value: 1 } });
    const shape = targetDynamic ? this.op('Shape', [targetDynamic]) : this.ints([...target]);
    return this.op('Reshape', [summed, shape]);
  }

  /** The number of elements of `value` at run time, as a scalar of the float type. */
  sizeOf(value: string): string {
    return this.op('Cast', [this.op('Size', [value])], {
      to: { type: 'int', value: this.dtype === 'float64' ? 11 : 1 },
    });
  }
}
