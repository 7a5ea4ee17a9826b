/** `prunefi study` and `prunefi demo`: whole pruning-vs-fault-tolerance studies with a report. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PrunefiError } from '../../core/errors.js';
import { parseStudyConfig, type StudyConfig } from '../../study/config.js';
import type { RemainingEstimate } from '../../study/eta.js';
import { PRESETS } from '../../study/presets.js';
import { previewStudy, runStudy, type StudyProgress, type StudyResult } from '../../study/runner.js';
import type { CliContext, Command, ParsedArgs } from '../command.js';
import { opt } from '../command.js';
import { formatDuration } from '../progress.js';
import { printJson } from '../shared.js';

function readConfig(path: string): StudyConfig {
  if (!existsSync(path))
    throw new PrunefiError(
      'STUDY_CONFIG',
      `study config ${path} does not exist; pass a JSON file (see 'prunefi study --preset demo --print-config' for an example)`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PrunefiError(
      'STUDY_CONFIG',
      `study config ${path} is not valid JSON: ${(err as Error).message}`,
    );
  }
  return parseStudyConfig(raw);
}

/** The expected time after the current step, e.g. '≈ 9h 12m' or '≥ 2h 05m + 3 steps not yet timed'. */
function restOfStudy(r: RemainingEstimate): string | undefined {
  if (r.unestimated === 0) return r.seconds > 0 ? `≈ ${formatDuration(r.seconds)}` : undefined;
  const untimed = `${r.unestimated} step${r.unestimated === 1 ? '' : 's'} not yet timed`;
  return r.seconds > 0 ? `≥ ${formatDuration(r.seconds)} + ${untimed}` : untimed;
}

/**
 * `--dry-run`: the steps a run would take, in order, each with its expected time (or 'unknown'
 * before a step of its kind on its model has finished), or as done when the study folder holds it.
 */
function printPlan(config: StudyConfig, out: string, a: ParsedArgs, ctx: CliContext): void {
  const planned = previewStudy(config, out);
  const pending = planned.filter((p) => !p.done);
  const rest: RemainingEstimate = {
    seconds: pending.reduce((sum, p) => sum + (p.seconds ?? 0), 0),
    unestimated: pending.filter((p) => p.seconds === undefined).length,
  };
  if (opt.bool(a, 'json')) {
    printJson(ctx, {
      name: config.name,
      out,
      steps: planned.map((p) => ({
        id: p.step.id,
        kind: p.step.kind,
        deps: p.step.deps,
        done: p.done,
        seconds: p.seconds ?? null,
      })),
      toRun: { steps: pending.length, ...rest },
    });
    return;
  }
  const n = planned.length;
  const w = Math.max(...planned.map((p) => p.step.id.length));
  const lines = [
    `study '${config.name}' in ${out}: ${n} steps, ${n - pending.length} done, ${pending.length} to run`,
    ...planned.map((p, i) => {
      const time =
        p.seconds === undefined ? 'unknown' : `${p.done ? 'done in' : '≈'} ${formatDuration(p.seconds)}`;
      return `${String(i + 1).padStart(String(n).length)}  ${p.step.id.padEnd(w)}  ${time}`;
    }),
    pending.length === 0
      ? 'nothing to run: every step is done (running the study renders its report)'
      : `to run: ${restOfStudy(rest) ?? '≈ 0s'} (estimates: the mean time of finished steps of the same kind on the same model)`,
  ];
  ctx.stdout.write(`${lines.join('\n')}\n`);
}

/** Runs a study with a progress bar and a line per finished step; prints where the report is. */
async function execute(
  config: StudyConfig,
  out: string,
  a: ParsedArgs,
  ctx: CliContext,
  command: string,
): Promise<StudyResult> {
  const json = opt.bool(a, 'json');
  const bar = ctx.progress('study', json);
  const t0 = performance.now();
  const cacheDir = opt.str(a, 'cache-dir');
  const queue = opt.str(a, 'queue');
  const render = (p: StudyProgress): void => {
    const inner = p.inner;
    const rest = p.after ? restOfStudy(p.after) : undefined;
    bar.update({
      unit: inner?.unit ?? 'steps',
      done: inner?.done ?? 0,
      total: inner?.total ?? 1,
      phase: `[${p.step}/${p.steps}] ${p.id}${inner?.phase ? `: ${inner.phase}` : ''}`,
      figures: { ...inner?.figures, ...(rest ? { 'study after this step': rest } : {}) },
    });
  };
  try {
    const result = await runStudy(config, out, {
      command,
      signal: ctx.signal,
      ...(cacheDir !== undefined ? { cacheDir } : {}),
      onProgress: render,
      ...(queue !== undefined
        ? {
            queue,
            onQueueProgress: (done: number, total: number, running: string[], workers: number) =>
              bar.update({
                unit: 'steps',
                done,
                total,
                phase: running.length ? `running ${running.join(', ')}` : 'waiting',
                figures: { workers },
              }),
            log: (line: string) => {
              if (json) return;
              bar.done();
              ctx.stderr.write(`${line}\n`);
            },
          }
        : {}),
      onStepDone: (step, r, reused, i, n) => {
        if (json) return;
        bar.done();
        ctx.stderr.write(
          `[${i}/${n}] ${step.id}: ${reused ? 'reused' : `done in ${formatDuration(r.seconds)}`}\n`,
        );
      },
      onPartialReport: (r) => {
        if (json) return;
        bar.done();
        ctx.stderr.write(`partial report (finished variants so far): ${r.html}\n`);
      },
    });
    bar.done();
    if (json) {
      printJson(ctx, {
        out,
        report: result.report.html,
        steps: result.steps,
        reused: result.reused,
        seconds: (performance.now() - t0) / 1000,
        conclusions: result.report.conclusions,
      });
    } else {
      ctx.stdout.write(
        `\nstudy '${config.name}' finished in ${formatDuration((performance.now() - t0) / 1000)} (${result.steps} steps, ${result.reused} reused)\n`,
      );
      ctx.stdout.write(`report: ${result.report.html}\n`);
    }
    return result;
  } catch (err) {
    // A file that could not be written (a full disk, a removed folder): finished steps are kept.
    if (err instanceof PrunefiError && err.code === 'IO')
      throw new PrunefiError(
        'IO',
        `${err.message}; the study's finished steps are kept: run the same command again to continue`,
        {
          cause: err,
        },
      );
    throw err;
  } finally {
    bar.done();
  }
}

