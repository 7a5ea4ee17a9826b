/**
 * How many experiments one queued job holds. A job costs a fixed overhead besides its experiments
 * (moving it to a worker, its lock, its result back to the coordinator, a few Redis round trips):
 * `JOB_OVERHEAD_SECONDS`, measured by bench/queue-scale.ts. For that overhead to stay under
 * `OVERHEAD_SHARE` of the time, a job of n experiments of t seconds each needs
 * overhead ≤ share · n · t, so n = ⌈overhead / (share · t)⌉. Jobs are also capped at
 * `MAX_JOB_SECONDS` of work, so a killed worker loses at most that much and the last jobs do not
 * leave the other workers idle for long.
 */

/** Fixed cost of one job, seconds (bench/queue-scale.ts measured 6.5 ms on loopback; 3× margin for a network). */
export const JOB_OVERHEAD_SECONDS = 0.02;
/** The largest share of the time the queue may take. */
export const OVERHEAD_SHARE = 0.05;
/** Work per job, at most (seconds). */
export const MAX_JOB_SECONDS = 60;
/** Experiments in the probe job that measures the time per experiment of a fresh campaign. */
export const PROBE_EXPERIMENTS = 16;

/** Experiments per job for experiments of `secondsPerExperiment` each (see the module comment). */
export function jobSize(secondsPerExperiment: number): number {
  const t = Math.max(secondsPerExperiment, 1e-6);
  const n = Math.ceil(JOB_OVERHEAD_SECONDS / (OVERHEAD_SHARE * t));
  return Math.max(1, Math.min(n, Math.floor(MAX_JOB_SECONDS / t)));
}

/** The median of experiment times: robust to the slow first experiments of a warming session. */
export function medianSeconds(seconds: readonly number[]): number {
  const s = [...seconds].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Splits the pending experiment indices (ascending) into job ranges of at most `size`: each run of
 * consecutive indices is cut into pieces, so no job spans an already stored experiment.
 */
export function splitRanges(pending: readonly number[], size: number): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  while (i < pending.length) {
    const start = pending[i]!;
    let end = start + 1;
    i++;
    while (i < pending.length && pending[i] === end && end - start < size) {
      end++;
      i++;
    }
    out.push([start, end]);
  }
  return out;
}
