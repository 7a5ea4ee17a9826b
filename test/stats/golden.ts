/**
 * The golden values of test/fixtures/stats/golden.json (written by generate.py next to it, with
 * mpmath, scipy and numpy from Debian; the file names the versions).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/paths.js';

type Row = number[];
type Pair = [number, number];

export interface Golden {
  tools: Record<string, string>;
  special: {
    logGamma: Row[];
    logBeta: Row[];
    betaInc: Row[];
    betaIncInv: Row[];
    normalCdf: Row[];
    normalQuantile: Row[];
    studentTCdf: Row[];
    studentTQuantile: Row[];
    chiSquareSf: Row[];
    binomialCdf: Row[];
  };
  proportions: {
    k: number;
    n: number;
    confidence: number;
    wilson: Pair;
    agrestiCoull: Pair;
    clopperPearson: Pair;
  }[];
  leveugle: {
    sampleSize: {
      population: number | 'Infinity';
      margin: number;
      confidence: number;
      p: number;
      exact: number;
      experiments: number;
    }[];
    margin: {
      population: number | 'Infinity';
      experiments: number;
      confidence: number;
      p: number;
      margin: number;
    }[];
  };
  samples: Record<'accuracies' | 'skewed' | 'paired_a' | 'hard_sum', number[]>;
  means: ({
    name: 'accuracies' | 'skewed' | 'hard_sum';
    mean: number;
    variance: number;
    sd: number;
    quantiles: Pair[];
  } & Record<string, unknown>)[];
  bootstrap: ({
    name: 'accuracies' | 'skewed';
    replicates: number[];
    acceleration: number;
    'scipyBca0.95': { mean: Pair; mcSd: Pair; resamples: number; runs: number };
  } & Record<string, unknown>)[];
  comparisons: {
    mcnemar: { b: number; c: number; exact: number; chi2: number; chi2P: number }[];
    welch: { x: string; y: string; statistic: number; pValue: number; df: number; ci95: Pair }[];
    twoProportion: {
      k1: number;
      n1: number;
      k2: number;
      n2: number;
      statistic: number;
      pValue: number;
      newcombe95: Pair;
    }[];
    holm: { p: number[]; adjusted: number[] }[];
  };
  curves: {
    name: string;
    x: number[];
    y: number[];
    auc: number;
    aucNormalized: number;
    threshold: ['none' | 'below' | 'above', number | null];
  }[];
}

export const golden: Golden = JSON.parse(
  readFileSync(join(REPO, 'test', 'fixtures', 'stats', 'golden.json'), 'utf8'),
) as Golden;

/** JSON has no Infinity: the generator writes the string 'Infinity'. */
export function num(v: number | 'Infinity'): number {
  return v === 'Infinity' ? Number.POSITIVE_INFINITY : v;
}