export const studyCommand: Command = {
  name: 'study',
  summary: 'run a models × pruning methods × fault models study and write its report (resumable)',
  options: {
    config: { type: 'string', placeholder: 'study.json', description: 'the study configuration (JSON)' },
    preset: { type: 'string', choices: PRESETS.names(), description: 'a built-in study (see below)' },
    data: {
      type: 'string',
      placeholder: 'spec',
      description: 'dataset for presets that need one (CIFAR-10)',
    },
    models: {
      type: 'string',
      placeholder: 'dir',
      description:
        'folder with trained alexnet_cifar.onnx / resnet18_cifar.onnx (presets; otherwise they are trained)',
    },
    out: {
      type: 'string',
      placeholder: 'dir',
      description: 'study folder: artifacts, campaign databases, report (default prunefi-out/<name>)',
    },
    threads: {
      type: 'int',
      min: 1,
      placeholder: 'N',
      description: 'ONNX Runtime threads (overrides the config)',
    },
    'cache-dir': { type: 'string', placeholder: 'dir', description: 'decoded-dataset cache' },
    'print-config': { type: 'boolean', description: 'print the resolved configuration and exit' },
    'dry-run': {
      type: 'boolean',
      description: 'print the steps a run would take, in order, with their estimated times, and exit',
    },
    queue: {
      type: 'string',
      placeholder: 'redis://[user:pass@]host:port[/db]',
      description: "run the steps on 'prunefi worker' processes through this queue (rediss:// for TLS)",
    },
    json: { type: 'boolean', description: 'print a JSON summary' },
  },
  help: [
    'presets:',
    ...PRESETS.list().map((p) => `  ${p.name.padEnd(6)} ${p.description} (${p.duration})`),
    '',
    'Finished steps are reused when their inputs are unchanged (content keys), so rerunning after a',
    'change reruns only what depends on it, and rerunning after Ctrl-C resumes (training from its',
    'last epoch checkpoint, campaigns from their last experiment). A partial report is written after',
    'each finished variant and on Ctrl-C; re-render any report with prunefi report.',
    'Example: prunefi study --preset paper --data ../shared/datasets/cifar10-jpeg --models ../shared/models',
  ].join('\n'),
  async run(a, ctx) {
    const configPath = opt.str(a, 'config');
    const preset = opt.str(a, 'preset');
    if ((configPath === undefined) === (preset === undefined)) {
      throw new PrunefiError(
        'USAGE',
        "give exactly one of --config <file> or --preset <name> (see 'prunefi study --help')",
      );
    }
    const data = opt.str(a, 'data');
    const models = opt.str(a, 'models');
    let config =
      configPath !== undefined
        ? readConfig(configPath)
        : PRESETS.get(preset!).build({ ...(data ? { data } : {}), ...(models ? { models } : {}) });
    if (configPath !== undefined && data !== undefined) config = { ...config, data };
    const threads = opt.num(a, 'threads');
    if (threads !== undefined) config = { ...config, threads };
    if (opt.bool(a, 'print-config')) {
      printJson(ctx, config);
      return 0;
    }
    const out = resolve(opt.str(a, 'out') ?? `prunefi-out/${config.name}`);
    if (opt.bool(a, 'dry-run')) {
      printPlan(config, out, a, ctx);
      return 0;
    }
    await execute(config, out, a, ctx, `prunefi ${['study', ...process.argv.slice(3)].join(' ')}`);
    return 0;
  },
};

export const demoCommand: Command = {
  name: 'demo',
  summary:
    'the zero-setup study: train LeNet-5 on bundled MNIST, prune it 6 ways, inject faults, write a report',
  options: {
    out: { type: 'string', placeholder: 'dir', default: 'prunefi-out/demo', description: 'study folder' },
    threads: { type: 'int', min: 1, placeholder: 'N', description: 'ONNX Runtime threads' },
    'cache-dir': { type: 'string', placeholder: 'dir', description: 'decoded-dataset cache' },
    json: { type: 'boolean', description: 'print a JSON summary' },
  },
  help: 'Equivalent to: prunefi study --preset demo --out prunefi-out/demo. Rerunning reuses finished steps.',
  async run(a, ctx) {
    let config = PRESETS.get('demo').build({});
    const threads = opt.num(a, 'threads');
    if (threads !== undefined) config = { ...config, threads };
    const out = resolve(opt.str(a, 'out') ?? 'prunefi-out/demo');
    await execute(config, out, a, ctx, 'prunefi demo');
    return 0;
  },
};
