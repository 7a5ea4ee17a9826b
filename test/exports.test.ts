import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('every subpath export is an explicit, curated list: no export *, internals stay out', async () => {
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (key === './package.json') continue;
    const types = (target as { types: string }).types;
    const source = join(REPO, types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'));
    assert.doesNotMatch(readFileSync(source, 'utf8'), /export \*/, `${source} re-exports a whole module`);
  }
  // Helpers the stages share among themselves, one per stage: reachable only by a deep import.
  const internal: Record<string, string[]> = {
    core: ['argmaxRows', 'atomicWrite', 'unknownName'],
    onnx: ['attrInt', 'nameGenerator', 'windowGeometry'],
    fault: ['suffixModel', 'bitMask', 'FLOAT32'],
    prune: ['PRUNE_META', 'selectChannels', 'magnitude'],
    campaign: ['goldenMetaJson', 'planFromCli', 'makeGolden'],
    study: ['planStudy', 'ArtifactStore', 'runStep'],
    models: ['exportScope', 'lenet5'],
    runtime: ['parseDevice'],
  };
  for (const [stage, names] of Object.entries(internal)) {
    const mod = (await import(`prunefi/${stage}` as string)) as Record<string, unknown>;
    for (const n of names) assert.equal(mod[n], undefined, `prunefi/${stage} exports the internal ${n}`);
  }
});

test('the bin points at the built CLI', () => {
  assert.equal(pkg.bin.prunefi, 'dist/src/cli/main.js');
  assert.match(readFileSync(join(REPO, 'src/cli/main.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
});

test('every export of every entry point has a doc comment (API Extractor, as npm run docs)', () => {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts/docs.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `scripts/docs.mjs --check failed:\n${r.stdout}\n${r.stderr}`);
});

test('the package holds the CLI and the library, nothing of tests or benches, and --version matches', () => {
  // --ignore-scripts: `prepare` would rebuild dist/ under the other test files' feet.
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const [packed] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  const files = packed!.files.map((f) => f.path);
  for (const need of [
    'dist/src/cli/main.js',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'schema/onnx.proto',
    'CHANGELOG.md',
  ])
    assert.ok(files.includes(need), `the tarball has ${need}`);
  const stray = files.filter((f) => /^(dist\/)?(test|bench|scripts|examples)\//.test(f));
  assert.deepEqual(stray, [], 'no tests, benches or scripts in the tarball');
  const version = spawnSync(process.execPath, [join(REPO, pkg.bin.prunefi ?? ''), '--version'], {
    encoding: 'utf8',
  });
  assert.equal(
    version.stdout.trim(),
    (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version,
  );
});
