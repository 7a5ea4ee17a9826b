/**
 * Sliding-window geometry (Conv, ConvTranspose and pools): kernel, strides, resolved padding
 * (explicit or auto_pad) and output size per spatial axis. Training's Conv lowering and the fault
 * engine's patch extraction use it too, so it takes a node rather than a shape context.
 */
import { nth } from '../../core/checked.js';
import { getInt, getInts, type Node } from '../ir.js';

/** Output size of a sliding window (conv or pool) along one axis. */
export function windowOut(
  input: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation: number,
  ceil = false,
): number {
  const span = dilation * (kernel - 1) + 1;
  const v = (input + padBegin + padEnd - span) / stride;
  if (!ceil) return Math.floor(v) + 1;
  // In ceil mode a last window that would start inside the end padding is dropped (ONNX Runtime
  // and PyTorch agree on this).
  const out = Math.ceil(v) + 1;
  return (out - 1) * stride >= input + padBegin ? out - 1 : out;
}

function spatialPads(
  n: Node,
  x: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): number[] {
  const r = kernel.length;
  const autoPad = n.attributes.auto_pad?.type === 'string' ? n.attributes.auto_pad.value : 'NOTSET';
  if (autoPad === 'NOTSET' || autoPad === 'VALID')
    return autoPad === 'VALID' ? new Array(2 * r).fill(0) : getInts(n, 'pads', new Array(2 * r).fill(0));
  const pads = new Array(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const inp = nth(x, 2 + i);
    const out = Math.ceil(inp / nth(strides, i));
    const total = Math.max(
      0,
      (out - 1) * nth(strides, i) + nth(dilations, i) * (nth(kernel, i) - 1) + 1 - inp,
    );
    const small = Math.floor(total / 2);
    pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
    pads[i + r] = total - pads[i];
  }
  return pads;
}

/** Resolved convolution/pool geometry of a node on an input shape. */
export interface WindowGeometry {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
  outSpatial: number[];
}

/** The window geometry of a Conv/MaxPool/AveragePool node on input shape `x` (NC + spatial). */
export function windowGeometry(n: Node, x: number[], kernel: number[]): WindowGeometry {
  const r = kernel.length;
  const strides = getInts(n, 'strides', new Array(r).fill(1));
  const dilations = getInts(n, 'dilations', new Array(r).fill(1));
  const pads = spatialPads(n, x, kernel, strides, dilations);
  const ceil = getInt(n, 'ceil_mode', 0) === 1;
  const outSpatial = kernel.map((k, i) =>
    windowOut(nth(x, 2 + i), k, nth(strides, i), nth(pads, i), nth(pads, i + r), nth(dilations, i), ceil),
  );
  return { kernel, strides, pads, dilations, outSpatial };
}
