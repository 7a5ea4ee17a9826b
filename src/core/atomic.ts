/**
 * Atomic file writes: results, models, checkpoints and caches appear whole or not at all. Data is
 * written to a uniquely named temporary file in the same folder, flushed to disk, then renamed
 * over the final name (rename is atomic on POSIX file systems), so an interrupted or failed write
 * never leaves a truncated file where a good one was, and two writers never interleave.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileErrorHint, PrunefiError } from './errors.js';

/**
 * Writes `data` (a string, bytes, or byte chunks written in order) to `path` atomically, creating
 * the folder when `mkdir` is set. Failures are `PrunefiError('IO')` naming the file (`what`
 * describes it, default its path) and what to do about the cause (free space, permissions, a
 * removed folder); `hint` replaces that advice.
 */
export function atomicWrite(
  path: string,
  data: string | Uint8Array | readonly Uint8Array[],
  options: { mkdir?: boolean; what?: string; hint?: string } = {},
): void {
  const chunks = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`,
  );
  try {
    if (options.mkdir) mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      for (const chunk of chunks) {
        let at = 0;
        while (at < chunk.length) at += writeSync(fd, chunk, at);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The folder itself is unusable: there is no temporary file to remove.
    }
    throw new PrunefiError(
      'IO',
      `could not write ${options.what ?? path}: ${(err as Error).message}; ${options.hint ?? fileErrorHint(err)}`,
      { cause: err },
    );
  }
}
