/**
 * The memory of a weight that a quantized model stores as integers (QDQ or QOperator, see
 * `onnx/quant.ts`): its value words are the model's own integers (int8, uint8, packed int4, ...),
 * its scale words the model's float32 scales and its zero-point words the model's zero points,
 * so a fault hits exactly the bits the deployed model holds. Faulty words go back into the
 * initializers the graph reads (the DequantizeLinear's inputs), so ONNX Runtime decodes them as
 * the deployed model would.
 */
import { PrunefiError } from '../core/errors.js';
import { getInitializer } from '../onnx/graph.js';
import type { Graph } from '../onnx/ir.js';
import { type QuantizedWeight, scaleIndexer } from '../onnx/quant.js';
import { type DataTypeMap, type DType, type Tensor, zeros } from '../onnx/tensor.js';
import { bitsFloat, floatBits, INTEGER_FORMATS, type IntegerFormat } from './number-formats.js';
import type { RegionName } from './storage-formats.js';

/** A quantized weight's graph initializers and how their words read. */
export interface QuantizedSource {
  weight: QuantizedWeight;
  /** The format of the value words (the integer initializer's type). */
  values: IntegerFormat;
  /** The format of the zero-point words, when the model stores zero points. */
  zeroPoints?: IntegerFormat;
  /** The scale (and zero point) of every element. */
  scaleOf: (i: number) => number;
  /** Element type and dims of each of its initializers, by name. */
  layout: ReadonlyMap<string, { dtype: DType; dims: readonly number[] }>;
}

/** A quantized weight's words, ready to lay out: values, and the scales and zero points that decode them. */
export interface QuantizedWords {
  /** Where the words come from and how they read. */
  source: QuantizedSource;
  /** One value word per element (the integer's low bits). */
  words: Uint32Array;
  /** The float32 scales' bit patterns, when the model stores scales. */
  scales?: Uint32Array;
  /** The zero points' words, when the model stores zero points. */
  zeroPoints?: Uint32Array;
}

function formatOf(graph: Graph, name: string): IntegerFormat {
  const t = getInitializer(graph, name);
  if (!INTEGER_FORMATS.has(t.dtype)) {
    throw new PrunefiError(
      'ONNX_UNSUPPORTED',
      `quantized initializer '${name}' is ${t.dtype}; prunefi stores ${INTEGER_FORMATS.names().join(', ')} words`,
    );
  }
  return INTEGER_FORMATS.get(t.dtype);
}

/** The words of a quantized weight, read from the graph's initializers. */
export function quantizedWords(graph: Graph, q: QuantizedWeight): QuantizedWords {
  const values = formatOf(graph, q.values);
  const layout = new Map(
    [q.values, q.scale, q.zeroPoint]
      .filter((n): n is string => !!n)
      .map((n) => {
        const t = getInitializer(graph, n);
        return [n, { dtype: t.dtype, dims: [...t.dims] }] as const;
      }),
  );
  const source: QuantizedSource = { weight: q, values, scaleOf: scaleIndexer(graph, q), layout };
  const data = getInitializer(graph, q.values).data as ArrayLike<number>;
  const out: QuantizedWords = { source, words: Uint32Array.from(data, values.toWord) };
  if (q.scale) {
    const s = getInitializer(graph, q.scale);
    if (s.dtype !== 'float32') {
      throw new PrunefiError(
        'ONNX_UNSUPPORTED',
        `scales '${q.scale}' of quantized weight '${q.values}' are ${s.dtype}; prunefi injects into float32 scales (convert them to float32)`,
      );
    }
    out.scales = Uint32Array.from(s.data as Float32Array, floatBits);
  }
  if (q.zeroPoint) {
    const zf = formatOf(graph, q.zeroPoint);
    source.zeroPoints = zf;
    out.zeroPoints = Uint32Array.from(
      getInitializer(graph, q.zeroPoint).data as ArrayLike<number>,
      zf.toWord,
    );
  }
  return out;
}

/** The initializer a region of a quantized weight lives in. */
export function initializerOf(source: QuantizedSource, region: RegionName): string {
  const w = source.weight;
  const name =
    region === 'values'
      ? w.values
      : region === 'scales'
        ? w.scale
        : region === 'zero-points'
          ? w.zeroPoint
          : undefined;
  if (!name) throw new Error(`quantized weight '${w.values}' has no '${region}' region in its graph`);
  return name;
}

/** A word of a region as its initializer holds it (an integer, or a float32 scale). */
export function graphValue(source: QuantizedSource, region: RegionName, word: number): number {
  if (region === 'scales') return bitsFloat(word);
  return ((region === 'zero-points' && source.zeroPoints) || source.values).toInt(word);
}

/** The graph initializers of a quantized weight holding `regions`' words. */
export function quantizedInitializers(
  source: QuantizedSource,
  regions: readonly { name: RegionName; words: Uint32Array }[],
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const r of regions) {
    const name = initializerOf(source, r.name);
    const like = source.layout.get(name);
    if (!like) throw new Error(`quantized weight '${source.weight.values}' has no initializer '${name}'`);
    const t = zeros(like.dtype, like.dims);
    const data = t.data as DataTypeMap['int32'];
    r.words.forEach((w, i) => {
      data[i] = graphValue(source, r.name, w);
    });
    out.set(name, t);
  }
  return out;
}
