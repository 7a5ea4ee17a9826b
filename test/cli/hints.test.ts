/**
 * Every `--flag` prunefi names to its user is a real option: in every string of src/ (error
 * hints, help texts, examples) and in every line of README.md. A flag that follows `prunefi <command>`
 * must be an option of that command; any other must be an option of some command (the library
 * below the CLI cannot know which command reached it, so it names none where it can: a bit error
 * rate out of range once said `--ber` to `campaign run --rates`). Flags of other tools (`npm install
 * --...`) and CSS custom properties (`var(--ink)`, `--ink:#1d1d1f`) are not prunefi's.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Command } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { cli } from '../helpers/cli.js';
import { literals } from '../helpers/literals.js';
import { REPO, tempDir } from '../helpers/paths.js';

/** Options every command takes (src/cli/run.ts, src/cli/command.ts). */
const GLOBAL = new Map([
  ['help', 'boolean'],
  ['version', 'boolean'],
  ['verbose', 'boolean'],
]);

function optionsOf(c: Command): Map<string, string> {
  const m = new Map(GLOBAL);
  for (const [name, s] of Object.entries(c.options ?? {})) m.set(name, s.type);
  return m;
}

/** Every command by its path ('campaign resume'), and the union of all their options. */
const byPath = new Map<string, Map<string, string>>();
const anyCommand = new Map(GLOBAL);
function collect(c: Command, path: string): void {
  const opts = optionsOf(c);
  byPath.set(path, opts);
  for (const [k, v] of opts) anyCommand.set(k, v);
  for (const s of c.subcommands ?? []) collect(s, `${path} ${s.name}`);
}
for (const c of COMMANDS) collect(c, c.name);

/**
 * The commands a `prunefi ...` mention names (`prunefi campaign resume|status` names two), or
 * undefined when it names none (a placeholder, or prunefi alone).
 */
function commandsNamed(words: string[]): Map<string, string>[] | undefined {
  const [first, second] = words;
  if (!first) return undefined;
  const paths = first.split('|').flatMap((a) => {
    const subs = byPath.has(`${a} ${(second ?? '').split('|')[0]}`) ? (second ?? '').split('|') : [];
    return subs.length ? subs.map((b) => `${a} ${b}`) : [a];
  });
  const found = paths.map((p) => byPath.get(p));
  return found.every((f) => f !== undefined) ? (found as Map<string, string>[]) : undefined;
}

/** The flags `text` names that are not options where it names them, each with its context. */
function badFlags(text: string): { flag: string; context: string }[] {
  const bad: { flag: string; context: string }[] = [];
  for (const m of text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)) {
    const at = m.index;
    const before = text.slice(0, at);
    if (/var\($/.test(before) || /^:\S/.test(text.slice(at + m[0].length))) continue; // CSS
    // The nearest tool named before the flag, within the same quoted or backticked span.
    const span = before.slice(
      Math.max(before.lastIndexOf('`'), before.lastIndexOf("'"), before.lastIndexOf('"')) + 1,
    );
    const tool = [...span.matchAll(/\b(prunefi|npm|npx|node|python3?|pip|git)\s+((?:[\w|-]+\s+){0,2})/g)].at(
      -1,
    );
    if (tool && tool[1] !== 'prunefi') continue;
    const where = tool ? commandsNamed(tool[2]!.trim().split(/\s+/)) : undefined;
    const name = m[1]!;
    const ok = (opts: Map<string, string>): boolean =>
      opts.has(name) || (name.startsWith('no-') && opts.get(name.slice(3)) === 'boolean');
    if (where ? !where.every(ok) : !ok(anyCommand))
      bad.push({ flag: m[0], context: text.slice(Math.max(0, at - 50), at + 30).replace(/\s+/g, ' ') });
  }
  return bad;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('every --flag named in src/ is an option (of the command it follows, if any)', () => {
  const bad: string[] = [];
  let flags = 0;
  for (const file of sources(join(REPO, 'src'))) {
    for (const text of literals(readFileSync(file, 'utf8'))) {
      flags += [...text.matchAll(/(?<![\w-])--[a-z]/g)].length;
      for (const b of badFlags(text)) bad.push(`${file.slice(REPO.length + 1)}: ${b.flag} in "${b.context}"`);
    }
  }
  assert.ok(flags > 100, `the scan found the hints (${flags} flags)`);
  assert.deepEqual(bad, []);
});

test('every --flag README.md names is an option of the command it follows', () => {
  const bad = readFileSync(join(REPO, 'README.md'), 'utf8')
    .split('\n')
    .flatMap((line, i) => badFlags(line).map((b) => `README.md:${i + 1}: ${b.flag} in "${b.context}"`));
  assert.deepEqual(bad, []);
});

test('the scanner sees hints wherever they are written, and only there', () => {
  const flags = (text: string): string[] => badFlags(text).map((b) => b.flag);
  // --ber is some command's option (inject's); resume has no --db; npm's flags are npm's.
  assert.deepEqual(flags("e.g. --ber 1e-7; run 'prunefi campaign resume --db x' or `npm install --nope`"), [
    '--db',
  ]);
  assert.deepEqual(flags('the --no-such flag, --rates 2, --no-json'), ['--no-such']);
  assert.deepEqual(flags('prunefi campaign run|resume --range 0:10 --rates 1e-7'), ['--rates']);
  assert.deepEqual(flags(':root{--ink:#1d1d1f} a{color:var(--ink)}'), []);
  assert.deepEqual(
    // '$' + '{' spells a template substitution in the scanned source, not in this string.
    literals(
      `const a = 'x --a'; // '--b'\nconst r = /'/; /* '--f' */ const t = \`--c ${'$'}{f('--d')} --e\`;`,
    ),
    ['x --a', '--c … --e', '--d'],
  );
});

test('a bit error rate outside (0, 1) names no flag the command lacks, and fails before any work', async () => {
  const db = join(tempDir(), 'ber.sqlite');
  const r = await cli(
    ...['campaign', 'run', '--db', db, '--model', 'zoo:lenet5', '--data', 'mnist'],
    ...['--plan', 'ber', '--rates', '1e-7,2', '--trials', '1'],
  );
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    'prunefi: error: the bit error rate must be in (0, 1), a probability per stored bit such as 1e-7; got 2\n',
  );
  assert.equal(existsSync(db), false, 'refused before the database was made');
});
