/**
 * Sequential stopping for a queued campaign. A local run looks every `every` experiments, in
 * index order, and stops after the first look whose intervals are narrow enough; the records it
 * stores are exactly those before that point. Workers finish jobs in any order, so the
 * coordinator holds each result until every earlier look has been decided, stores it only if
 * the campaign has not stopped before it, and decides each look with the engine's own
 * `decideLook` once all its experiments are stored. The stored database is then the local one.
 * Only the current look and the next are queued, so a stop wastes at most one look of work.
 */
import { decideLook, type StoppingSpec } from '../campaign/engine.js';
import type { Plan } from '../campaign/plan.js';
import type { CampaignStore } from '../campaign/store.js';

/** The looks of one queued campaign range (all of it when the campaign has no stopping rule). */
export class Looks {
  /** The store is marked stopped: nothing more is stored or queued. */
  stopped: boolean;
  /** Index of the first look not decided yet. */
  private look = 0;

  constructor(
    private readonly store: CampaignStore,
    private readonly plan: Plan,
    private readonly stopping: StoppingSpec | undefined,
    private readonly range: [number, number],
  ) {
    this.stopped = store.meta('stopped') !== undefined;
  }

  private end(look: number): number {
    const [from, to] = this.range;
    return this.stopping ? Math.min(to, from + (look + 1) * this.stopping.every) : to;
  }

  /** Experiments below this index may be stored now. */
  storableEnd(): number {
    return this.end(this.look);
  }

  /** Experiments below this index may be queued now. */
  queueableEnd(): number {
    return this.end(this.look + 1);
  }

  /**
   * Decides the current look if every experiment of it is in `done`; true when that moved on to
   * the next look (call again: it may be complete too), false otherwise or on a stop.
   */
  advance(done: ReadonlySet<number>): boolean {
    if (!this.stopping || this.stopped) return false;
    const c1 = this.end(this.look);
    for (let i = this.range[0] + this.look * this.stopping.every; i < c1; i++) if (!done.has(i)) return false;
    if (decideLook(this.store, this.plan, this.stopping, this.range, c1)) {
      this.stopped = true;
      return false;
    }
    this.look++;
    return c1 < this.range[1];
  }
}
