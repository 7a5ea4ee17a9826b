/**
 * Wall-clock time spent on a study step over every run that worked on it. A resumed step (training
 * from its checkpoint, a campaign from its stored experiments) would otherwise record only the
 * finishing run's time: the paper preset's GReg-1 step on ResNet18 ran about 78 minutes over two
 * runs and recorded 14. The time of an unfinished run is kept in the step's folder and refreshed
 * every few seconds, so a run killed without warning (no chance to save) loses at most that much
 * of it. Work redone after such a kill (at most one checkpoint interval of training) is counted:
 * it is time the step took.
 */
import { existsSync, readFileSync } from 'node:fs';
import { atomicWrite } from '../core/atomic.js';

/** Seconds between saves of a running step's time. */
const SAVE_EVERY = 10;

/** Seconds recorded by earlier, unfinished runs of a step; 0 when there were none. */
function earlierSeconds(file: string): number {
  if (!existsSync(file)) return 0;
  try {
    const s = (JSON.parse(readFileSync(file, 'utf8')) as { seconds?: unknown }).seconds;
    return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? s : 0;
  } catch {
    // Written atomically, so this is a hand-edited file; a timing record must never stop a study
    // from resuming, and this run's saves replace it.
    return 0;
  }
}

/** Times one run of a step, adding the time earlier runs of it recorded in `file`. */
export class StepClock {
  private readonly t0 = performance.now();
  private readonly earlier: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    saveEverySeconds = SAVE_EVERY,
  ) {
    this.earlier = earlierSeconds(file);
    this.timer = setInterval(() => this.save(), saveEverySeconds * 1000);
    // A pending save must not keep a finished process alive.
    this.timer.unref();
  }

  /** Seconds spent on the step so far, over all its runs. */
  seconds(): number {
    return this.earlier + (performance.now() - this.t0) / 1000;
  }

  /** Records the time spent so far, for the run that resumes the step. */
  save(): void {
    atomicWrite(this.file, JSON.stringify({ seconds: this.seconds() }));
  }

  /** Stops the periodic saves (the step finished, or stopped and was saved). */
  stop(): void {
    clearInterval(this.timer);
  }
}
