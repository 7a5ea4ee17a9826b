/**
 * The mutable state of a model under training: every floating-point initializer (parameters and
 * BatchNorm running statistics) as a typed array that optimizers update in place. Snapshots copy
 * it (lottery-ticket rewinding); `toModel` writes it back into an ONNX model.
 */
import { PrunefiError } from '../core/errors.js';
import { cloneModel } from '../onnx/graph.js';
import type { Model } from '../onnx/ir.js';
import { type Tensor, tensor } from '../onnx/tensor.js';

/** A float array of a training state entry (float64 only in exact gradient checks). */
export type FloatArray = Float32Array | Float64Array;

/** A copy of all state values, by initializer name. */
export type WeightSnapshot = Map<string, FloatArray>;

/** Named float tensors with their dims, updated in place during training. */
export class WeightStore {
  private readonly values = new Map<string, FloatArray>();
  private readonly dims = new Map<string, readonly number[]>();

  /** The float32/float64 initializers of `model` (copied, so the model is never mutated). */
  static fromModel(model: Model): WeightStore {
    const s = new WeightStore();
    for (const [name, t] of model.graph.initializers) {
      if (t.dtype === 'float32' || t.dtype === 'float64') s.set(name, (t.data as FloatArray).slice(), t.dims);
    }
    return s;
  }

  /** Adds or replaces an entry (the array is kept, not copied). */
  set(name: string, data: FloatArray, dims: readonly number[] = this.dimsOf(name)): void {
    this.values.set(name, data);
    this.dims.set(name, [...dims]);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The live array of an entry; a missing name is an error naming it. */
  get(name: string): FloatArray {
    const v = this.values.get(name);
    if (!v) throw new PrunefiError('TRAIN', `the training state has no tensor '${name}'`);
    return v;
  }

  dimsOf(name: string): readonly number[] {
    const d = this.dims.get(name);
    if (!d) throw new PrunefiError('TRAIN', `the training state has no tensor '${name}'`);
    return d;
  }

  /** The entry as a tensor sharing the live array. */
  tensor(name: string): Tensor {
    const v = this.get(name);
    return v instanceof Float64Array
      ? tensor('float64', this.dimsOf(name), v)
      : tensor('float32', this.dimsOf(name), v);
  }

  names(): string[] {
    return [...this.values.keys()];
  }

  /** A deep copy of every entry (or of `names` only). */
  snapshot(names: readonly string[] = this.names()): WeightSnapshot {
    return new Map(names.map((n) => [n, this.get(n).slice()]));
  }

  /** Copies a snapshot's values into the live arrays (same lengths required). */
  restore(snapshot: ReadonlyMap<string, FloatArray>): void {
    for (const [name, data] of snapshot) {
      const live = this.get(name);
      if (live.length !== data.length) {
        throw new PrunefiError(
          'TRAIN',
          `cannot restore '${name}': the snapshot has ${data.length} values, the model ${live.length}`,
        );
      }
      live.set(data);
    }
  }

  /** A copy of `model` whose initializers hold this state's current values. */
  toModel(model: Model): Model {
    const out = cloneModel(model);
    for (const [name, t] of out.graph.initializers) {
      const v = this.values.get(name);
      if (v && (t.dtype === 'float32' || t.dtype === 'float64')) {
        out.graph.initializers.set(name, tensor(t.dtype, t.dims, v.slice() as typeof t.data & FloatArray));
      }
    }
    return out;
  }
}
