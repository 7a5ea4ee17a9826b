/**
 * `--queue` on `campaign run|resume`: the process becomes the coordinator of a queued campaign
 * (src/queue/coordinator.ts) instead of running it. The queue code is imported only here and
 * only when `--queue` is given, so plain commands never load BullMQ or connect to Redis.
 */
import type { CampaignConfig } from '../../campaign/config.js';
import type { ImageInput, SampleInput } from '../../campaign/evaluator.js';
import type { CampaignStore } from '../../campaign/store.js';
import type { Model } from '../../onnx/ir.js';
import { type CliContext, type OptionSpec, opt, type ParsedArgs } from '../command.js';
import { printJson } from '../shared.js';

/** The options `campaign run` and `campaign resume` take for a queued run. */
export const queueOptions: Record<string, OptionSpec> = {
  queue: {
    type: 'string',
    placeholder: 'redis://[user:pass@]host:port[/db]',
    description:
      "enqueue the campaign for 'prunefi worker' processes instead of running it (rediss:// for TLS)",
  },
  'job-size': {
    type: 'int',
    min: 1,
    placeholder: 'N',
    description: '--queue: experiments per job (default: sized so the queue costs < 5% of the time)',
  },
};

/** Runs a campaign through the queue named by `--queue` and prints what `campaign run` prints. */
export async function executeQueued(
  a: ParsedArgs,
  ctx: CliContext,
  store: CampaignStore,
  config: CampaignConfig,
  model: Model,
  input: ImageInput | SampleInput,
  range: [number, number] | undefined,
): Promise<number> {
  const json = opt.bool(a, 'json');
  const { runQueuedCampaign } = await import('../../queue/coordinator.js');
  const bar = ctx.progress('campaign', json);
  const jobSize = opt.num(a, 'job-size');
  try {
    const r = await runQueuedCampaign({
      url: opt.required<string>(a, 'queue', 'campaign run'),
      store,
      config,
      model,
      input,
      ...(range ? { range } : {}),
      engine: {
        mode: opt.bool(a, 'naive') ? 'naive' : 'fast',
        batch: opt.num(a, 'batch') ?? 250,
        cacheMiB: opt.num(a, 'cache-mib') ?? 4096,
      },
      ...(jobSize !== undefined ? { jobSize } : {}),
      signal: ctx.signal,
      onProgress: (p) => bar.update(p),
      log: (line) => {
        bar.done();
        if (!json) ctx.stderr.write(`${line}\n`);
      },
    });
    bar.done();
    if (json) printJson(ctx, { db: store.path, ...r });
    else {
      ctx.stdout.write(
        `${r.done}/${r.planned} experiments stored in ${store.path} (${r.ranNow} now from ${r.jobs} jobs, ${r.seconds.toFixed(1)} s)${r.stoppedEarly ? ', stopped early (sequential stopping)' : ''}\n`,
      );
      if (r.interrupted)
        ctx.stdout.write(
          'interrupted: queued jobs keep running; run the same command again to store their results\n',
        );
    }
    return r.interrupted ? 130 : 0;
  } finally {
    bar.done();
  }
}
