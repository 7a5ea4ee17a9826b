/**
 * Weight quantization of Conv/Gemm/MatMul layers into the QDQ form ONNX Runtime's quantizer
 * writes: an int8 initializer `<w>_quantized`, float32 scales `<w>_scale`, int8 zero points
 * `<w>_zero_point` (all 0) and a DequantizeLinear whose output replaces the float weight. Scales
 * are per output channel and symmetric, s = max|w|/127, q = round(w/s): with zero point 0 a zero
 * weight is exactly q = 0, so a pruned model keeps every zero it had.
 */
import { getInitializer, nameGenerator, weightLayers } from '../onnx/graph.js';
import { attrInt, type Graph, type Node, node } from '../onnx/ir.js';
import { numel, tensor, toFloat32 } from '../onnx/tensor.js';

/** Largest magnitude of a symmetric int8 weight: −128 is left out so the range is symmetric. */
const QMAX = 127;

/** One quantized weight: its float name and the integers now stored for it. */
export interface QuantizedLayer {
  weight: string;
  node: string;
  axis: number;
  channels: number;
}

/**
 * Per-channel symmetric int8 scales of `w` along `axis`. A channel that is all zero (a pruned
 * filter) takes the whole tensor's scale, max|w|/127: any scale decodes its zeros exactly, and
 * this one keeps a bit flip in it within the layer's own range, as a per-tensor quantizer would.
 */
export function channelScales(w: Float32Array, dims: readonly number[], axis: number): Float32Array {
  const d = dims[axis] ?? 1;
  const stride = numel(dims.slice(axis + 1));
  const max = new Float64Array(d);
  let all = 0;
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / stride) % d;
    const a = Math.abs(w[i] ?? 0);
    if (a > (max[c] ?? 0)) max[c] = a;
    if (a > all) all = a;
  }
  // A tensor that is entirely zero still needs a positive scale for DequantizeLinear; 1 decodes 0.
  const fallback = all > 0 ? all / QMAX : 1;
  return Float32Array.from(max, (m) => (m > 0 ? m / QMAX : fallback));
}

/**
 * Rewrites every Conv/Gemm/MatMul weight initializer of `graph` (in place) as int8 per output
 * channel (Conv: axis 0; Gemm: 0 with transB=1, else 1; MatMul: 1), each read through a
 * DequantizeLinear inserted before its layer. Biases stay float32 (ONNX Runtime adds them in
 * float after the QDQ pair). Returns the layers quantized.
 */
export function quantizeWeightsInt8(graph: Graph): QuantizedLayer[] {
  const fresh = nameGenerator(graph);
  const done = new Map<string, string>();
  const out: QuantizedLayer[] = [];
  const inserted: Node[] = [];
  for (const layer of weightLayers(graph)) {
    const prior = done.get(layer.weight);
    if (prior) {
      layer.node.inputs[1] = prior;
      continue;
    }
    const t = getInitializer(graph, layer.weight);
    if (t.dtype !== 'float32' || t.dims.length < 2) continue;
    const w = toFloat32(t);
    const axis = layer.outAxis;
    const scales = channelScales(w, t.dims, axis);
    const d = t.dims[axis] ?? 1;
    const stride = numel(t.dims.slice(axis + 1));
    const q = new Int8Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const s = scales[Math.floor(i / stride) % d] ?? 1;
      q[i] = Math.max(-QMAX, Math.min(QMAX, Math.round((w[i] ?? 0) / s)));
    }
    const qName = fresh(`${layer.weight}_quantized`);
    const sName = fresh(`${layer.weight}_scale`);
    const zName = fresh(`${layer.weight}_zero_point`);
    const dqOut = fresh(`${layer.weight}_dequantized`);
    graph.initializers.delete(layer.weight);
    graph.initializers.set(qName, tensor('int8', t.dims, q));
    graph.initializers.set(sName, tensor('float32', [d], scales));
    graph.initializers.set(zName, tensor('int8', [d], new Int8Array(d)));
    inserted.push(
      node('DequantizeLinear', [qName, sName, zName], [dqOut], { axis: attrInt(axis) }, `${layer.weight}_dq`),
    );
    layer.node.inputs[1] = dqOut;
    done.set(layer.weight, dqOut);
    out.push({ weight: layer.weight, node: layer.node.name, axis, channels: d });
  }
  // Weights are constants: their DequantizeLinear nodes go first, which keeps the order topological.
  graph.nodes.unshift(...inserted);
  return out;
}
