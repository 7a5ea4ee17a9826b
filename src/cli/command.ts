/**
 * The CLI's command contract and option parsing. Each command declares its options once
 * (type, description, default); parsing, validation, `--help` text and error messages all come
 * from that declaration, so every command behaves the same way.
 */
import { parseArgs } from 'node:util';
import { didYouMean, PrunefiError } from '../core/errors.js';
import type { ProgressBar } from './progress.js';

/** How an option's value is read. */
export type OptionType = 'string' | 'boolean' | 'number' | 'int';

/** One `--name` option. */
export interface OptionSpec {
  type: OptionType;
  description: string;
  short?: string;
  /** Shown in help as `--name <placeholder>`. */
  placeholder?: string;
  default?: string | number | boolean;
  /** Allowed values of a string option. */
  choices?: readonly string[];
  /** May be given several times (values collected in order). */
  multiple?: boolean;
  /** Lower bound for number/int options (inclusive). */
  min?: number;
  /** Upper bound for number/int options (inclusive). */
  max?: number;
}

/** A positional argument. */
export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** The last positional only: it takes every remaining argument. */
  variadic?: boolean;
}

/** Parsed option values by option name (camel-cased is not applied: names as declared). */
export type OptionValues = Record<string, string | number | boolean | string[] | number[] | undefined>;

/** What every command receives besides its arguments. */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  verbose: boolean;
  /** Fires on the first Ctrl-C: long work stops at a clean point and saves what it has. */
  signal: AbortSignal;
  /** A progress bar on stderr (silent when `silent`). */
  progress(label: string, silent?: boolean): ProgressBar;
}

/** A CLI command (or a command group with subcommands). */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Longer help text (examples, notes), shown by `prunefi <cmd> --help`. */
  help?: string;
  options?: Record<string, OptionSpec>;
  positionals?: PositionalSpec[];
  subcommands?: Command[];
  /** Runs the command; returns the exit code (default 0). */
  run?(args: ParsedArgs, ctx: CliContext): Promise<number | undefined>;
}

/** Result of parsing a command line against a command's declaration. */
export interface ParsedArgs {
  options: OptionValues;
  positionals: string[];
}

/** A usage error pointing at the command's help. */
export function usageError(cmd: string, message: string): PrunefiError {
  return new PrunefiError('USAGE', `${message} (see 'prunefi ${cmd} --help')`);
}

function convert(cmdPath: string, name: string, spec: OptionSpec, raw: string): string | number {
  if (spec.type === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw usageError(
        cmdPath,
        `--${name} must be one of ${spec.choices.join(', ')}, got '${raw}'${didYouMean(raw, spec.choices)}`,
      );
    }
    return raw;
  }
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v))
    throw usageError(cmdPath, `--${name} must be a number, got '${raw}'`);
  if (spec.type === 'int' && !Number.isInteger(v))
    throw usageError(cmdPath, `--${name} must be an integer, got '${raw}'`);
  if (spec.min !== undefined && v < spec.min)
    throw usageError(cmdPath, `--${name} must be at least ${spec.min}, got ${raw}`);
  if (spec.max !== undefined && v > spec.max)
    throw usageError(cmdPath, `--${name} must be at most ${spec.max}, got ${raw}`);
  return v;
}

/**
 * Parses `argv` for a command. Unknown options, missing values, bad numbers and missing required
 * positionals are `PrunefiError('USAGE')` naming the option and pointing at `--help`.
 */
