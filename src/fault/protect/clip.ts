/**
 * Weight clipping: a decoded weight outside its tensor's fault-free [min, max] (the range of that
 * layer's weights, or of its biases) is clamped to the range, or zeroed. A NaN has no side to be
 * clamped to and becomes 0 in both modes.
 */
import type { Protection } from './types.js';

/** The clip protection. */
export const CLIP: Protection = {
  name: 'clip',
  description: "a decoded weight outside its tensor's fault-free [min, max] is clamped (or zeroed)",
  reference:
    'Hoang, Hanif, Shafique 2020, FT-ClipAct: Resilience Analysis of Deep Neural Networks and Improving their Fault Tolerance using Clipped Activation',
  stage: 'values',
  options: {
    mode: {
      type: 'choice',
      choices: ['clamp', 'zero'],
      default: 'clamp',
      description: "what an out-of-range weight becomes: the nearest bound ('clamp') or 0 ('zero')",
    },
  },
  guard(spec, golden) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of golden) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const zero = spec.mode === 'zero';
    return {
      apply(v) {
        if (v >= min && v <= max) return v;
        if (zero || Number.isNaN(v)) return 0;
        return v < min ? min : max;
      },
    };
  },
};
