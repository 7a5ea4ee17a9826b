/**
 * A terminal progress bar: items, rate and ETA on one redrawn line of stderr when it is a
 * terminal, and a plain line every few seconds otherwise (CI logs, pipes), so long jobs are
 * never silent and never flood a log.
 */
import type { Progress, ProgressCallback } from '../core/progress.js';

/** Formats seconds as 1h02m, 3m05s or 12s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

function formatRate(perSecond: number, unit: string): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `? ${unit}/s`;
  if (perSecond >= 100) return `${Math.round(perSecond)} ${unit}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)} ${unit}/s`;
  return `${(1 / perSecond).toFixed(1)} s/${unit.replace(/s$/, '')}`;
}

function formatFigure(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

/** Options of `createProgressBar`. */
export interface ProgressBarOptions {
  stream?: NodeJS.WriteStream;
  /** Label before the bar, e.g. 'eval'. */
  label?: string;
  /** Force terminal (true) or log (false) rendering; default: the stream's isTTY. */
  tty?: boolean;
  /** Seconds between log lines when not a terminal (default 10). */
  logEvery?: number;
  /** Disable output entirely (--quiet, --json). */
  silent?: boolean;
}

/** A progress display; `update` is the ProgressCallback to hand to library code. */
export interface ProgressBar {
  update: ProgressCallback;
  /** Clears the bar line (terminal) so following output starts clean. */
  done(): void;
}

/**
 * Creates a progress bar. Rate and ETA come from an exponential moving average of the rate so
 * a slow first batch (session warm-up) does not dominate the estimate. The clock restarts when
 * the phase changes.
 */
export function createProgressBar(options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const logEvery = (options.logEvery ?? 10) * 1000;
  let phase: string | undefined;
  let start = performance.now();
  let lastDraw = 0;
  let lastDone = 0;
  let lastTime = start;
  let rate = 0;
  let drawn = false;
  const render = (p: Progress, now: number): string => {
    const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    const width = 24;
    const fill = Math.round(frac * width);
    const bar = tty ? `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ` : '';
    const eta = rate > 0 ? formatDuration((p.total - p.done) / rate) : '?';
    const figs = Object.entries(p.figures ?? {})
      .map(([k, v]) => `${k} ${formatFigure(v)}`)
      .join('  ');
    const head = [options.label, p.phase].filter(Boolean).join(' ');
    return `${head ? `${head} ` : ''}${bar}${p.done}/${p.total} ${p.unit} (${Math.round(frac * 100)}%)  ${formatRate(rate, p.unit)}  elapsed ${formatDuration((now - start) / 1000)}  ETA ${eta}${figs ? `  ${figs}` : ''}`;
  };
  return {
    update(p) {
      if (options.silent) return;
      const now = performance.now();
      if (p.phase !== phase) {
        phase = p.phase;
        start = now;
        lastTime = now;
        lastDone = p.done;
        rate = 0;
      }
      const dt = (now - lastTime) / 1000;
      if (dt > 0.2 && p.done > lastDone) {
        const inst = (p.done - lastDone) / dt;
        rate = rate === 0 ? inst : 0.7 * rate + 0.3 * inst;
        lastTime = now;
        lastDone = p.done;
      }
      const finished = p.done >= p.total;
      if (tty) {
        if (now - lastDraw < 100 && !finished) return;
        lastDraw = now;
        const line = render(p, now);
        const cols = stream.columns ?? 120;
        stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
        drawn = true;
      } else {
        if (now - lastDraw < logEvery && !finished) return;
        lastDraw = now;
        stream.write(`${render(p, now)}\n`);
      }
    },
    done() {
      if (tty && drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
