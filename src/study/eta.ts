/**
 * How long a study's remaining steps will take, estimated from the steps already finished: a
 * pending step is expected to take the mean duration of the finished steps of the same kind on
 * the same model (stored results keep their durations, so a resumed study estimates from its
 * first step). Steps with no finished peer yet are counted, not guessed: the paper preset's first
 * ResNet18 fine-tune says nothing until one has run.
 */
import type { Step } from './plan.js';

/** The estimate for the steps after the current one. */
export interface RemainingEstimate {
  /** Summed expected seconds of the pending steps that have finished peers. */
  seconds: number;
  /** Pending steps without a finished peer (not included in `seconds`). */
  unestimated: number;
}

/** The model a step works on: its own for base and prune steps, its variant's otherwise. */
function modelOf(step: Step): string {
  const p = step.params;
  if (p.kind === 'base' || p.kind === 'prune') return p.model;
  return step.variant?.split('/')[0] ?? '';
}

const peerKey = (step: Step): string => `${step.kind}|${modelOf(step)}`;

/** Running per-(kind, model) mean durations over a study's finished steps. */
export class StudyEta {
  private readonly sums = new Map<string, { seconds: number; count: number }>();

  constructor(private readonly steps: readonly Step[]) {}

  /** Records a finished step (run now or reused, with its stored duration). */
  record(step: Step, seconds: number): void {
    const k = peerKey(step);
    const s = this.sums.get(k) ?? { seconds: 0, count: 0 };
    s.seconds += seconds;
    s.count++;
    this.sums.set(k, s);
  }

  /** The expected seconds of one step, or undefined when no peer of it has finished yet. */
  estimate(step: Step): number | undefined {
    const s = this.sums.get(peerKey(step));
    return s ? s.seconds / s.count : undefined;
  }

  /** The expected time of the steps after index `current` (0-based) that are not done yet. */
  remainingAfter(current: number, isDone: (step: Step) => boolean): RemainingEstimate {
    let seconds = 0;
    let unestimated = 0;
    for (const step of this.steps.slice(current + 1)) {
      if (isDone(step)) continue;
      const s = this.estimate(step);
      if (s !== undefined) seconds += s;
      else unestimated++;
    }
    return { seconds, unestimated };
  }
}
