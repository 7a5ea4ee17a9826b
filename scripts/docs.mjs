// `npm run docs`: the API reference, generated from the TSDoc comments of the built .d.ts files
// by API Extractor (one doc model per package.json entry point) and rendered to Markdown by API
// Documenter into docs/api/<entry>/. An exported symbol without a doc comment fails the run
// (ae-undocumented on a top-level declaration is an error), which is how the test suite keeps
// every export documented; undocumented members (fields of exported interfaces) are counted.
// `--check` only extracts (no Markdown), for the test suite.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const checkOnly = process.argv.includes('--check');
const entries = Object.entries(pkg.exports).filter(([, v]) => typeof v === 'object');
const models = join(root, 'dist', 'api-model');
rmSync(models, { recursive: true, force: true });

let problems = 0;
let members = 0;
const lines = new Map();
/** Whether the declaration at (file, line) is top-level (an export), not a member of one. */
function topLevel(file, line) {
  if (!lines.has(file)) lines.set(file, readFileSync(file, 'utf8').split('\n'));
  return /^export /.test(lines.get(file)[line - 1] ?? '');
}
for (const [subpath, target] of entries) {
  const entry = subpath === '.' ? 'prunefi' : subpath.slice(2);
  const apiJson = join(models, entry, `${entry}.api.json`);
  mkdirSync(join(models, entry), { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: join(root, target.types),
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            lib: ['ES2023'],
            types: ['node'],
            skipLibCheck: true,
          },
          files: [join(root, target.types)],
        },
      },
      // The report is only a by-product here (kept under dist/): API Extractor reports
      // undocumented exports while writing it.
      apiReport: {
        enabled: true,
        reportFileName: `${entry}.api.md`,
        reportFolder: join(models, entry),
        reportTempFolder: join(models, entry, 'temp'),
      },
      docModel: { enabled: true, apiJsonFilePath: apiJson },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          'ae-undocumented': { logLevel: 'error', addToApiReportFile: false },
          // prunefi has one release level (public), so release tags would be noise.
          'ae-missing-release-tag': { logLevel: 'none' },
          // Stage indexes re-export types that other stages define; both places are documented.
          'ae-forgotten-export': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: join(root, 'package.json'),
    packageJson: { ...pkg, name: entry === 'prunefi' ? 'prunefi' : `prunefi-${entry}` },
  });
  const result = Extractor.invoke(config, {
    localBuild: true,
    messageCallback: (m) => {
      // The bundled-compiler notice and the by-product report's creation are noise.
      if (m.messageId === 'console-compiler-version-notice' || m.messageId === 'console-api-report-created')
        m.logLevel = 'none';
      if (
        m.messageId === 'ae-undocumented' &&
        m.sourceFilePath &&
        !topLevel(m.sourceFilePath, m.sourceFileLine)
      ) {
        members++;
        m.logLevel = 'none';
      }
    },
  });
  if (!result.succeeded) {
    problems += result.errorCount;
    console.error(`docs: ${subpath}: ${result.errorCount} error(s) (above)`);
  }
}
if (members > 0) console.log(`docs: ${members} exported interface members have no doc comment of their own`);
if (problems > 0) {
  console.error(`docs: ${problems} problem(s); every export needs a /** doc comment */`);
  process.exit(1);
}
if (!checkOnly) {
  const out = join(root, 'docs', 'api');
  rmSync(out, { recursive: true, force: true });
  for (const [subpath] of entries) {
    const entry = subpath === '.' ? 'prunefi' : subpath.slice(2);
    const bin = join(root, 'node_modules', '@microsoft', 'api-documenter', 'bin', 'api-documenter');
    const r = spawnSync(
      process.execPath,
      [bin, 'markdown', '-i', join(models, entry), '-o', join(out, entry)],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  console.log(`docs: API reference for ${entries.length} entry points in docs/api/`);
}
