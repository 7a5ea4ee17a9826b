/**
 * The kinds of job a prunefi worker takes. The queue carries data only: a job names its type, and
 * a worker runs it with the code of the entry of that name, or refuses it. Each entry starts once
 * per worker (it may keep state between jobs, such as prepared sessions) and is closed when the
 * worker stops. Campaign ranges are defined here (`range-job.ts`); a study's steps by the study
 * stage (`src/study/step-job.ts`), which sits above this one, so the worker takes its job types
 * as an argument instead of importing them.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RegistryEntry } from '../core/registry.js';

/** What a worker gives the job types it runs. */
export interface WorkerContext {
  /** `host:pid`, for logs and results. */
  name: string;
  /** A connection for artifacts (`artifacts.ts`). */
  redis: Redis;
  /** Folder of the local artifact cache and of jobs' scratch folders. */
  cacheDir: string;
  /** ONNX Runtime intra-op threads per session (default: the runtime's default). */
  threads?: number;
  /** One progress line (no newline). */
  log: (line: string) => void;
}

/** A job type as one worker runs it. */
export interface JobRunner {
  /** Runs a job of this type and returns its (JSON) result; throws to refuse or fail it. */
  run(job: Job): Promise<unknown>;
  /** What a job is, for the worker's log (e.g. 'experiments 0-7'). */
  label(job: Job): string;
  /** Releases what the runner kept between jobs. */
  close(): Promise<void>;
}

/** A registered job type: its name is the BullMQ job name. */
export interface JobType extends RegistryEntry {
  start(ctx: WorkerContext): JobRunner;
}
