/**
 * The decoded-dataset cache: one file per (source files, split, decoder version), holding a JSON
 * header and the raw uint8 images and labels. Entries are written to a temporary file and renamed,
 * so an interrupted run leaves no partial entry; on reading, the content hash stored in the header
 * is checked, so a damaged entry is detected and rebuilt instead of feeding bad pixels to a model.
 */

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { atomicWrite } from '../core/atomic.js';
import { parseByteSize } from '../core/limits.js';
import type { RawSplit } from './source.js';

const MAGIC = 'PRUNEFI-IMAGESET-1\n';
const magicBytes = new TextEncoder().encode(MAGIC);

/** A cached split with where it came from. */
export interface CacheEntry extends RawSplit {
  /** The dataset source that decoded it. */
  readonly source: string;
  readonly split: string;
  /** `imageSetHash` of the data. */
  readonly hash: string;
}

/** The cache folder: `cacheDir`, else $PRUNEFI_CACHE, else ~/.cache/prunefi. */
export function cacheRoot(cacheDir?: string): string {
  return cacheDir || process.env.PRUNEFI_CACHE || join(homedir(), '.cache', 'prunefi');
}

/** The default cap of the decoded-data cache: CIFAR-10's two splits take 185 MB. */
const DEFAULT_CACHE_MAX = 8 * 2 ** 30;

/** The most bytes the decoded-data cache keeps: $PRUNEFI_CACHE_MAX (e.g. 2G), else 8 GiB. */
export function cacheMaxBytes(): number {
  const env = process.env.PRUNEFI_CACHE_MAX;
  return env ? parseByteSize(env, 'PRUNEFI_CACHE_MAX') : DEFAULT_CACHE_MAX;
}

/** The file of the cache entry with key `key`. */
export function cachePath(root: string, key: string): string {
  return join(root, 'datasets', `${key}.bin`);
}

/** Content hash of decoded data: shape, labels and pixels (hex SHA-256). */
export function imageSetHash(shape: readonly number[], images: Uint8Array, labels: Uint8Array): string {
  return createHash('sha256').update(shape.join('x')).update(labels).update(images).digest('hex');
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/**
 * Reads a cache entry: undefined when there is none or it is damaged (wrong magic, truncated,
 * header or hash mismatch). A damaged entry is deleted so it is rebuilt.
 */
export function readCache(path: string): CacheEntry | undefined {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch {
    return undefined;
  }
  const entry = parseEntry(b);
  if (!entry) rmSync(path, { force: true });
  else {
    // The modification time is the entry's last use, which eviction goes by (atime is often off).
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // A read-only cache still serves hits; its entries just keep their age.
    }
  }
  return entry;
}

function parseEntry(b: Buffer): CacheEntry | undefined {
  if (b.length < magicBytes.length + 4 || !b.subarray(0, magicBytes.length).equals(magicBytes))
    return undefined;
  const headLen = b.readUInt32LE(magicBytes.length);
  const start = magicBytes.length + 4 + headLen;
  if (start > b.length) return undefined;
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(b.subarray(magicBytes.length + 4, start).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { source, split, count, shape, classes, hash } = h;
  if (
    typeof source !== 'string' ||
    typeof split !== 'string' ||
    typeof count !== 'number' ||
    typeof hash !== 'string' ||
    !isStringArray(classes) ||
    !Array.isArray(shape) ||
    shape.length !== 3 ||
    !shape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    return undefined;
  }
  const pixels = count * shape[0] * shape[1] * shape[2];
  if (b.length !== start + pixels + count) return undefined;
  // Views into the file's buffer, not copies: a CIFAR-10 training set is 150 MB.
  const images = new Uint8Array(b.buffer, b.byteOffset + start, pixels);
  const labels = new Uint8Array(b.buffer, b.byteOffset + start + pixels, count);
  const s = shape as [number, number, number];
  if (imageSetHash(s, images, labels) !== hash) return undefined;
  return { source, split, count, shape: s, classes, images, labels, hash };
}

/**
 * Writes an entry atomically (see `atomicWrite`): two processes writing the same key both
 * produce a whole file; the last rename wins.
 */
export function writeCache(path: string, entry: CacheEntry): void {
  const max = cacheMaxBytes();
  const header = new TextEncoder().encode(
    JSON.stringify({
      source: entry.source,
      split: entry.split,
      count: entry.count,
      shape: entry.shape,
      classes: entry.classes,
      hash: entry.hash,
    }),
  );
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const chunks = [magicBytes, len, header, entry.images, entry.labels];
  // An entry larger than the whole cap is not kept: it would evict everything and then itself.
  if (chunks.reduce((sum, c) => sum + c.length, 0) > max) return;
  atomicWrite(path, chunks, {
    mkdir: true,
    what: `the dataset cache ${path}`,
    hint: 'check that the folder is writable and has free space, or choose another with $PRUNEFI_CACHE',
  });
  evict(dirname(path), path, max);
}

/**
 * Deletes the least recently used entries of a cache folder until it holds at most `max` bytes;
 * `keep` (the entry just written) stays. Another process may delete the same entries at the same
 * time, or be reading one: a missing file is skipped, and a reader either has the whole file or
 * finds none and decodes again.
 */
function evict(dir: string, keep: string, max: number): void {
  const files: { path: string; size: number; used: number }[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.bin') || name.startsWith('.')) continue;
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st) files.push({ path, size: st.size, used: st.mtimeMs });
  }
  let total = files.reduce((sum, f) => sum + f.size, 0);
  files.sort((a, b) => a.used - b.used);
  for (const f of files) {
    if (total <= max) break;
    if (f.path === keep) continue;
    rmSync(f.path, { force: true });
    total -= f.size;
  }
}
