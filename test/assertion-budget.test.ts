/**
 * The budget of non-null assertions (`x!`), which undo `noUncheckedIndexedAccess`: Biome's
 * `noNonNullAssertion` rule counts them in src/, and the count may only go down. The README's
 * development notes state the budget; lower it there when a change removes some.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from './helpers/paths.js';

test('non-null assertions in src/ stay within the README budget', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const budget = /at most (\d+) non-null assertions/.exec(readme);
  assert.ok(budget, "README's development notes state 'at most N non-null assertions'");
  const biome = join(REPO, 'node_modules/@biomejs/biome/bin/biome');
  const r = spawnSync(
    process.execPath,
    [biome, 'lint', '--only=style/noNonNullAssertion', '--max-diagnostics=0', 'src'],
    { cwd: REPO, encoding: 'utf8' },
  );
  const found = /Found (\d+) warnings?/.exec(`${r.stdout}${r.stderr}`);
  const count = found ? Number(found[1]) : 0;
  assert.ok(found || /No fixes applied/.test(`${r.stdout}${r.stderr}`), `biome ran: ${r.stderr}`);
  assert.ok(
    count <= Number(budget[1]),
    `${count} non-null assertions in src/, over the README's budget of ${budget[1]}: use a checked accessor instead`,
  );
});
