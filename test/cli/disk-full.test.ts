/**
 * A full disk, a read-only disk and a removed output folder, met by the real CLI in a child
 * process during a campaign, a training checkpoint, a study step and a report: one line
 * (PrunefiError, exit 2) naming the path and what to do, earlier results and checkpoints intact,
 * no temporary file left, and the same command (or resume) finishing once the disk is back. The
 * faults come from test/helpers/fs-fault.ts (ENOSPC at a file's first write, EROFS at its open,
 * SQLite's own SQLITE_FULL past a page budget), so the test needs no mount and runs as root.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { TINY_STUDY } from '../helpers/study.js';

const FAULT = pathToFileURL(join(REPO, 'dist/test/helpers/fs-fault.js')).href;
const MAIN = join(REPO, 'dist/src/cli/main.js');

interface Run {
  code: number;
  stdout: string;
  /** The one `prunefi: error:` line (progress bars share stderr), or '' when there is none. */
  error: string;
  stderr: string;
}

function prunefi(argv: string[], fault: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, ['--import', FAULT, MAIN, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, ...fault },
    timeout: 120_000,
  });
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('prunefi: error:'));
  assert.ok(errors.length <= 1, r.stderr);
  return { code: r.status ?? -1, stdout: r.stdout, error: errors[0] ?? '', stderr: r.stderr };
}

const enospc = (path: string, after = 0) => ({
  PRUNEFI_TEST_FS_FAULT: JSON.stringify({ code: 'ENOSPC', path, after }),
});

/** Every file under `dir` (relative path → bytes), temporary files of atomic writes included. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p.slice(dir.length + 1), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

function noTemporaries(dir: string): void {
  const left = [...snapshot(dir).keys()].filter((p) => p.endsWith('.tmp'));
  assert.deepEqual(left, [], 'an atomic write that failed removes its temporary file');
}

const campaign = (db: string) => [
  ...['campaign', 'run', '--db', db, '--model', 'zoo:lenet5', '--data', 'mnist', '--images-per-class', '3'],
  ...['--threads', '1', '--plan', 'single-bit', '--per-bit', '6', '--bits', '0-31', '--json'],
];

/** A run's outcomes, without their timings. */
function outcomes(db: string): unknown[] {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare('SELECT * FROM experiments ORDER BY idx')
      .all()
      .map((r) => ({ ...(r as object), seconds: 0 }));
  } finally {
    d.close();
  }
}

test('a campaign on a full disk stops with one line, keeps what it stored, and resumes to the same results', () => {
  const dir = tempDir();
  const clean = join(dir, 'clean.sqlite');
  assert.equal(prunefi(campaign(clean)).code, 0);
  const db = join(dir, 'full.sqlite');
  // Three more pages than the new database has: SQLite answers SQLITE_FULL after a few dozen rows.
  const full = prunefi(campaign(db), { PRUNEFI_TEST_SQLITE_PAGES: '3' });
  assert.equal(full.code, 2, full.stderr);
  assert.match(
    full.error,
    new RegExp(
      `cannot store experiment \\d+ in ${db}: database or disk is full; the disk is full: free space, then \`prunefi campaign resume ${db}\``,
    ),
  );
  const d = new Database(db, { readonly: true });
  assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
  const stored = (d.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number }).n;
  d.close();
  assert.ok(stored > 0 && stored < 192, `${stored} stored before the disk filled`);
  const resumed = prunefi(['campaign', 'resume', db, '--threads', '1', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).ranNow, 192 - stored);
  assert.deepEqual(outcomes(db), outcomes(clean), 'every outcome as in an uninterrupted run');
});

