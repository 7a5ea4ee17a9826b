/**
 * One writer per campaign database: two real `prunefi campaign run` processes on one database
 * (the second is refused naming the first, the first completes; so are resume and a queued
 * coordinator), status showing the holder while
 * it writes, stale locks (a dead pid on this host, an expired lease on another) taken over, and
 * two processes taking over one stale lock at once (exactly one wins).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { LEASE_MS } from '../../src/campaign/writer-lock.js';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';

const MAIN = join(REPO, 'dist/src/cli/main.js');

function runArgs(db: string, perBit: string): string[] {
  return [
    'campaign',
    'run',
    '--db',
    db,
    '--model',
    'zoo:lenet5',
    '--data',
    'mnist',
    '--images-per-class',
    '3',
    '--threads',
    '1',
    '--plan',
    'single-bit',
    '--per-bit',
    perBit,
    '--bits',
    '0-31',
    '--json',
  ];
}

function exited(child: ChildProcess): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** The writer row of `db` as a reader sees it (undefined before the file or the row exists). */
function writerRow(db: string): { pid: number; host: string; started: string } | undefined {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const row = d.prepare("SELECT value FROM meta WHERE key = 'writer'").get() as
        | { value: string }
        | undefined;
      return row ? JSON.parse(row.value) : undefined;
    } finally {
      d.close();
    }
  } catch {
    return undefined;
  }
}

function setWriter(db: string, value: unknown): void {
  const d = new Database(db);
  d.prepare(
    "INSERT INTO meta (key, value) VALUES ('writer', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  ).run(JSON.stringify(value));
  d.close();
}

/** A pid that was just in use on this host and now is not. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

test('two real campaign runs on one database: the second is refused naming the first, which completes', async () => {
  const db = join(tempDir(), 'two.sqlite');
  const first = spawn(process.execPath, [MAIN, ...runArgs(db, '40')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const firstDone = exited(first);
  let held = writerRow(db);
  for (let i = 0; !held && i < 1500; i++) {
    await new Promise((r) => setTimeout(r, 20));
    held = writerRow(db);
  }
  assert.ok(held, 'the first run took the writer lock');
  assert.equal(held.pid, first.pid);
  // Stopped, the first run is alive and holds its lock however long the second takes to start.
  first.kill('SIGSTOP');
  try {
    const status = await cli('campaign', 'status', db);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      new RegExp(`being written by pid ${first.pid} on ${hostname()} since ${held.started}`),
    );
    const second = await exited(
      spawn(process.execPath, [MAIN, ...runArgs(db, '40')], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    assert.equal(second.code, 2, second.stdout);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(
      lines[0]!,
      new RegExp(
        `is being written by pid ${first.pid} on ${hostname()} since ${held.started}; wait for it to finish .* then run \`prunefi campaign resume ${db}\``,
      ),
    );
    // resume, and a queued coordinator (refused before it connects to any Redis), take the same lock.
    for (const argv of [
      ['campaign', 'resume', db, '--threads', '1'],
      ['campaign', 'resume', db, '--queue', 'redis://127.0.0.1:1'],
      [...runArgs(db, '40'), '--queue', 'redis://127.0.0.1:1'],
    ]) {
      const other = await cli(...argv);
      assert.equal(other.code, 2, argv.join(' '));
      assert.match(other.stderr, new RegExp(`being written by pid ${first.pid}`), argv.join(' '));
    }
  } finally {
    first.kill('SIGCONT');
  }
  const r = await firstDone;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([JSON.parse(r.stdout).done, JSON.parse(r.stdout).planned], [1280, 1280]);
  const d = new Database(db, { readonly: true });
  assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
  assert.equal((d.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number }).n, 1280);
  d.close();
  assert.equal(writerRow(db), undefined, 'a writer that finishes releases its lock');
});

test('a stale lock is taken over: a dead pid on this host, an expired lease on another; a live lease is not', async () => {
  const db = join(tempDir(), 'stale.sqlite');
  const run = await cli(...runArgs(db, '1'));
  assert.equal(run.code, 0, run.stderr);
  const pid = deadPid();
  setWriter(db, {
    pid,
    host: hostname(),
    started: '2026-01-01T00:00:00.000Z',
    renewed: '2026-01-01T00:00:00.000Z',
  });
  const status = await cli('campaign', 'status', db, '--json');
  assert.equal(JSON.parse(status.stdout).writer.state, 'pid gone');
  const text = await cli('campaign', 'status', db);
  assert.match(
    text.stdout,
    new RegExp(
      `writer lock left by pid ${pid} on ${hostname()} .*\\(pid gone\\): the next run or resume takes it over`,
    ),
  );
  const resumed = await cli('campaign', 'resume', db, '--threads', '1', '--json');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(writerRow(db), undefined);

  const now = Date.now();
  const remote = (renewedMsAgo: number) => ({
    pid: 1,
    host: `elsewhere-${hostname()}`,
    started: new Date(now - LEASE_MS * 2).toISOString(),
    renewed: new Date(now - renewedMsAgo).toISOString(),
  });
  setWriter(db, remote(1000));
  const refused = await cli('campaign', 'resume', db, '--threads', '1');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /being written by pid 1 on elsewhere-/);
  setWriter(db, remote(LEASE_MS + 1000));
  const taken = await cli('campaign', 'resume', db, '--threads', '1');
  assert.equal(taken.code, 0, taken.stderr);
});

test('two processes taking over one stale lock at once: exactly one wins', async () => {
  const db = join(tempDir(), 'race.sqlite');
  assert.equal((await cli(...runArgs(db, '1'))).code, 0);
  const child = join(REPO, 'dist/test/campaign/child-lock.js');
  for (let round = 0; round < 3; round++) {
    setWriter(db, { pid: deadPid(), host: hostname(), started: 'x', renewed: 'x' });
    const kids = [0, 1].map(() => spawn(process.execPath, [child, db], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const lines = await Promise.all(
      kids.map(
        (k) =>
          new Promise<{ took: boolean; code?: string }>((resolve, reject) => {
            k.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString())));
            k.once('exit', () => reject(new Error('child-lock exited without a line')));
          }),
      ),
    );
    assert.deepEqual(
      lines.map((l) => l.took).sort(),
      [false, true],
      `round ${round}: ${JSON.stringify(lines)}`,
    );
    assert.equal(lines.find((l) => !l.took)?.code, 'CAMPAIGN_LOCKED');
    const winner = kids[lines.findIndex((l) => l.took)]!;
    assert.equal(writerRow(db)?.pid, winner.pid);
    const ends = kids.map((k) => exited(k));
    for (const k of kids) k.stdin.end();
    await Promise.all(ends);
    assert.equal(writerRow(db), undefined);
  }
});
