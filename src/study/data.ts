/**
 * The study's datasets, loaded once and shared by every step: the test split always (clean
 * accuracy, campaign images), the training split only when a step trains.
 */
import type { ProgressCallback } from '../core/progress.js';
import { loadDataset } from '../data/index.js';
import type { ImageSet } from '../data/types.js';

/** Lazily loaded splits of the study's dataset. */
export class StudyData {
  private readonly cache = new Map<string, Promise<ImageSet>>();

  constructor(
    readonly spec: string,
    readonly trainSplit: string,
    readonly testSplit: string,
    /** Class-balanced limit of training images (0 = all). */
    readonly trainLimit: number,
    private readonly cacheDir?: string,
    private readonly onProgress?: ProgressCallback,
  ) {}

  /** One split, decoded on first use (later calls share the same load). */
  split(name: string, limit = 0): Promise<ImageSet> {
    const key = `${name}#${limit}`;
    let p = this.cache.get(key);
    if (!p) {
      p = loadDataset(this.spec, {
        split: name,
        ...(limit > 0 ? { limit } : {}),
        ...(this.cacheDir !== undefined ? { cacheDir: this.cacheDir } : {}),
        onProgress: (done, total) =>
          this.onProgress?.({ unit: 'images', done, total, phase: `decode ${name}` }),
      });
      this.cache.set(key, p);
      // A failed load must not be cached: the next call retries (and reports the error again).
      void p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  train(): Promise<ImageSet> {
    return this.split(this.trainSplit, this.trainLimit);
  }

  test(): Promise<ImageSet> {
    return this.split(this.testSplit);
  }
}
