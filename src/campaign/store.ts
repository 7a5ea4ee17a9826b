/**
 * The campaign result store: one SQLite file (better-sqlite3, WAL) holding the campaign config,
 * its hash, the golden reference, and one row per finished experiment. Each row is committed in
 * its own transaction the moment its experiment ends, so a campaign killed at any point (Ctrl-C,
 * kill -9, power to the process cut) keeps every finished experiment and none half-written; the
 * experiment index is the primary key, so a resumed campaign can never store one twice.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { errorMessage, PrunefiError } from '../core/errors.js';
import { canonicalJson, hashJson } from '../core/hash.js';
import type { Fault } from '../fault/memory.js';
import type { Outcome } from './outcome.js';
import {
  assertWriterLock,
  RENEW_MS,
  readWriterLock,
  refuseLiveHolder,
  releaseWriterLock,
  renewWriterLock,
  takeWriterLock,
  type WriterLock,
} from './writer-lock.js';

/** One stored experiment. */
export interface ExperimentRecord extends Outcome {
  index: number;
  /** The plan stratum ('bit=30', 'ber=1e-07', ...). */
  stratum: string;
  /** Layer hit (or 'multi' when faults span layers, '' when there are none). */
  layer: string;
  /** Bit of the first fault (-1 when there are none). */
  bit: number;
  faultCount: number;
  /** The first faults (at most 64; the rest replay from the seed and index). */
  faults: Fault[];
  seconds: number;
}

/** Stored faults per row: enough to read a row alone; every list replays from (seed, index). */
export const STORED_FAULTS = 64;

/**
 * 2: token outcomes (tokens, token_correct, token_sdc). A schema-1 database (prunefi before
 * sequence outputs; every model a classifier) reads as one token per image; opened for writing,
 * it gains the columns, filled the same way.
 * 3: protection outcomes (corrected, detected); an older database had no protections, so its rows
 * read as 0, and opened for writing it gains the columns the same way.
 */
const SCHEMA = 3;

/** The columns later schemas added, and what they equal for a row of an older database. */
const ADDED_COLUMNS = {
  tokens: 'images',
  token_correct: 'correct',
  token_sdc: 'sdc',
  corrected: '0',
  detected: '0',
} as const;

function storeError(path: string, what: string, err: unknown): PrunefiError {
  const code = (err as { code?: string }).code ?? '';
  let hint = 'check the path';
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_CANTOPEN' ||
    /read-?only|EACCES|EROFS/i.test(errorMessage(err))
  ) {
    hint =
      'the file or its folder is read-only: choose a writable --db path (results already stored are intact)';
  } else if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE') {
    hint = `the disk is full: free space, then \`prunefi campaign resume ${path}\` continues where it stopped (stored results are intact)`;
  } else if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    hint = 'it is not a prunefi campaign database';
  }
  return new PrunefiError('CAMPAIGN_STORE', `${what} ${path}: ${errorMessage(err)}; ${hint}`, { cause: err });
}

/**
 * The first path at which two JSON values differ ('plan.perBit'), with both values, or null
 * when they are equal: the message a refused database gives.
 */
export function firstDifference(
  a: unknown,
  b: unknown,
  path = '',
): { path: string; a: unknown; b: unknown } | null {
  if (canonicalJson(a) === canonicalJson(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (d) return d;
    }
  }
  return { path: path || '(root)', a, b };
}

const COLUMNS = [
  'idx',
  'stratum',
  'layer',
  'bit',
  'fault_count',
  'faults',
  'effect',
  'images',
  'correct',
  'sdc',
  'critical_sdc',
  'tokens',
  'token_correct',
  'token_sdc',
  'nan_images',
  'inf_images',
  'max_logit_dev',
  'words_changed',
  'weights_changed',
  'corrected',
  'detected',
  'images_run',
  'seconds',
] as const;

interface Row {
  idx: number;
  stratum: string;
  layer: string;
  bit: number;
  fault_count: number;
  faults: string;
  effect: string;
  images: number;
  correct: number;
  sdc: number;
  critical_sdc: number;
  tokens: number;
  token_correct: number;
  token_sdc: number;
  nan_images: number;
  inf_images: number;
  max_logit_dev: number | null;
  words_changed: number;
  weights_changed: number;
  corrected: number;
  detected: number;
  images_run: number;
  seconds: number;
}

