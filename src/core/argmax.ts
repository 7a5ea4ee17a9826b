/**
 * Top-1 class of each row of a logits matrix, with PyTorch's NaN semantics (torch.argmax treats
 * NaN as the maximum, so the first NaN wins): a fault that produces NaN logits must count as a
 * changed prediction exactly as it does in PyTorch-based tools.
 */
export function argmaxRows(
  logits: ArrayLike<number>,
  classes: number,
  out = new Int32Array(logits.length / classes),
): Int32Array {
  for (let r = 0; r < out.length; r++) {
    const o = r * classes;
    let best = 0;
    let bv = logits[o]!;
    if (!Number.isNaN(bv)) {
      for (let c = 1; c < classes; c++) {
        const v = logits[o + c]!;
        if (Number.isNaN(v)) {
          best = c;
          break;
        }
        if (v > bv) {
          bv = v;
          best = c;
        }
      }
    }
    out[r] = best;
  }
  return out;
}
