/**
 * One writer per campaign database: an advisory lock held as the `writer` row of the database's
 * own `meta` table (holder pid, host, start time, last renewal).
 *
 * Why a row and not a sidecar lock file made with O_EXCL: taking a lock over from a dead holder
 * is a read-check-write, and with a file two processes can both see the dead holder, and one
 * deletes the lock the other has just made. In the database the check and the write are one
 * `BEGIN IMMEDIATE` transaction, which SQLite runs one at a time, so exactly one taker wins. Readers
 * (status, export, report) never take SQLite's write lock in WAL mode, so they keep working while
 * a writer holds it; and the lock cannot be lost or left behind by moving the file without its
 * sidecar. SQLite's own locking alone is not enough: it only serializes single transactions, and
 * its failure ("UNIQUE constraint failed", "database is locked") names no holder.
 *
 * A holder on this host is dead when its pid is gone. A holder on another host (a database on a
 * shared folder, or copied from another machine) cannot be probed, so the holder renews the row
 * every `RENEW_MS` and a lock not renewed for `LEASE_MS` is taken over.
 */
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { PrunefiError } from '../core/errors.js';

/** The holder of a campaign database's writer lock. */
export interface WriterLock {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO 8601). */
  started: string;
  /** When the holder last renewed it (ISO 8601). */
  renewed: string;
}

/** How often a holder renews its lock: well inside the lease, so a busy holder never loses it. */
export const RENEW_MS = 15_000;
/** A lock not renewed for this long is taken over when its holder's host is not this one. */
export const LEASE_MS = 120_000;

const KEY = 'writer';

/** The lock's holder, or undefined when no writer holds it (or the row is unreadable). */
export function readWriterLock(db: Database.Database): WriterLock | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(KEY) as { value: string } | undefined;
  if (!row) return undefined;
  try {
    const w = JSON.parse(row.value) as Partial<WriterLock>;
    if (typeof w.pid === 'number' && typeof w.host === 'string' && typeof w.started === 'string')
      return { pid: w.pid, host: w.host, started: w.started, renewed: w.renewed ?? w.started };
  } catch {
    // A row that is not a lock (written by hand, or truncated JSON) holds nothing: it is replaced.
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `lock`'s holder can still be writing: 'live', or why it is not ('pid gone' on this
 * host, 'lease expired' on another).
 */
export function holderState(lock: WriterLock, now = Date.now()): 'live' | 'pid gone' | 'lease expired' {
  if (lock.host === hostname()) {
    if (lock.pid === process.pid) return 'live';
    return pidAlive(lock.pid) ? 'live' : 'pid gone';
  }
  const renewed = Date.parse(lock.renewed);
  return Number.isFinite(renewed) && now - renewed < LEASE_MS ? 'live' : 'lease expired';
}

/** The one line that names a lock's holder: "pid 123 on host h since 2026-...". */
export function describeHolder(lock: WriterLock): string {
  return `pid ${lock.pid} on ${lock.host} since ${lock.started}`;
}

/** The lock a new writer in this process would hold. */
function ownLock(): WriterLock {
  const now = new Date().toISOString();
  return { pid: process.pid, host: hostname(), started: now, renewed: now };
}

/**
 * Refuses to write the database at `path` while `held`'s holder is live: CAMPAIGN_LOCKED naming
 * the holder and what to do.
 */
export function refuseLiveHolder(path: string, held: WriterLock | undefined): void {
  if (!held || holderState(held) !== 'live') return;
  throw new PrunefiError(
    'CAMPAIGN_LOCKED',
    `campaign database ${path} is being written by ${describeHolder(held)}; wait for it to finish (\`prunefi campaign status ${path}\` shows its progress) or stop that process, then run \`prunefi campaign resume ${path}\``,
  );
}

/**
 * Takes the writer lock of the database at `path` inside the caller's IMMEDIATE transaction
 * (`db` holds SQLite's write lock, so no other process checks or takes it meanwhile). A live
 * holder is refused (`refuseLiveHolder`); a dead one is replaced.
 */
export function takeWriterLock(db: Database.Database, path: string): WriterLock {
  if (!db.inTransaction) throw new Error('takeWriterLock must run inside an IMMEDIATE transaction');
  refuseLiveHolder(path, readWriterLock(db));
  const mine = ownLock();
  writeLock(db, mine);
  return mine;
}

function writeLock(db: Database.Database, lock: WriterLock): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  ).run(KEY, JSON.stringify(lock));
}

function same(a: WriterLock | undefined, b: WriterLock): boolean {
  return !!a && a.pid === b.pid && a.host === b.host && a.started === b.started;
}

/**
 * Checks that `lock` still holds the database (inside the caller's transaction), so a writer
 * whose lease ran out and was taken over stops before it stores anything: CAMPAIGN_LOCKED naming
 * the new holder.
 */
export function assertWriterLock(db: Database.Database, path: string, lock: WriterLock): void {
  const held = readWriterLock(db);
  if (same(held, lock)) return;
  throw new PrunefiError(
    'CAMPAIGN_LOCKED',
    `lost the writer lock of ${path}${held ? ` to ${describeHolder(held)}` : ''} (this process was not renewing it); stored results are intact: let the other writer finish, or stop it and run \`prunefi campaign resume ${path}\``,
  );
}

/** Renews `lock` (a new `renewed` time) if this process still holds it; returns the lock held. */
export function renewWriterLock(db: Database.Database, lock: WriterLock): WriterLock | undefined {
  return db
    .transaction(() => {
      if (!same(readWriterLock(db), lock)) return undefined;
      const renewed = { ...lock, renewed: new Date().toISOString() };
      writeLock(db, renewed);
      return renewed;
    })
    .immediate();
}

/** Removes `lock` if this process still holds it (a writer that closes cleanly leaves none). */
export function releaseWriterLock(db: Database.Database, lock: WriterLock): void {
  db.transaction(() => {
    if (same(readWriterLock(db), lock)) db.prepare('DELETE FROM meta WHERE key = ?').run(KEY);
  }).immediate();
}