/** A database whose content prunefi never writes (edited by hand, or damaged on disk). */
function damaged(path: string, what: string): PrunefiError {
  return new PrunefiError(
    'CAMPAIGN_STORE',
    `${path} is damaged: ${what}, which prunefi never writes; rerun the campaign into a new --db`,
  );
}

const TEXT_COLUMNS: ReadonlySet<string> = new Set(['stratum', 'layer', 'faults', 'effect']);

/**
 * Checks that a row holds what `insert` writes: text where text goes, non-negative integer counts
 * (bit -1 for no fault) with correct, SDCs and token counts within their totals, finite seconds,
 * a deviation that is a number or NULL (+Infinity), and a JSON array of faults. Summaries divide
 * by these counts, so a damaged row must not reach them. Returns the parsed faults.
 */
function checkRow(r: Row, path: string): Fault[] {
  const bad = (col: string): PrunefiError =>
    damaged(
      path,
      `experiment ${JSON.stringify(r.idx)} has ${col} = ${JSON.stringify(r[col as keyof Row]) ?? 'a blob'}`,
    );
  for (const col of COLUMNS) {
    const v = r[col];
    if (TEXT_COLUMNS.has(col)) {
      if (typeof v !== 'string') throw bad(col);
    } else if (col === 'max_logit_dev') {
      if (v !== null && (typeof v !== 'number' || Number.isNaN(v))) throw bad(col);
    } else if (col === 'seconds') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(col);
    } else if (!Number.isSafeInteger(v) || (v as number) < (col === 'bit' ? -1 : 0)) throw bad(col);
  }
  if (r.images === 0 || r.correct > r.images || r.sdc > r.images || r.critical_sdc > r.sdc)
    throw bad('images');
  if (r.token_correct > r.tokens || r.token_sdc > r.tokens) throw bad('tokens');
  let faults: unknown;
  try {
    faults = JSON.parse(r.faults);
  } catch {
    throw bad('faults');
  }
  if (!Array.isArray(faults)) throw bad('faults');
  return faults as Fault[];
}

function toRecord(r: Row, path: string): ExperimentRecord {
  const faults = checkRow(r, path);
  return {
    index: r.idx,
    stratum: r.stratum,
    layer: r.layer,
    bit: r.bit,
    faultCount: r.fault_count,
    faults,
    effect: r.effect as Outcome['effect'],
    images: r.images,
    correct: r.correct,
    accuracy: r.correct / r.images,
    sdc: r.sdc,
    criticalSdc: r.critical_sdc,
    tokens: r.tokens,
    tokenCorrect: r.token_correct,
    tokenSdc: r.token_sdc,
    nanImages: r.nan_images,
    infImages: r.inf_images,
    // SQLite stores Infinity as a REAL; NaN never occurs (deviations of NaN logits are Infinity).
    maxLogitDeviation: r.max_logit_dev ?? Number.POSITIVE_INFINITY,
    wordsChanged: r.words_changed,
    weightsChanged: r.weights_changed,
    corrected: r.corrected,
    detected: r.detected,
    imagesRun: r.images_run,
    seconds: r.seconds,
  };
}

/** An open campaign database. */
export class CampaignStore {
  readonly path: string;
  readonly config: unknown;
  readonly configHash: string;
  private readonly db: Database.Database;
  private insertStmt: Database.Statement | undefined;
  /** The SELECT list of a record: schema-1 databases opened read-only derive the token columns. */
  private readonly selectList: string;
  /** The writer lock this store holds (none when opened read-only, or in memory). */
  private lock: WriterLock | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  /** When `checkStillThere` last looked for the file (ms since the epoch). */
  private checkedAt = 0;