export function parseCommandArgs(cmdPath: string, command: Command, argv: string[]): ParsedArgs {
  const specs = command.options ?? {};
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(specs)) {
    config[name] = { type: s.type === 'boolean' ? 'boolean' : 'string' };
    if (s.short) config[name].short = s.short;
    if (s.multiple) config[name].multiple = true;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: config,
      allowPositionals: true,
      strict: true,
      allowNegative: true,
    });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw usageError(cmdPath, msg.replace(/^Unknown option/, 'unknown option'));
  }
  const options: OptionValues = {};
  for (const [name, s] of Object.entries(specs)) {
    const raw = parsed.values[name];
    if (raw === undefined) {
      options[name] = s.default;
      continue;
    }
    if (s.type === 'boolean') options[name] = raw as boolean;
    else if (Array.isArray(raw))
      options[name] = raw.map((r) => convert(cmdPath, name, s, String(r))) as string[] | number[];
    else options[name] = convert(cmdPath, name, s, String(raw));
  }
  const pos = command.positionals ?? [];
  const required = pos.filter((p) => p.required).length;
  if (parsed.positionals.length < required) {
    const missing = pos.slice(parsed.positionals.length).filter((p) => p.required);
    throw usageError(cmdPath, `missing ${missing.map((p) => `<${p.name}>`).join(' ')}`);
  }
  if (parsed.positionals.length > pos.length && !pos[pos.length - 1]?.variadic) {
    throw usageError(cmdPath, `unexpected argument '${parsed.positionals[pos.length]}'`);
  }
  return { options, positionals: parsed.positionals };
}

/** `--help` text of a command, generated from its declaration. */
export function commandHelp(cmdPath: string, command: Command): string {
  const lines: string[] = [];
  const pos = (command.positionals ?? [])
    .map((p) => {
      const name = `${p.name}${p.variadic ? '...' : ''}`;
      return p.required ? `<${name}>` : `[${name}]`;
    })
    .join(' ');
  const sub = command.subcommands?.length ? ' <subcommand>' : '';
  lines.push(
    `usage: prunefi ${cmdPath}${sub}${pos ? ` ${pos}` : ''}${command.options ? ' [options]' : ''}`,
    '',
    command.summary,
  );
  if (command.subcommands?.length) {
    lines.push('', 'subcommands:');
    const w = Math.max(...command.subcommands.map((c) => c.name.length));
    for (const c of command.subcommands) lines.push(`  ${c.name.padEnd(w)}  ${c.summary}`);
  }
  if (command.positionals?.length) {
    lines.push('', 'arguments:');
    for (const p of command.positionals) lines.push(`  ${p.name}  ${p.description}`);
  }
  const opts = Object.entries(command.options ?? {});
  if (opts.length) {
    lines.push('', 'options:');
    const heads = opts.map(([name, s]) => {
      const arg =
        s.type === 'boolean' ? '' : ` <${s.placeholder ?? (s.choices ? s.choices.join('|') : s.type)}>`;
      return `${s.short ? `-${s.short}, ` : '    '}--${name}${arg}`;
    });
    const w = Math.max(...heads.map((h) => h.length));
    opts.forEach(([, s], i) => {
      const def = s.default !== undefined && s.default !== false ? ` (default: ${s.default})` : '';
      lines.push(`  ${heads[i]!.padEnd(w)}  ${s.description}${def}${s.multiple ? ' (repeatable)' : ''}`);
    });
  }
  lines.push(
    '',
    'global options:',
    '  --verbose  show stack traces and debug detail',
    '  -h, --help  show this help',
  );
  if (command.help) lines.push('', command.help);
  return `${lines.join('\n')}\n`;
}

/** Typed accessors for parsed option values (the declaration guarantees the runtime type). */
export const opt = {
  str: (a: ParsedArgs, name: string): string | undefined => a.options[name] as string | undefined,
  num: (a: ParsedArgs, name: string): number | undefined => a.options[name] as number | undefined,
  bool: (a: ParsedArgs, name: string): boolean => a.options[name] === true,
  strs: (a: ParsedArgs, name: string): string[] => (a.options[name] as string[] | undefined) ?? [],
  nums: (a: ParsedArgs, name: string): number[] => (a.options[name] as number[] | undefined) ?? [],
  /** A required option: missing is a usage error naming it. */
  required<T extends string | number>(a: ParsedArgs, name: string, cmdPath: string): T {
    const v = a.options[name];
    if (v === undefined) throw usageError(cmdPath, `--${name} is required`);
    return v as T;
  },
};