test('a training checkpoint on a full disk: the last one stays intact and --resume finishes the run', () => {
  const dir = tempDir();
  const out = join(dir, 'lenet.onnx');
  const ckpt = `${out}.ckpt`;
  const args = ['train', '--model', 'zoo:lenet5', '--data', 'mnist', '--epochs', '2', '--train-limit', '64'];
  const run = [...args, '--limit', '20', '--threads', '1', '-o', out, '--json'];
  // The first epoch's checkpoint is written; the second's meets the full disk.
  const full = prunefi(run, enospc('lenet.onnx.ckpt', 1));
  assert.equal(full.code, 2, full.stderr);
  assert.equal(
    full.error,
    `prunefi: error: could not write ${ckpt}: ENOSPC: no space left on device, write; the disk is full: free space, then continue (what was written before is intact); the last checkpoint, ${ckpt}, is intact: continue with the same command plus --resume ${ckpt}`,
  );
  assert.equal(loadCheckpoint(ckpt).epoch, 1, 'the first epoch’s checkpoint, whole');
  noTemporaries(dir);
  const resumed = prunefi([...run, '--resume', ckpt]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(statSync(out).size > 0);
});

test('a study step on a full disk: finished steps are kept and the same command continues', () => {
  const dir = tempDir();
  const config = join(dir, 'study.json');
  writeFileSync(config, JSON.stringify(TINY_STUDY));
  const out = join(dir, 'out');
  const run = ['study', '--config', config, '--out', out, '--json'];
  // Three steps record their results; the fourth's result.json meets the full disk.
  const full = prunefi(run, enospc('result.json', 3));
  assert.equal(full.code, 2, full.stderr);
  assert.match(
    full.error,
    new RegExp(
      `could not write ${out}/artifacts/[a-z]+/[0-9a-f]+/result\\.json: ENOSPC: no space left on device, write; the disk is full: free space, then continue .*; the study's finished steps are kept: run the same command again to continue$`,
    ),
  );
  noTemporaries(out);
  const again = prunefi(run);
  assert.equal(again.code, 0, again.stderr);
  const r = JSON.parse(again.stdout) as { steps: number; reused: number };
  assert.deepEqual([r.steps, r.reused], [8, 3]);

  // The report, on a full disk: the earlier report's files stay whole, the same command rewrites it.
  const before = snapshot(out);
  const report = prunefi(run, enospc('report-numbers.csv'));
  assert.equal(report.code, 2, report.stderr);
  assert.match(report.error, new RegExp(`could not write report file ${out}/report-numbers\\.csv: ENOSPC`));
  const after = snapshot(out);
  for (const f of ['report.html', 'report-numbers.csv'])
    assert.ok(after.get(f)?.equals(before.get(f)!), `${f} is the earlier report's`);
  noTemporaries(out);
  assert.equal(prunefi(run).code, 0);
});

test('a read-only disk and a removed output folder are one line saying what to do', () => {
  const dir = tempDir();
  const db = join(dir, 'c.sqlite');
  assert.equal(prunefi(campaign(db)).code, 0);
  const csv = join(dir, 'out', 'c.csv');
  const ro = prunefi(['campaign', 'export', db, '--out', csv], {
    PRUNEFI_TEST_FS_FAULT: JSON.stringify({ code: 'EROFS', path: 'c.csv' }),
  });
  assert.equal(ro.code, 2);
  assert.match(
    ro.error,
    new RegExp(`could not write ${csv}: EROFS: read-only file system, open .*; check permissions`),
  );
  // A folder that is gone (here: never made, as when removed mid-run): no stack, the path, what to do.
  const gone = prunefi(['campaign', 'export', db, '--out', csv]);
  assert.equal(gone.code, 2);
  assert.match(
    gone.error,
    new RegExp(`could not write ${csv}: ENOENT.*; its folder does not exist \\(was it removed\\?\\)`),
  );
  const removed = join(dir, 'removed');
  const r = prunefi(['report', db, '-o', join(removed, 'r.html')], {
    PRUNEFI_TEST_FS_FAULT: JSON.stringify({ code: 'ENOENT', path: 'removed/' }),
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.error, /its folder does not exist \(was it removed\?\)/);
  rmSync(dir, { recursive: true, force: true });
});

test('every file prunefi writes goes through atomicWrite (SQLite databases aside, which commit whole rows)', () => {
  const offenders: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith(join('core', 'atomic.ts'))) {
        const src = readFileSync(p, 'utf8');
        for (const api of [
          'writeFileSync',
          'appendFileSync',
          'createWriteStream',
          'writeSync',
          'writeFile(',
          'renameSync',
        ])
          if (src.includes(api)) offenders.push(`${p.slice(REPO.length + 1)}: ${api}`);
      }
    }
  };
  walk(join(REPO, 'src'));
  assert.deepEqual(offenders, []);
});
