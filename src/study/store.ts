/**
 * The study's artifact store: one folder per step key under `<studyDir>/artifacts/<kind>/`.
 * A step is finished when its `result.json` exists; it is written last and atomically, so a
 * crash mid-step leaves an unfinished folder that the next run resumes or redoes, never a
 * half-written result that looks finished.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWrite } from '../core/atomic.js';
import { PrunefiError } from '../core/errors.js';
import type { Step } from './plan.js';

/** Where a step's files live and whether it has finished. */
export class ArtifactStore {
  readonly root: string;

  constructor(studyDir: string) {
    this.root = join(studyDir, 'artifacts');
  }

  /** The folder of a step (created on demand). */
  dir(step: Step): string {
    const d = join(this.root, step.kind, step.key.slice(0, 16));
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** Where the time spent by unfinished runs of a step is kept (see StepClock). */
  timeFile(step: Step): string {
    return join(this.dir(step), 'time.json');
  }

  /** Whether the step has a finished result. */
  isDone(step: Step): boolean {
    return existsSync(join(this.root, step.kind, step.key.slice(0, 16), 'result.json'));
  }

  /** The finished result of a step; a corrupt result file is an error naming it. */
  result<T>(step: Step): T {
    const file = join(this.root, step.kind, step.key.slice(0, 16), 'result.json');
    try {
      const r = JSON.parse(readFileSync(file, 'utf8')) as { key: string; result: T };
      if (r.key !== step.key) throw new Error(`key ${r.key} does not match ${step.key}`);
      return r.result;
    } catch (err) {
      throw new PrunefiError(
        'STUDY_CONFIG',
        `study artifact ${file} is unreadable (${(err as Error).message}); delete its folder to recompute it`,
        { cause: err },
      );
    }
  }

  /**
   * Records a step as finished with its result (atomically). The result holds the step's time, so
   * its unfinished runs' time is dropped: a step recomputed after its result is deleted starts
   * its clock from zero.
   */
  finish<T>(step: Step, result: T): void {
    atomicWrite(
      join(this.dir(step), 'result.json'),
      JSON.stringify({ key: step.key, id: step.id, result }, null, 1),
    );
    rmSync(this.timeFile(step), { force: true });
  }
}
