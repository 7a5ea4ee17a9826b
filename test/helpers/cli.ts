/** Runs the CLI in-process with captured output, or as a real child process. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/run.js';
import { REPO } from './paths.js';

/** Captured result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(chunks: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
}

/** Runs `prunefi <argv>` in this process (fast; no exit). */
export async function cli(...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: sink(out), stderr: sink(err) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Runs the real `prunefi` executable in a child process (for exit codes, signals, stdin). */
export function cliProcess(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [join(REPO, 'dist/src/cli/main.js'), ...argv], {
    cwd: options.cwd ?? REPO,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
