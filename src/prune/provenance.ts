/**
 * Provenance of a pruned model, stored in its metadata_props so any later stage (a fault
 * campaign, a report) can say exactly what it ran on.
 *
 * Keys (all strings):
 * - `prunefi.prune.method`, `prunefi.prune.options` (JSON of the resolved options),
 *   `prunefi.prune.seed`, `prunefi.prune.removed` ('true' when channels were cut out);
 * - `prunefi.prune.sparsity`: achieved fraction of zero weights over the pruned layers' weights
 *   of the parent (weights physically removed count as zeros); `prunefi.prune.params` and
 *   `prunefi.prune.parent_params`: parameter counts as `prunefi info` gives them;
 * - `prunefi.parent.weights_sha256`: sha256 over the parent's initializers (see
 *   `weightsSha256`): it identifies the weights whatever the file's encoding or metadata;
 * - `prunefi.parent.file_sha256`: sha256 of the parent file's bytes, when it was read from a
 *   file (`sha256sum parent.onnx` prints the same digest).
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mustGet } from '../core/checked.js';
import type { Graph } from '../onnx/ir.js';
import { tensorBytes } from '../onnx/tensor.js';

/** Prefix of every metadata key this stage writes. */
export const PRUNE_META = 'prunefi.prune.';

/** The sha256 hex digest of a file's bytes. */
export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * A sha256 over a graph's initializers, in name order: for each, the UTF-8 name, a NUL, the dtype
 * name, a NUL, the dims joined by ',', a NUL, the length of the raw bytes as decimal, a NUL, then
 * the little-endian raw bytes. It changes when any weight does and nothing else.
 */
export function weightsSha256(graph: Graph): string {
  const h = createHash('sha256');
  for (const name of [...graph.initializers.keys()].sort()) {
    const t = mustGet(graph.initializers, name);
    const bytes = tensorBytes(t);
    h.update(`${name}\0${t.dtype}\0${t.dims.join(',')}\0${bytes.byteLength}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}
