/**
 * Checked reads for what `noUncheckedIndexedAccess` types as possibly missing but the code knows
 * is there (a dimension of a tensor of known rank, the node a name was just indexed under). A
 * non-null assertion (`x!`) would let a broken invariant flow on as `undefined`, to fail later as a
 * NaN or a confusing TypeError; these fail at the read, naming what was missing. They are for
 * graph-sized data, not per-element kernels over tensors (a call per element costs there).
 */

/**
 * A checked read that found nothing. Its message says 'internal' because in most places that is a
 * bug; where the list comes from a file (a node's inputs, a tensor's dims), the reader catches it
 * and reports the file's fault (shape inference names the node), from `detail`.
 */
export class MissingEntryError extends Error {
  constructor(readonly detail: string) {
    super(`internal: ${detail}`);
    this.name = 'MissingEntryError';
  }
}

/**
 * Element `index` of `items` (negative counts from the end, as `Array.prototype.at`); an internal
 * error names the index and the length when there is none.
 */
export function nth<T>(items: ArrayLike<T>, index: number): T {
  const i = index < 0 ? items.length + index : index;
  const v = items[i];
  if (v === undefined) throw new MissingEntryError(`no element ${index} in a list of ${items.length}`);
  return v;
}

/** The value `map` holds for `key`; an internal error names the key when it holds none. */
export function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const v = map.get(key);
  if (v === undefined)
    throw new MissingEntryError(`no entry for ${typeof key === 'string' ? `'${key}'` : String(key)}`);
  return v;
}
