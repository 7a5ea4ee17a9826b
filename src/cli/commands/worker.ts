/**
 * `prunefi worker --queue URL`: runs queued campaign ranges and study steps (src/queue/worker.ts)
 * until Ctrl-C or SIGTERM, then finishes the running jobs and exits. Any number of workers on any
 * machines may serve one queue; they need the same prunefi version as the coordinator, and for
 * study steps the study's dataset (models, samples and step outputs come through Redis).
 */
import { cacheRoot } from '../../data/cache.js';
import { type Command, opt } from '../command.js';
import { dataOptions } from '../shared.js';

/** The `worker` command. */
export const workerCommand: Command = {
  name: 'worker',
  summary: 'run queued campaign and study jobs from Redis (see campaign run --queue, study --queue)',
  options: {
    queue: {
      type: 'string',
      placeholder: 'redis://[user:pass@]host:port[/db]',
      description: 'the queue to serve (rediss:// for TLS)',
    },
    concurrency: { type: 'int', min: 1, default: 1, description: 'jobs run at once' },
    threads: { type: 'int', min: 1, placeholder: 'N', description: 'ONNX Runtime threads per session' },
    'stall-seconds': {
      type: 'number',
      min: 0.5,
      default: 30,
      description: 'seconds after which the job of a worker that stopped answering goes to another worker',
    },
    'cache-dir': dataOptions['cache-dir']!,
  },
  help: 'Example: prunefi worker --queue redis://127.0.0.1:6379 --concurrency 2 --threads 1',
  async run(a, ctx) {
    const url = opt.required<string>(a, 'queue', 'worker');
    const { runWorker } = await import('../../queue/worker.js');
    const { RANGE_JOB_TYPE } = await import('../../queue/range-job.js');
    const { STUDY_STEP_JOB_TYPE } = await import('../../study/step-job.js');
    const threads = opt.num(a, 'threads');
    await runWorker({
      url,
      jobTypes: [RANGE_JOB_TYPE, STUDY_STEP_JOB_TYPE],
      concurrency: opt.num(a, 'concurrency') ?? 1,
      ...(threads !== undefined ? { threads } : {}),
      cacheDir: cacheRoot(opt.str(a, 'cache-dir')),
      stallSeconds: opt.num(a, 'stall-seconds') ?? 30,
      signal: ctx.signal,
      log: (line) => ctx.stderr.write(`${line}\n`),
    });
    return 0;
  },
};
