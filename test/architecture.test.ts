/**
 * Keeps the architecture of DESIGN.md true: one folder per stage, dependencies pointing downward
 * only, and a single module importing onnxruntime-node. The permissions are read from DESIGN.md's
 * table itself, so the table and the code cannot drift apart: every import (static, side-effect,
 * re-export, dynamic `import()`, and through the package's root `src/index.ts`) must be allowed
 * by the table, every permission in the table must be used, and every repository path DESIGN.md
 * names must exist.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { REPO } from './helpers/paths.js';

const SRC = join(REPO, 'src');
const DESIGN = readFileSync(join(REPO, 'DESIGN.md'), 'utf8');

/** One module specifier a file imports, and whether only types are imported from it. */
interface Import {
  spec: string;
  typeOnly: boolean;
}

/**
 * Every module specifier in a source text: `import … from`, `export … from`, side-effect imports
 * and literal dynamic `import()`. A dynamic import of a computed specifier is returned as `spec:
 * ''`: the test cannot see where it leads, so it is refused.
 */
function importsIn(text: string): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(/\b(?:import|export)\s+(type\s+)?(?:[^;']*?\bfrom\s*)?'([^']+)'/g))
    out.push({ spec: m[2]!, typeOnly: m[1] !== undefined });
  for (const m of text.matchAll(/\bimport\s*\(\s*(?:(['"])([^'"]*)\1\s*\)|(?=[^'"\s]))/g))
    out.push({ spec: m[2] ?? '', typeOnly: false });
  return out;
}

/** The stage of a path relative to src/: its first folder, 'index' for src/index.ts, undefined outside src. */
function stageOf(rel: string): string | undefined {
  if (rel.startsWith('..')) return undefined;
  return rel.includes('/') ? rel.split('/')[0]! : rel.replace(/\.[jt]s$/, '');
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** A stage each import of a file reaches, with the file and how (for messages). */
interface Edge {
  from: string;
  file: string;
  to: string;
  /** The imported file, relative to src (for permissions restricted to one file). */
  toFile: string;
  typeOnly: boolean;
  /** Set when the stage is reached through src/index.ts. */
  via?: string;
}

/** The cross-stage imports of a file given as (path relative to src, text). */
function edgesOf(rel: string, text: string): Edge[] {
  const from = stageOf(rel)!;
  const edges: Edge[] = [];
  for (const { spec, typeOnly } of importsIn(text)) {
    if (spec === '') {
      edges.push({ from, file: rel, to: '(computed import())', toFile: '', typeOnly });
      continue;
    }
    if (!spec.startsWith('.')) continue;
    const toFile = relative(SRC, resolve(SRC, dirname(rel), spec)).replace(/\.js$/, '.ts');
    const to = stageOf(toFile);
    if (to !== undefined && to !== from) edges.push({ from, file: rel, to, toFile, typeOnly });
  }
  return edges;
}

const files = sources(SRC).map((f) => ({ rel: relative(SRC, f), text: readFileSync(f, 'utf8') }));
const rootIndex = files.find((f) => f.rel === 'index.ts')!;
/** What importing src/index.ts pulls in: every stage it re-exports from. */
const rootStages = [...new Set(edgesOf(rootIndex.rel, rootIndex.text).map((e) => e.to))];

/** Every cross-stage import of the stages, an import of src/index.ts counting as one of each stage it re-exports. */
const edges: Edge[] = files
  .filter((f) => f !== rootIndex)
  .flatMap((f) => edgesOf(f.rel, f.text))
  .flatMap((e) => (e.to === 'index' ? rootStages.map((to) => ({ ...e, to, via: 'src/index.ts' })) : [e]));

/** One row of DESIGN.md's architecture table: what a stage may import, and which only as types. */
interface Permission {
  stage: string;
  may: string[];
  typesOnly: Set<string>;
  /** Stages that may be imported through one file only ('(tensor.ts only: …)'), mapped to that file. */
  oneFile: Map<string, string>;
}

/** DESIGN.md's architecture table, top (cli) to bottom (core). */
function designTable(): Permission[] {
  const rows = [...DESIGN.matchAll(/^\| `src\/([a-z]+)\/` \|[^|]*\| ([^|]*) \|$/gm)];
  assert.ok(rows.length > 0, "DESIGN.md's architecture table is gone");
  return rows.map((r, i) => {
    const stage = r[1]!;
    const cell = r[2]!.trim();
    if (cell === 'everything below') {
      const below = rows.slice(i + 1).map((b) => b[1]!);
      return {
        stage,
        may: below.filter((s) => s !== 'core'),
        typesOnly: new Set<string>(),
        oneFile: new Map<string, string>(),
      };
    }
    const may: string[] = [];
    const typesOnly = new Set<string>();
    const oneFile = new Map<string, string>();
    // A permission is a stage name, optionally followed by a note; '(types only …)' and
    // '(name.ts only …)' restrict it.
    for (const m of cell.matchAll(/(?:^|,)\s*([a-z]+)(?:\s*\(([^)]*)\))?/g)) {
      may.push(m[1]!);
      if (m[2]?.startsWith('types only')) typesOnly.add(m[1]!);
      const file = m[2]?.match(/^([\w-]+\.ts) only/)?.[1];
      if (file) oneFile.set(m[1]!, `${m[1]}/${file}`);
    }
    return { stage, may, typesOnly, oneFile };
  });
}

const TABLE = designTable();
const permissionOf = (stage: string): Permission | undefined => TABLE.find((p) => p.stage === stage);

test('the import scanner sees re-exports, side-effect and dynamic imports, and src/index.ts', () => {
  const text = [
    "import type { Tensor } from '../onnx/tensor.js';",
    "import {\n  a,\n  type B,\n} from '../train/loop.js';",
    "export { c } from '../data/batch.js';",
    "import '../fault/memory.js';",
    "const m = await import('../study/runner.js');",
    'const n = await import(name);',
    "import { runStudy } from '../index.js';",
    "import { local } from './same-stage.js';",
  ].join('\n');
  assert.deepEqual(
    edgesOf('prune/x.ts', text).map((e) => `${e.to}${e.typeOnly ? ' (types)' : ''}`),
    ['onnx (types)', 'train', 'data', 'fault', 'index', 'study', '(computed import())'],
  );
  assert.ok(rootStages.includes('study') && rootStages.includes('prune'), rootStages.join(', '));
});

test("DESIGN.md's table names every stage folder of src/, and only those", () => {
  const folders = readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  assert.deepEqual(TABLE.map((p) => p.stage).sort(), folders);
});

test('every stage imports only what DESIGN.md allows it (src/core/ is open to all)', () => {
  const violations = edges
    .filter((e) => {
      if (e.to === 'core') return false;
      const p = permissionOf(e.from);
      const file = p?.oneFile.get(e.to);
      return (
        !p?.may.includes(e.to) ||
        (p.typesOnly.has(e.to) && !e.typeOnly) ||
        (file !== undefined && e.toFile !== file)
      );
    })
    .map((e) => {
      const p = permissionOf(e.from);
      const file = p?.oneFile.get(e.to);
      const how = p?.typesOnly.has(e.to)
        ? ' values (only its types are allowed)'
        : file
          ? ` through ${e.toFile} (only src/${file} is allowed)`
          : '';
      return `src/${e.file} imports ${e.to}${how}${e.via ? ` via ${e.via}` : ''}`;
    });
  assert.deepEqual(violations, []);
});

test('every permission in DESIGN.md is used by some import', () => {
  const unused = TABLE.flatMap((p) =>
    p.may
      .filter((to) => !edges.some((e) => e.from === p.stage && e.to === to))
      .map((to) => `src/${p.stage}/ may import ${to} but does not`),
  );
  assert.deepEqual(unused, []);
});

test('every repository path DESIGN.md names exists', () => {
  const paths = [...DESIGN.matchAll(/(?<![\w./-])((?:src|test|bench|scripts|schema)\/[\w./-]*[\w/])/g)].map(
    (m) => m[1]!,
  );
  assert.ok(paths.length > 0);
  assert.deepEqual(
    [...new Set(paths)].filter((p) => !existsSync(join(REPO, p))),
    [],
  );
});

test('only src/runtime/session.ts imports onnxruntime-node', () => {
  const importers = files
    .filter((f) => importsIn(f.text).some((i) => i.spec === 'onnxruntime-node'))
    .map((f) => f.rel);
  assert.deepEqual(importers, ['runtime/session.ts']);
});
