/**
 * Campaign statistics from stored experiments: per-stratum (bit, rate), per-layer and overall
 * SDC rates with Wilson intervals, mean accuracy with t intervals, and CSV/JSON export.
 */
import { boundedMeanInterval } from '../stats/bounded-mean.js';
import type { Interval } from '../stats/interval.js';
import { wilsonInterval } from '../stats/proportion.js';
import type { RateCount } from '../stats/sequential.js';
import type { ExperimentRecord } from './store.js';

/** One row of a breakdown. */
export interface GroupSummary {
  group: string;
  experiments: number;
  /** Experiments with at least one SDC image, and their rate with its interval. */
  sdcExperiments: number;
  sdcRate: Interval;
  /** Experiments with at least one critical SDC (golden-correct image turned wrong). */
  criticalExperiments: number;
  criticalRate: Interval;
  /** Mean fraction of images (sequences) that are SDCs. */
  meanSdcImageRate: number;
  /** Mean fraction of scored positions whose top-1 changed (= meanSdcImageRate for a classifier). */
  meanTokenSdcRate: number;
  meanAccuracy: Interval | null;
  /** Experiments with NaN/Inf logits. */
  nonFiniteExperiments: number;
  /** Experiments recorded without inference (faults changed nothing). */
  noEffect: number;
  /** Experiments in which a protection corrected at least one code word. */
  correctedExperiments: number;
  /** Experiments with at least one detected uncorrectable error (DUE), and their rate. */
  dueExperiments: number;
  dueRate: Interval;
}

function sortKey(g: string): [string, number] {
  const m = /^(.*?)=(-?[\d.e+-]+)$/.exec(g);
  return m ? [m[1]!, Number(m[2])] : [g, 0];
}

/** Experiments by `key`, each group in record order. */
export function groupBy<K>(
  records: readonly ExperimentRecord[],
  key: (r: ExperimentRecord) => K,
): Map<K, ExperimentRecord[]> {
  const groups = new Map<K, ExperimentRecord[]>();
  for (const r of records) {
    const k = key(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  return groups;
}

/** Groups experiments by `key` and summarizes each group (and 'all'). */
export function summarizeCampaign(
  records: readonly ExperimentRecord[],
  key: (r: ExperimentRecord) => string = (r) => r.stratum,
  confidence = 0.95,
): GroupSummary[] {
  const groups = groupBy(records, key);
  const names = [...groups.keys()].sort((a, b) => {
    const [pa, na] = sortKey(a);
    const [pb, nb] = sortKey(b);
    return pa < pb ? -1 : pa > pb ? 1 : na - nb;
  });
  const out = names.map((g) => group(g, groups.get(g)!, confidence));
  if (names.length > 1) out.push(group('all', [...records], confidence));
  return out;
}

function group(name: string, rs: ExperimentRecord[], confidence: number): GroupSummary {
  const n = rs.length;
  const sdc = rs.filter((r) => r.sdc > 0).length;
  const critical = rs.filter((r) => r.criticalSdc > 0).length;
  const due = rs.filter((r) => r.detected > 0).length;
  return {
    group: name,
    experiments: n,
    sdcExperiments: sdc,
    sdcRate: wilsonInterval(sdc, n, confidence),
    criticalExperiments: critical,
    criticalRate: wilsonInterval(critical, n, confidence),
    meanSdcImageRate: rs.reduce((s, r) => s + r.sdc / r.images, 0) / n,
    meanTokenSdcRate: rs.reduce((s, r) => s + (r.tokens ? r.tokenSdc / r.tokens : 0), 0) / n,
    meanAccuracy:
      n >= 2
        ? boundedMeanInterval(
            rs.map((r) => r.accuracy),
            confidence,
          )
        : null,
    nonFiniteExperiments: rs.filter((r) => r.nanImages + r.infImages > 0).length,
    noEffect: rs.filter((r) => r.effect !== 'run').length,
    correctedExperiments: rs.filter((r) => r.corrected > 0).length,
    dueExperiments: due,
    dueRate: wilsonInterval(due, n, confidence),
  };
}

/** SDC-experiment counts per stratum (strata of the plan, or those seen), for sequential stopping. */
export function rateCounts(records: readonly ExperimentRecord[], strata: readonly string[]): RateCount[] {
  const names = strata.length ? strata : [...new Set(records.map((r) => r.stratum))];
  return names.map((s) => {
    const rs = records.filter((r) => r.stratum === s);
    return { k: rs.filter((r) => r.sdc > 0).length, n: rs.length };
  });
}

const CSV_FIELDS = [
  'index',
  'stratum',
  'layer',
  'bit',
  'faultCount',
  'effect',
  'images',
  'correct',
  'accuracy',
  'sdc',
  'criticalSdc',
  'tokens',
  'tokenCorrect',
  'tokenSdc',
  'nanImages',
  'infImages',
  'maxLogitDeviation',
  'wordsChanged',
  'weightsChanged',
  'corrected',
  'detected',
  'imagesRun',
  'seconds',
  'faults',
] as const;

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Experiments as CSV (one row each; faults as JSON in the last column). */
export function recordsCsv(records: readonly ExperimentRecord[]): string {
  const lines = [CSV_FIELDS.join(',')];
  for (const r of records) lines.push(CSV_FIELDS.map((f) => csvCell(r[f])).join(','));
  return `${lines.join('\n')}\n`;
}

/** A JSON-safe copy of a record (Infinity becomes the string "Infinity"). */
export function recordJson(r: ExperimentRecord): Record<string, unknown> {
  return { ...r, maxLogitDeviation: Number.isFinite(r.maxLogitDeviation) ? r.maxLogitDeviation : 'Infinity' };
}
