/**
 * The progress contract between long-running library code and whoever displays it (the CLI's
 * progress bar, a test, a study runner). Library code reports; it never prints.
 */

/** One progress report: `done` of `total` items, plus optional named figures (loss, accuracy…). */
export interface Progress {
  /** What is being counted: 'images', 'experiments', 'steps'... */
  unit: string;
  done: number;
  total: number;
  /** A short label of the current phase, e.g. 'epoch 3/10' or 'golden activations'. */
  phase?: string;
  /** Extra figures to show, already formatted or numeric. */
  figures?: Record<string, string | number>;
}

/** A progress callback; may be called often (the display throttles). */
export type ProgressCallback = (p: Progress) => void;

/** Throws `InterruptedError` once the signal has fired, so long loops stop at a clean point. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError();
}

/** Raised when the user interrupts (Ctrl-C): work done so far is saved; the CLI exits with 130. */
export class InterruptedError extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedError';
  }
}
