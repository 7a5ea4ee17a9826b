/**
 * Keeps the architecture of DESIGN.md true: one folder per stage, dependencies pointing downward
 * only, and a single module importing onnxruntime-node.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { REPO } from './helpers/paths.js';

/** What each stage may import (besides itself), as DESIGN.md's table says. */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  onnx: ['core'],
  stats: ['core'],
  data: ['core', 'onnx'],
  models: ['core', 'onnx'],
  runtime: ['core', 'onnx'],
  fault: ['core', 'onnx'],
  train: ['core', 'onnx', 'runtime', 'data'],
  prune: ['core', 'onnx', 'data', 'train', 'runtime'],
  campaign: ['core', 'onnx', 'fault', 'runtime', 'stats', 'data'],
  report: ['core', 'stats'],
  study: [
    'core',
    'onnx',
    'data',
    'models',
    'runtime',
    'fault',
    'train',
    'prune',
    'campaign',
    'stats',
    'report',
  ],
  cli: [
    'core',
    'onnx',
    'data',
    'models',
    'runtime',
    'fault',
    'train',
    'prune',
    'campaign',
    'stats',
    'report',
    'study',
  ],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const SRC = join(REPO, 'src');
const files = sources(SRC);

test('every stage imports only the stages below it', () => {
  const violations: string[] = [];
  for (const file of files) {
    const rel = relative(SRC, file);
    const stage = rel.split('/')[0]!;
    if (!rel.includes('/')) continue; // src/index.ts re-exports everything
    const allowed = ALLOWED[stage];
    assert.ok(allowed, `src/${stage} is not a stage DESIGN.md names`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from '((?:\.\.\/)+)([a-z]+)\//g)) {
      const up = m[1]!.length / 3;
      const depth = rel.split('/').length - 1;
      if (up !== depth) continue; // a relative import inside the same stage
      const target = m[2]!;
      if (target !== stage && !allowed.includes(target)) violations.push(`src/${rel} imports src/${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('only src/runtime/session.ts imports onnxruntime-node', () => {
  const importers = files
    .filter((f) => /from 'onnxruntime-node'/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(SRC, f));
  assert.deepEqual(importers, ['runtime/session.ts']);
});
