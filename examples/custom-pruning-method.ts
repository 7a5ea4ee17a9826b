/**
 * Register a custom pruning method and use it like a built-in one.
 *
 * Balanced sparsity (Yao et al. 2019): every output row of a weight (a filter of a Conv, a row
 * of a Gemm) loses the same fraction of its smallest weights, so sparse kernels split evenly
 * across parallel units. Once in `PRUNE_METHODS`, `pruneModel` runs it by name with the common
 * options (sparsity, skipFirst, layers, ...), writes the same provenance metadata and reports
 * per-layer sparsity; `prunefi methods` would list it in a CLI started from this process.
 *
 *   node dist/examples/custom-pruning-method.js
 */
import { resolveModel } from 'prunefi/models';
import { maskLowest, PRUNE_METHODS, type PruneMethod, pruneModel } from 'prunefi/prune';

const balanced: PruneMethod = {
  name: 'balanced',
  description: 'remove the same fraction of smallest-magnitude weights from every output row',
  reference: 'Yao et al. 2019, Balanced Sparsity for Efficient DNN Inference on GPU',
  granularity: 'unstructured',
  // Balanced per row by definition: a global threshold would unbalance the rows.
  defaultScope: 'layer',
  scopes: ['layer'],
  // The weights alone decide: no data, gradients or training.
  needsData: false,
  needsGradients: false,
  needsTraining: false,
  // Declared once: checked, defaulted and listed wherever the method is used (`prunefi prune --opt minKeep=2`).
  options: {
    minKeep: {
      type: 'int',
      default: 1,
      min: 0,
      description: 'weights every row keeps, whatever the sparsity',
    },
  },
  async run(ctx) {
    const minKeep = ctx.options.method.minKeep as number;
    const masks = new Map<string, Uint8Array>();
    for (const t of ctx.targets) {
      const w = ctx.model.graph.initializers.get(t.weight)!.data as Float32Array;
      const rows = t.dims[0]!;
      const perRow = w.length / rows;
      const mask = new Uint8Array(w.length);
      for (let r = 0; r < rows; r++) {
        const scores = w.subarray(r * perRow, (r + 1) * perRow).map(Math.abs);
        const [keep] = maskLowest([scores], Math.min(Math.round(t.sparsity * perRow), perRow - minKeep));
        mask.set(keep!, r * perRow);
      }
      masks.set(t.weight, mask);
    }
    return { masks, notes: [] };
  },
};

PRUNE_METHODS.add(balanced);
console.log(`pruning methods: ${PRUNE_METHODS.names().join(', ')}`);

const result = await pruneModel(resolveModel('zoo:lenet5'), 'balanced', { sparsity: 0.75 });
for (const layer of result.layers) {
  // Zeros per output row of this layer's weight: balanced means one count for every row.
  const w = result.model.graph.initializers.get(layer.weight)!.data as Float32Array;
  const rows = layer.shapeAfter[0]!;
  const perRow = w.length / rows;
  const zeros = new Set<number>();
  for (let r = 0; r < rows; r++)
    zeros.add(w.subarray(r * perRow, (r + 1) * perRow).filter((x) => x === 0).length);
  console.log(`${layer.name}: ${rows} rows of ${perRow}, zeros per row: ${[...zeros].join(', ')}`);
}
console.log(`sparsity ${(100 * result.sparsity).toFixed(1)}%, method recorded as '${result.method}'`);
