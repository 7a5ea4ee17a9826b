/** The shape every confidence interval in prunefi has, so the report can draw any of them. */
export interface Interval {
  /** The point estimate (a proportion, a mean, a difference...). */
  estimate: number;
  lower: number;
  upper: number;
  /** The nominal coverage, e.g. 0.95. */
  confidence: number;
  /** How it was computed: 'wilson', 'clopper-pearson', 't', 'bca', ... */
  method: string;
}

/** Half the width of an interval: the ± a reader sees (asymmetric intervals included). */
export function halfWidth(iv: Interval): number {
  return 0.5 * (iv.upper - iv.lower);
}
