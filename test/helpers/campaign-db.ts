/** Reads a campaign database the way tests compare two of them: everything but timings. */
import Database from 'better-sqlite3';

/** Every stored column of every experiment but its time, by index. */
export function storedOutcomes(db: string): unknown[] {
  const d = new Database(db, { readonly: true });
  try {
    const rows = d.prepare('SELECT * FROM experiments ORDER BY idx').all() as Record<string, unknown>[];
    return rows.map(({ seconds: _s, ...r }) => r);
  } finally {
    d.close();
  }
}

/** The stored row of a meta key (undefined when absent). */
export function storedMeta(db: string, key: string): unknown {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT value FROM meta WHERE key = ?').get(key);
  } finally {
    d.close();
  }
}
