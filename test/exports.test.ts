import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from './helpers/paths.js';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
  bin: Record<string, string>;
};

test('every export of package.json loads by its public name and exports something', async () => {
  for (const key of Object.keys(pkg.exports)) {
    if (key === './package.json') continue;
    const name = key === '.' ? 'prunefi' : `prunefi/${key.slice(2)}`;
    // A variable specifier keeps the compiler from resolving the package against its own output.
    const spec: string = name;
    const mod = (await import(spec)) as Record<string, unknown>;
    assert.ok(Object.keys(mod).length > 0, `${name} exports nothing`);
  }
  const main = (await import('prunefi' as string)) as Record<string, unknown>;
  for (const fn of ['loadModel', 'pruneModel', 'runCampaign', 'runStudy', 'train', 'resolveModel']) {
    assert.equal(typeof main[fn], 'function', fn);
  }
});

test('the bin points at the built CLI', () => {
  assert.equal(pkg.bin.prunefi, 'dist/src/cli/main.js');
  assert.match(readFileSync(join(REPO, 'src/cli/main.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
});
