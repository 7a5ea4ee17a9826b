/**
 * Which images a fault in one layer can change. A weight multiplied only by zeros (a pruned
 * channel, a ReLU-dead input) cannot change an image's output, so for faults in one Conv/Gemm/
 * MatMul layer only the images whose golden input to the layer is non-zero somewhere a changed
 * weight reads need to run; the others are golden by construction.
 */
import type { StoredLayer, StoredModel, TensorChange } from '../fault/memory.js';
import type { Graph } from '../onnx/ir.js';
import { numel } from '../onnx/tensor.js';
import { rowDims } from './cut-cache.js';
import type { GoldenCache } from './golden.js';
import { computeNode, deltaGeometry, traceable } from './layer-geometry.js';
import { allRows } from './samples.js';

/**
 * The images (in order) a change in one layer can reach: those whose golden input to the layer
 * is non-zero at some position a changed weight multiplies. A bias change, a change the geometry
 * cannot trace (see `traceable`), or a layer or input layout it does not cover reaches every image.
 */
export function affectedImages(
  graph: Graph,
  memory: StoredModel,
  cache: GoldenCache,
  layer: StoredLayer,
  changes: readonly TensorChange[],
): Int32Array {
  const node = computeNode(graph, layer, changes);
  if (!node) return allRows(cache.images);
  const golden = cache.value(node.inputs[0]!);
  const dims = golden ? rowDims(golden) : null;
  if (!golden || !dims) return allRows(cache.images);
  if (changes.some((c) => c.tensor.role === 'bias') || !traceable(changes)) return allRows(cache.images);
  const geo = deltaGeometry(node, dims, memory.tensor(node.inputs[1]!).dims);
  if (!geo) return allRows(cache.images);
  // The inputs a weight reads are the input side of its delta terms.
  const reads: Int32Array[] = [];
  for (const c of changes) {
    for (const p of c.positions) {
      const xs: number[] = [];
      geo.weightTerms(p, (_at, xi) => xs.push(xi));
      reads.push(Int32Array.from(xs));
    }
  }
  const data = golden.data;
  const size = numel(dims);
  const rows: number[] = [];
  for (let n = 0; n < cache.images; n++) {
    const base = n * size;
    outer: for (const r of reads) {
      for (let i = 0; i < r.length; i++) {
        if (data[base + r[i]!] !== 0) {
          rows.push(n);
          break outer;
        }
      }
    }
  }
  return Int32Array.from(rows);
}
