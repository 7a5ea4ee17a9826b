/**
 * Index arithmetic for constant folding of small tensors: rules compute an output element by
 * element from the flat positions of their inputs, so broadcasting, gathers, slices and
 * transposes all reduce to "which input element feeds output element i".
 */
import { nth } from '../../core/checked.js';
import { numel } from '../tensor.js';
import { FOLD_LIMIT } from './rule.js';

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = nth(s, i + 1) * nth(shape, i + 1);
  return s;
}

/** The multi-index of flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = nth(shape, i);
    idx[i] = d === 0 ? 0 : flat % d;
    flat = d === 0 ? 0 : Math.floor(flat / d);
  }
  return idx;
}

/** Whether an output of `shape` is small enough to fold. */
export function foldable(shape: readonly number[]): boolean {
  return numel(shape) <= FOLD_LIMIT;
}

/** For every element of `out`, the flat position of the element of `input` broadcast onto it. */
export function broadcastMap(out: readonly number[], input: readonly number[]): number[] {
  const st = strides(input);
  const off = out.length - input.length;
  const n = numel(out);
  const map = new Array<number>(n);
  for (let f = 0; f < n; f++) {
    const idx = unravel(f, out);
    let p = 0;
    for (let i = 0; i < input.length; i++) if (input[i] !== 1) p += idx[i + off]! * st[i]!;
    map[f] = p;
  }
  return map;
}

/** Element-wise combination of broadcast inputs (undefined unless every input is folded). */
export function foldBroadcast(
  out: readonly number[],
  inputs: readonly { shape: number[]; value: number[] | undefined }[],
  f: (xs: number[]) => number,
): number[] | undefined {
  if (!foldable(out) || inputs.some((x) => x.value === undefined)) return undefined;
  const maps = inputs.map((x) => broadcastMap(out, x.shape));
  return Array.from({ length: numel(out) }, (_, i) => f(inputs.map((x, k) => x.value![maps[k]![i]!]!)));
}

/** Elements of `value` (of `shape`) picked by a per-output-index function of the multi-index. */
export function foldByIndex(
  out: readonly number[],
  inShape: readonly number[],
  value: readonly number[] | undefined,
  source: (outIdx: number[]) => number[],
): number[] | undefined {
  if (!value || !foldable(out)) return undefined;
  const st = strides(inShape);
  return Array.from({ length: numel(out) }, (_, f) => {
    const src = source(unravel(f, out));
    let p = 0;
    for (let i = 0; i < src.length; i++) p += src[i]! * st[i]!;
    return nth(value, p);
  });
}
