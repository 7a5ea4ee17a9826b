/**
 * Command dispatch, global options and the error policy: a domain error prints one clear line
 * (a stack trace only with --verbose) and exits 2; Ctrl-C stops long work at a clean point
 * (exit 130); anything unexpected exits 1 and says how to get details.
 */
import { readFileSync } from 'node:fs';
import { PrunefiError, systemFileError } from '../core/errors.js';
import { InterruptedError } from '../core/progress.js';
import { type CliContext, type Command, commandHelp, parseCommandArgs } from './command.js';
import { COMMANDS } from './commands/index.js';
import { createProgressBar } from './progress.js';

/** Streams and signal the CLI writes to (tests pass their own). */
export interface CliIO {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function topHelp(commands: readonly Command[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: prunefi <command> [options]',
    '',
    'Prune neural networks and measure how pruning changes their tolerance to bit flips in weight memory.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    "Run 'prunefi <command> --help' for a command's options. Global: --verbose (stack traces), --version.",
    '',
  ].join('\n');
}

/** Exit code for an error: 2 for bad input of any kind, 130 for an interrupt, 1 for bugs. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof PrunefiError) return err.exitCode;
  if (systemFileError(err)) return 2;
  if (err instanceof InterruptedError) return 130;
  if (err instanceof RangeError || err instanceof TypeError) return 2;
  return 1;
}

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit code. Never calls
 * process.exit, so it can be driven from tests.
 */
export async function runCli(argv: string[], io: CliIO = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const dashDash = argv.indexOf('--');
  const head = dashDash < 0 ? argv : argv.slice(0, dashDash);
  const verbose = head.includes('--verbose');
  const args = argv.filter((a, i) => !(a === '--verbose' && (dashDash < 0 || i < dashDash)));
  const ctx: CliContext = {
    stdout,
    stderr,
    verbose,
    signal: io.signal ?? new AbortController().signal,
    progress: (label, silent) =>
      createProgressBar({ label, silent: silent ?? false, stream: stderr as NodeJS.WriteStream }),
  };
  try {
    if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
      stdout.write(topHelp(COMMANDS));
      return 0;
    }
    if (args[0] === '--version' || args[0] === '-V') {
      stdout.write(`${version()}\n`);
      return 0;
    }
    let path = args[0]!;
    let command = COMMANDS.find((c) => c.name === path);
    if (!command) {
      throw new PrunefiError(
        'USAGE',
        `unknown command '${path}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
      );
    }
    let rest = args.slice(1);
    while (command.subcommands?.length && rest[0] && !rest[0].startsWith('-')) {
      const name: string = rest[0];
      const sub: Command | undefined = command.subcommands.find((c) => c.name === name);
      if (!sub) {
        throw new PrunefiError(
          'USAGE',
          `unknown subcommand '${path} ${name}'; subcommands: ${command.subcommands.map((c) => c.name).join(', ')}`,
        );
      }
      command = sub;
      path = `${path} ${name}`;
      rest = rest.slice(1);
    }
    if (rest.includes('--help') || rest.includes('-h') || !command.run) {
      if (!command.run && !rest.includes('--help') && !rest.includes('-h')) {
        stderr.write(commandHelp(path, command));
        return 2;
      }
      stdout.write(commandHelp(path, command));
      return 0;
    }
    const parsed = parseCommandArgs(path, command, rest);
    return (await command.run(parsed, ctx)) ?? 0;
  } catch (thrown) {
    // A file operation no stage wrapped (a full disk, a removed folder) still reads as one line.
    const err = systemFileError(thrown) ?? thrown;
    const code = exitCodeOf(err);
    if (err instanceof InterruptedError) {
      stderr.write(`\nprunefi: ${err.message}\n`);
    } else if (code === 1) {
      stderr.write(`prunefi: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (verbose && err instanceof Error) stderr.write(`${err.stack}\n`);
      else stderr.write('(run again with --verbose for the stack trace, and please report it)\n');
    } else {
      stderr.write(`prunefi: error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (verbose && err instanceof Error) stderr.write(`${err.stack}\n`);
    }
    return code;
  }
}
