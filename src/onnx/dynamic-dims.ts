/**
 * Concrete values for the symbolic non-batch dims of a model's inputs (a transformer's sequence
 * length), so that `prunefi info` can give shapes and MACs without being told the length. The
 * value is stated, never hidden: callers print which dims were set and to what.
 */
import type { Graph } from './ir.js';
import { inferShapes } from './shape/index.js';

/**
 * The sequence length tried first: 128 is the length BERT-style encoders are usually fine-tuned
 * and benchmarked at (and the example in `--input-shape`'s help).
 */
export const DEFAULT_SEQUENCE = 128;

/** One symbolic dim of a graph input and the value it was given. */
export interface AssumedDim {
  input: string;
  axis: number;
  /** The dim's symbolic name ('' when the exporter left it unnamed). */
  symbol: string;
  value: number;
}

/** Input shapes with every symbolic dim made concrete, and the dims that were assumed. */
export interface ResolvedInputs {
  inputShapes: Record<string, number[]>;
  assumed: AssumedDim[];
}

/**
 * Gives every symbolic dim past axis 0 of the inputs not in `given` one length, shared by dims of
 * the same name (input_ids and attention_mask both say 'sequence'): DEFAULT_SEQUENCE, or the
 * longest power of two below it for which shape inference goes through the whole graph. A model
 * whose position table is shorter than 128 (the BERT fixture's holds 64) cannot add it to a
 * longer sequence, so its own limit is what it gets. When no length resolves the graph (an op
 * without a shape rule), DEFAULT_SEQUENCE is kept and inference reports why it stopped.
 */
export function resolveDynamicDims(
  graph: Graph,
  given: Readonly<Record<string, readonly number[]>> = {},
  batch = 1,
): ResolvedInputs {
  const open: { input: string; axis: number; symbol: string }[] = [];
  const declared = new Map<string, readonly (number | string | null)[]>();
  // A symbol an input given by the user binds (--input-shape input_ids=1x20) holds for every
  // input that declares it (attention_mask), so they do not disagree.
  const bound = new Map<string, number>();
  for (const v of graph.inputs) {
    const dims = given[v.name];
    v.shape?.forEach((d, axis) => {
      const size = dims?.[axis];
      if (typeof d === 'string' && d && size !== undefined) bound.set(d, size);
    });
  }
  for (const v of graph.inputs) {
    if (graph.initializers.has(v.name) || given[v.name] || !v.shape) continue;
    declared.set(v.name, v.shape);
    v.shape.forEach((d, axis) => {
      if (axis > 0 && !(typeof d === 'number' && d > 0) && !(typeof d === 'string' && bound.has(d)))
        open.push({ input: v.name, axis, symbol: typeof d === 'string' ? d : '' });
    });
  }
  const base: Record<string, number[]> = Object.fromEntries(
    Object.entries(given).map(([k, v]) => [k, [...v]]),
  );
  const attempt = (length: number): Record<string, number[]> => {
    const shapes = { ...base };
    for (const [name, dims] of declared) {
      shapes[name] = dims.map((d, axis) =>
        typeof d === 'number' && d > 0
          ? d
          : axis === 0
            ? batch
            : ((typeof d === 'string' ? bound.get(d) : undefined) ?? length),
      );
    }
    return shapes;
  };
  if (open.length === 0)
    return { inputShapes: bound.size > 0 ? attempt(DEFAULT_SEQUENCE) : base, assumed: [] };
  let chosen = DEFAULT_SEQUENCE;
  for (let length = DEFAULT_SEQUENCE; length >= 1; length = Math.floor(length / 2)) {
    const { unresolved } = inferShapes(graph, { inputShapes: attempt(length), batch, partial: true });
    if (!unresolved) {
      chosen = length;
      break;
    }
  }
  return { inputShapes: attempt(chosen), assumed: open.map((o) => ({ ...o, value: chosen })) };
}

/**
 * The one line that says which dims were assumed, e.g. "symbolic dim 'sequence' of input_ids,
 * attention_mask set to 64 (the longest of 128, 64, 32, … the graph accepts); give
 * --input-shape input_ids=1xN for another length".
 */
export function describeAssumedDims(
  assumed: readonly AssumedDim[],
  shapes: Record<string, number[]>,
): string {
  const symbols = [...new Set(assumed.map((a) => a.symbol))].map((s) => (s ? `'${s}'` : '(unnamed)'));
  const inputs = [...new Set(assumed.map((a) => a.input))];
  const value = assumed[0]?.value ?? DEFAULT_SEQUENCE;
  const first = inputs[0] ?? '';
  const example = (shapes[first] ?? []).map((d, i) =>
    assumed.some((a) => a.input === first && a.axis === i) ? 'N' : d,
  );
  return (
    `symbolic dim${symbols.length > 1 ? 's' : ''} ${symbols.join(', ')} of ${inputs.join(', ')} set to ${value} ` +
    `(the longest of ${DEFAULT_SEQUENCE}, ${DEFAULT_SEQUENCE / 2}, ${DEFAULT_SEQUENCE / 4}, … the graph accepts); ` +
    `give --input-shape ${first}=${example.join('x')} for another length`
  );
}
