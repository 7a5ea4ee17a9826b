/**
 * The campaign execution engine: runs the planned experiments that the store does not hold yet,
 * grouped by cut point so each suffix session is reused while it is warm, stores each outcome the
 * moment it exists, reports progress (experiments, rate, ETA), stops cleanly on an abort signal,
 * and optionally stops early once every stratum's SDC-rate interval is narrow enough.
 */
import type { ProgressCallback } from '../core/progress.js';
import { sequentialStop } from '../stats/sequential.js';
import type { Evaluator } from './evaluator.js';
import type { Plan } from './plan.js';
import type { CampaignStore, ExperimentRecord } from './store.js';
import { rateCounts } from './summary.js';

/**
 * The fault-free figures as stored in a campaign's `golden` meta: one key order, so every path
 * that writes a store (in process or through a queue) writes the same text.
 */
export function goldenMetaJson(g: {
  images: number;
  correct: number;
  accuracy: number;
  tokens: number;
  tokenCorrect: number;
}): string {
  return JSON.stringify({
    images: g.images,
    correct: g.correct,
    accuracy: g.accuracy,
    tokens: g.tokens,
    tokenCorrect: g.tokenCorrect,
  });
}

/**
 * A campaign's `memory` meta: the stored bits, and how many of them are protections' check bits,
 * written by every path that runs a campaign (in process or through a queue).
 */
export function memoryMetaJson(memory: { bits: number; checkBits: number }): string {
  return JSON.stringify({ bits: memory.bits, checkBits: memory.checkBits });
}

/** Sequential stopping: look every `every` experiments, stop when all SDC-rate half-widths ≤ halfWidth. */
export interface StoppingSpec {
  halfWidth: number;
  every: number;
  confidence?: number;
}

/**
 * The look of sequential stopping that ends at experiment `c1` of `range` (every experiment of the
 * range below `c1` is stored): true, with the store marked stopped, when every stratum's interval
 * is narrow enough and experiments remain. The in-process engine and a queue's coordinator both
 * decide here, so a queued campaign stops where a local one does.
 */
export function decideLook(
  store: CampaignStore,
  plan: Plan,
  stopping: StoppingSpec,
  range: [number, number],
  c1: number,
): boolean {
  const [from, to] = range;
  const look = Math.ceil((c1 - from) / stopping.every);
  const records = store.records().filter((r) => r.index < c1);
  const decision = sequentialStop(rateCounts(records, plan.strata), {
    halfWidth: stopping.halfWidth,
    confidence: stopping.confidence ?? 0.95,
    maxLooks: Math.ceil((to - from) / stopping.every),
    look,
  });
  if (!decision.stop || c1 >= to) return false;
  store.setMeta('stopped', JSON.stringify({ after: c1, look, widest: decision.widest }));
  return true;
}

/** Options of `runCampaign`. */
export interface RunOptions {
  store: CampaignStore;
  evaluator: Evaluator;
  plan: Plan;
  stopping?: StoppingSpec;
  /** Only experiments with from <= index < to (a shard); default the whole plan. */
  range?: [number, number];
  /** Experiments generated and grouped at a time (default 256). */
  chunk?: number;
  /** Stop after this many experiments in this call (the rest stays pending). */
  maxExperiments?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** What a call of `runCampaign` did. */
export interface RunResult {
  planned: number;
  /** Experiments stored in the range, after this call. */
  done: number;
  ranNow: number;
  /** Sequential stopping ended the campaign before the plan's maximum. */
  stoppedEarly: boolean;
  interrupted: boolean;
  seconds: number;
}

/** The layer an experiment hits: one name, 'multi', or '' when it has no faults. */
function layerOf(ev: Evaluator, faults: ExperimentRecord['faults']): string {
  const names = new Set(faults.map((f) => ev.memory.layerOf(f.tensor).name));
  return names.size === 0 ? '' : names.size === 1 ? [...names][0]! : 'multi';
}

/**
 * Runs the pending experiments of a plan into a store. Safe to interrupt at any point: every
 * stored row is a finished experiment, and calling it again runs exactly the missing ones.
 */
export async function runCampaign(o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const { store, evaluator: ev, plan } = o;
  const [from, to] = o.range ?? [0, plan.size];
  if (
    !(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to && to <= plan.size)
  ) {
    throw new RangeError(`range [${from}, ${to}) must lie within the plan's ${plan.size} experiments`);
  }
  if (!store.meta('golden')) {
    store.setMeta('golden', goldenMetaJson(ev.goldenScore));
  }
  // The stored memory's size, check words included, for status and reports.
  if (!store.meta('memory')) store.setMeta('memory', memoryMetaJson(ev.memory));
  const done = new Set(store.doneIndices());
  // Counted once, then kept up to date: recounting the set per experiment is quadratic.
  let doneInRange = [...done].filter((i) => i >= from && i < to).length;
  const total = to - from;
  const chunk = o.stopping ? o.stopping.every : (o.chunk ?? 256);
  let stoppedEarly = store.meta('stopped') !== undefined;
  let ran = 0;
  let interrupted = false;
  const limit = o.maxExperiments ?? Number.POSITIVE_INFINITY;
  for (let c0 = from; c0 < to && !stoppedEarly && !interrupted && ran < limit; c0 += chunk) {
    const c1 = Math.min(to, c0 + chunk);
    const todo: { i: number; faults: ExperimentRecord['faults']; cut: number }[] = [];
    for (let i = c0; i < c1; i++) {
      if (done.has(i)) continue;
      const faults = plan.faults(i);
      todo.push({ i, faults, cut: faults.length ? ev.cutOf(faults) : -1 });
    }
    // Same cut point together, so a suffix session and its golden activations stay hot; latest
    // layers first, so their outputs (which most faults need) are cached before early layers'
    // large ones fill the activation budget.
    todo.sort((a, b) => b.cut - a.cut || a.i - b.i);
    for (const e of todo) {
      if (o.signal?.aborted || ran >= limit) {
        interrupted = !!o.signal?.aborted;
        break;
      }
      const t = performance.now();
      const outcome = await ev.evaluate(e.faults);
      store.insert({
        ...outcome,
        index: e.i,
        stratum: plan.stratum(e.i),
        layer: layerOf(ev, e.faults),
        bit: e.faults[0]?.bit ?? -1,
        faultCount: e.faults.length,
        faults: e.faults,
        seconds: (performance.now() - t) / 1000,
      });
      done.add(e.i);
      ran++;
      doneInRange++;
      o.onProgress?.({ unit: 'experiments', done: doneInRange, total });
    }
    if (
      o.stopping &&
      !interrupted &&
      ran < limit &&
      [...Array(c1 - c0).keys()].every((k) => done.has(c0 + k))
    ) {
      stoppedEarly = decideLook(store, plan, o.stopping, [from, to], c1);
    }
  }
  return {
    planned: total,
    done: doneInRange,
    ranNow: ran,
    stoppedEarly,
    interrupted,
    seconds: (performance.now() - t0) / 1000,
  };
}