  private constructor(path: string, db: Database.Database, config: unknown, lock?: WriterLock) {
    this.path = path;
    this.db = db;
    this.config = config;
    this.configHash = hashJson(config);
    this.lock = lock;
    if (lock) {
      // unref: the renewal never keeps a finished process alive.
      this.renewTimer = setInterval(() => this.renew(), RENEW_MS).unref();
    }
    const have = new Set((db.pragma('table_info(experiments)') as { name: string }[]).map((c) => c.name));
    const missing = Object.keys(ADDED_COLUMNS).filter((c) => !have.has(c));
    if (missing.length && !db.readonly) {
      db.transaction(() => {
        for (const col of missing) {
          db.exec(`ALTER TABLE experiments ADD COLUMN ${col} INTEGER NOT NULL DEFAULT 0`);
          db.exec(`UPDATE experiments SET ${col} = ${ADDED_COLUMNS[col as keyof typeof ADDED_COLUMNS]}`);
          have.add(col);
        }
        db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA));
      })();
    }
    this.selectList = COLUMNS.map((c) =>
      c in ADDED_COLUMNS && !have.has(c) ? `${ADDED_COLUMNS[c as keyof typeof ADDED_COLUMNS]} AS ${c}` : c,
    ).join(', ');
  }

  /**
   * Opens the database for `config`, creating it when absent. An existing database made for a
   * different config is refused (CAMPAIGN_CONFIG_MISMATCH naming the first differing field), so
   * results of two campaigns never mix.
   */
  static openOrCreate(path: string, config: unknown): CampaignStore {
    const db = CampaignStore.connect(path, false);
    let lock: WriterLock | undefined;
    try {
      // One IMMEDIATE transaction creates the tables and takes the writer lock, so of two
      // processes starting on the same new file one creates it and the other finds it locked.
      const created = CampaignStore.immediate(db, path, () => {
        const fresh = !CampaignStore.hasSchema(db);
        if (fresh) {
          db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
              CREATE TABLE IF NOT EXISTS experiments (
                idx INTEGER PRIMARY KEY, stratum TEXT NOT NULL, layer TEXT NOT NULL, bit INTEGER NOT NULL,
                fault_count INTEGER NOT NULL, faults TEXT NOT NULL, effect TEXT NOT NULL,
                images INTEGER NOT NULL, correct INTEGER NOT NULL, sdc INTEGER NOT NULL,
                critical_sdc INTEGER NOT NULL, tokens INTEGER NOT NULL, token_correct INTEGER NOT NULL,
                token_sdc INTEGER NOT NULL, nan_images INTEGER NOT NULL, inf_images INTEGER NOT NULL,
                max_logit_dev REAL, words_changed INTEGER NOT NULL, weights_changed INTEGER NOT NULL,
                corrected INTEGER NOT NULL, detected INTEGER NOT NULL,
                images_run INTEGER NOT NULL, seconds REAL NOT NULL)`);
          const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
          put.run('schema', String(SCHEMA));
          put.run('config', canonicalJson(config));
          put.run('config_hash', hashJson(config));
          put.run('created', new Date().toISOString());
        }
        lock = CampaignStore.lockFor(db, path);
        return fresh;
      });
      if (created) return new CampaignStore(path, db, config, lock);
      const stored = CampaignStore.readConfig(db, path);
      const d = firstDifference(stored, config);
      if (d) {
        throw new PrunefiError(
          'CAMPAIGN_CONFIG_MISMATCH',
          `${path} holds a different campaign: '${d.path}' is ${JSON.stringify(d.a)} there but ${JSON.stringify(d.b)} now; use another --db, or 'prunefi campaign resume ${path}' to continue the stored campaign`,
        );
      }
      return new CampaignStore(path, db, stored, lock);
    } catch (err) {
      if (lock) releaseWriterLock(db, lock);
      db.close();
      if (err instanceof PrunefiError) throw err;
      throw storeError(path, 'cannot initialize campaign database', err);
    }
  }

  /** The writer lock for a store at `path` (none in memory: no other process can open it). */
  private static lockFor(db: Database.Database, path: string): WriterLock | undefined {
    return path === ':memory:' ? undefined : takeWriterLock(db, path);
  }

  /**
   * `run` inside an IMMEDIATE transaction. A writer that keeps SQLite's write lock past the busy
   * timeout (a long transaction, or a process stopped inside one) makes SQLite answer "database is
   * locked"; the holder it names comes from the lock row, which readers can still see.
   */
  private static immediate<T>(db: Database.Database, path: string, run: () => T): T {
    try {
      return db.transaction(run).immediate();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') refuseLiveHolder(path, readWriterLock(db));
      throw err;
    }
  }

  /**
   * Opens an existing campaign database: read-only for status, export and reports (possible while
   * a writer holds it), else as its one writer (resume), taking the writer lock.
   */
  static open(path: string, readonly = false): CampaignStore {
    if (!existsSync(path)) {
      throw new PrunefiError(
        'CAMPAIGN_STORE',
        `campaign database ${path} does not exist; start a campaign with 'prunefi campaign run --db ${path} ...'`,
      );
    }
    const db = CampaignStore.connect(path, readonly);
    try {
      if (!CampaignStore.hasSchema(db)) {
        throw new PrunefiError(
          'CAMPAIGN_STORE',
          `${path} is not a prunefi campaign database (no campaign tables)`,
        );
      }
      const config = CampaignStore.readConfig(db, path);
      const lock = readonly
        ? undefined
        : CampaignStore.immediate(db, path, () => CampaignStore.lockFor(db, path));
      return new CampaignStore(path, db, config, lock);
    } catch (err) {
      db.close();
      if (err instanceof PrunefiError) throw err;
      throw storeError(path, 'cannot read campaign database', err);
    }
  }

  /** Every stored experiment of a campaign database, read without holding it open. */
  static readRecords(path: string): ExperimentRecord[] {
    const store = CampaignStore.open(path, true);
    try {
      return store.records();
    } finally {
      store.close();
    }
  }

  private static connect(path: string, readonly: boolean): Database.Database {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly, fileMustExist: readonly });
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        // NORMAL in WAL mode: a committed row survives the process being killed (the WAL is in
        // the OS cache); only an OS crash may lose the last few rows, never corrupt the file.
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('busy_timeout = 5000');
    } catch (err) {
      throw storeError(path, 'cannot open campaign database', err);
    }
    return db;
  }

  private static hasSchema(db: Database.Database): boolean {
    try {
      return !!db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'").get();
    } catch (err) {
      throw storeError('(database)', 'cannot read', err);
    }
  }

  private static readConfig(db: Database.Database, path: string): unknown {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'config'").get() as
      | { value: string }
      | undefined;
    if (!row)
      throw new PrunefiError('CAMPAIGN_STORE', `${path} has no campaign config; it was not made by prunefi`);
    return JSON.parse(row.value) as unknown;
  }

  /**
   * Runs a read of the database: a damaged file (a corrupt page, a dropped table or column, a
   * value that is not the JSON prunefi wrote) is a CAMPAIGN_STORE error naming it.
   */
  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PrunefiError) throw err;
      throw storeError(this.path, 'cannot read campaign database', err);
    }
  }

  /** A meta value (golden reference, status) or undefined. */
  meta(key: string): string | undefined {
    return this.read(() => {
      const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
        | { value: unknown }
        | undefined;
      if (row === undefined) return undefined;
      if (typeof row.value !== 'string')
        throw damaged(this.path, `meta '${key}' holds a ${typeof row.value}`);
      return row.value;
    });
  }

  /** A meta value that prunefi stores as JSON (golden, stopped), parsed; `fallback` when absent. */
  metaJson(key: string, fallback: unknown): unknown {
    const text = this.meta(key);
    return text === undefined ? fallback : this.read(() => JSON.parse(text) as unknown);
  }

  /** Sets a meta value atomically. */
  setMeta(key: string, value: string): void {
    try {
      this.db
        .prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
        )
        .run(key, value);
    } catch (err) {
      throw storeError(this.path, 'cannot write to campaign database', err);
    }
  }

  /** Indices of the stored experiments, ascending. */
  doneIndices(): Int32Array {
    const rows = this.read(
      () => this.db.prepare('SELECT idx FROM experiments ORDER BY idx').raw().all() as [number][],
    );
    return Int32Array.from(rows, (r) => r[0]);
  }

  /** Number of stored experiments. */
  count(): number {
    return this.read(
      () => (this.db.prepare('SELECT COUNT(*) AS n FROM experiments').get() as { n: number }).n,
    );
  }

  /**
   * Refuses to store into a database whose file was removed (or moved) while it was open: SQLite
   * would go on writing to the unlinked file, and every result would vanish with the process.
   * Checked at most once a second, which costs nothing next to an experiment.
   */
  private checkStillThere(): void {
    const now = Date.now();
    if (this.path === ':memory:' || now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    if (!existsSync(this.path))
      throw new PrunefiError(
        'CAMPAIGN_STORE',
        `campaign database ${this.path} was removed (or its folder was) while the campaign ran; its results since then cannot be kept: restore the folder, or start again with another --db`,
      );
  }

  /** Stores one experiment in its own transaction; a duplicate index is a programming error. */
  insert(r: ExperimentRecord): void {
    this.checkStillThere();
    const row: Row = {
      idx: r.index,
      stratum: r.stratum,
      layer: r.layer,
      bit: r.bit,
      fault_count: r.faultCount,
      faults: JSON.stringify(r.faults.slice(0, STORED_FAULTS)),
      effect: r.effect,
      images: r.images,
      correct: r.correct,
      sdc: r.sdc,
      critical_sdc: r.criticalSdc,
      tokens: r.tokens,
      token_correct: r.tokenCorrect,
      token_sdc: r.tokenSdc,
      nan_images: r.nanImages,
      inf_images: r.infImages,
      max_logit_dev: r.maxLogitDeviation,
      words_changed: r.wordsChanged,
      weights_changed: r.weightsChanged,
      corrected: r.corrected,
      detected: r.detected,
      images_run: r.imagesRun,
      seconds: r.seconds,
    };
    try {
      // Prepared on first use: a read-only older database lacks the added columns to insert into.
      this.insertStmt ??= this.db.prepare(
        `INSERT INTO experiments (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
      );
      const stmt = this.insertStmt;
      const lock = this.lock;
      if (lock)
        this.db
          .transaction(() => {
            assertWriterLock(this.db, this.path, lock);
            stmt.run(row);
          })
          .immediate();
      else stmt.run(row);
    } catch (err) {
      if (err instanceof PrunefiError) throw err;
      throw storeError(this.path, `cannot store experiment ${r.index} in`, err);
    }
  }

  /** The stored experiment `index`, or undefined when it has not run. */
  record(index: number): ExperimentRecord | undefined {
    return this.read(() => {
      const row = this.db.prepare(`SELECT ${this.selectList} FROM experiments WHERE idx = ?`).get(index) as
        | Row
        | undefined;
      return row ? toRecord(row, this.path) : undefined;
    });
  }

  /** Every stored experiment, by index. */
  records(): ExperimentRecord[] {
    return this.read(() =>
      (this.db.prepare(`SELECT ${this.selectList} FROM experiments ORDER BY idx`).all() as Row[]).map((row) =>
        toRecord(row, this.path),
      ),
    );
  }

  /** Limits the database's size in pages (tests use it to simulate a full disk). */
  limitPages(pages: number): void {
    this.db.pragma(`max_page_count = ${Math.floor(pages)}`);
  }

  /** The writer holding this database's lock (shown by `campaign status`), if any. */
  writer(): WriterLock | undefined {
    return readWriterLock(this.db);
  }

  private renew(): void {
    if (!this.lock || !this.db.open) return;
    try {
      // A lock taken over is kept as it was: insert() then refuses, naming the new holder.
      this.lock = renewWriterLock(this.db, this.lock) ?? this.lock;
    } catch {
      // A busy or full disk: the next renewal retries, and insert() checks the lock anyway.
    }
  }

  /** Closes the database (checkpointing the WAL into the main file), releasing the writer lock. */
  close(): void {
    clearInterval(this.renewTimer);
    if (!this.db.open) return;
    try {
      if (this.lock) releaseWriterLock(this.db, this.lock);
    } catch {
      // A disk that cannot take the release leaves the row; the next writer sees this pid gone.
    } finally {
      this.lock = undefined;
      this.db.close();
    }
  }
}
