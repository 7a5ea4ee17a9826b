import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/paths.js';

test("README's table of supported ONNX ops is what the registries say", () => {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts/op-support.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = /<!-- ops:begin -->\n(.*?)<!-- ops:end -->/s.exec(readme)?.[1];
  assert.ok(
    section === r.stdout,
    'README.md\'s "Supported ONNX ops" table is out of date: run `node scripts/op-support.mjs --write`',
  );
});
