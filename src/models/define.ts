/**
 * The contract of a zoo entry and the scaffolding every architecture shares: option checks, the
 * `input` [batch, C, H, W] → `logits` [batch, classes] interface, seeded initialization and
 * provenance metadata. An architecture only writes its layers.
 */
import type { RegistryEntry } from '../core/registry.js';
import { Rng } from '../core/rng.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { Model } from '../onnx/ir.js';
import { inferShapes } from '../onnx/shape/index.js';
import { TorchEmitter } from './layers.js';

/** Options every zoo builder takes. */
export interface BuildOptions {
  /** Seed of the weight initialization (default 0): same seed, bit-identical weights. */
  seed?: number;
  /** Number of output classes (default: the entry's `numClasses`). */
  numClasses?: number;
  /** Input [C, H, W] (default: the entry's `inputShape`); layer widths that depend on it follow. */
  inputShape?: readonly number[];
}

/** A built-in architecture. */
export interface ZooEntry extends RegistryEntry {
  /** Default input [C, H, W] without the batch dim. */
  readonly inputShape: readonly [number, number, number];
  /** Default number of classes. */
  readonly numClasses: number;
  /**
   * The dataset the default input shape is meant for ('mnist', 'cifar10'); also the name of its
   * normalization preset (src/data `normalizations`), with which the PyTorch originals were trained.
   */
  readonly dataset: string;
  /** Builds a freshly initialized model. */
  build(options?: BuildOptions): Model;
}

/** What an architecture's body gets: the emitter, the input value and the resolved options. */
export interface ArchitectureContext {
  t: TorchEmitter;
  input: string;
  inputShape: readonly [number, number, number];
  numClasses: number;
  /** Features per image of value `x` (product of its non-batch dims), for sizing a Linear. */
  featuresOf(x: string): number;
}

/** Static description of an architecture plus its body, which returns the name of the logits. */
export interface ArchitectureSpec extends Omit<ZooEntry, 'build'> {
  /** Default-domain opset of the built model (default 13, the shared PyTorch exports' opset). */
  opset?: number;
  body(ctx: ArchitectureContext): string;
}

function checkPositiveInt(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  }
}

/** The `prunefi.source` metadata value of a zoo model: the spec that rebuilds it. */
export function zooSpec(
  name: string,
  seed: number,
  numClasses: number,
  inputShape: readonly number[],
): string {
  return `zoo:${name}?seed=${seed}&classes=${numClasses}&input=${inputShape.join('x')}`;
}

/**
 * Turns an architecture description into a zoo entry. The returned builder checks options
 * (RangeError for bad values), runs the body, declares the graph output and then verifies with
 * shape inference that no layer's output has collapsed to zero size for the chosen input shape.
 */
export function defineArchitecture(spec: ArchitectureSpec): ZooEntry {
  const { body, opset, ...meta } = spec;
  return {
    ...meta,
    build(options: BuildOptions = {}): Model {
      const seed = options.seed ?? 0;
      if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
      const numClasses = options.numClasses ?? spec.numClasses;
      checkPositiveInt(numClasses, 'numClasses');
      const shape = options.inputShape ?? spec.inputShape;
      if (shape.length !== 3) {
        throw new RangeError(`inputShape must be [C, H, W], got [${shape.join(', ')}]`);
      }
      for (const d of shape) checkPositiveInt(d, 'every inputShape dim');
      const inputShape = [shape[0]!, shape[1]!, shape[2]!] as const;

      const b = new GraphBuilder(spec.name);
      const input = b.input('input', 'float32', ['batch', ...inputShape]);
      const t = new TorchEmitter(b, Rng.seeded(seed).split('init', spec.name));
      // Shapes of everything built so far, refusing any value that collapsed to zero size.
      const checkedShapes = (): Map<string, number[]> => {
        const { shapes } = inferShapes(b.graph, { inputShapes: { input: [1, ...inputShape] } });
        for (const [value, dims] of shapes) {
          if (dims.some((d) => d < 1)) {
            throw new RangeError(
              `inputShape [${inputShape.join(', ')}] is too small for ${spec.name}: '${value}' would have shape [${dims.join(', ')}]; use larger images (the architecture is designed for ${spec.inputShape.slice(1).join('x')})`,
            );
          }
        }
        return shapes;
      };
      const featuresOf = (x: string): number => {
        const s = checkedShapes().get(x);
        if (!s) throw new Error(`${spec.name}: no shape for '${x}'`);
        return s.slice(1).reduce((a, d) => a * d, 1);
      };
      const logits = body({ t, input, inputShape, numClasses, featuresOf });
      b.output(logits, 'float32', ['batch', numClasses]);
      checkedShapes();
      return b.build({
        docString: `${spec.description}. ${spec.reference}`,
        ...(opset === undefined ? {} : { opset }),
        metadata: { 'prunefi.source': zooSpec(spec.name, seed, numClasses, inputShape) },
      });
    },
  };
}
