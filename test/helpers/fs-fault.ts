/**
 * A full disk, a read-only disk or a removed folder on demand, for tests of the real CLI in a
 * child process: `node --import <this file> dist/src/cli/main.js ...`. No mount is needed (CI runs
 * on fresh machines, and root ignores chmod), and nothing in src/ knows about it.
 *
 * - `PRUNEFI_TEST_FS_FAULT={"code":"ENOSPC","path":"x.ckpt","after":1}`: files whose path
 *   contains `path` (temporary files of atomic writes included) open normally `after` times; from
 *   then on ENOSPC fails their first write (the file exists, half-written, as on a full disk),
 *   any other code fails the open itself (EROFS, EACCES, ENOENT).
 * - `PRUNEFI_TEST_SQLITE_PAGES=n`: every SQLite database opened for writing may grow by n pages
 *   (`max_page_count`), after which SQLite itself answers SQLITE_FULL, as on a full disk; SQLite
 *   writes through its own C code, out of reach of the fs module.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import Database from 'better-sqlite3';

const ERRNO: Record<string, [number, string]> = {
  ENOSPC: [-28, 'no space left on device'],
  EROFS: [-30, 'read-only file system'],
  EACCES: [-13, 'permission denied'],
  ENOENT: [-2, 'no such file or directory'],
};

function systemError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const [errno, what] = ERRNO[code] ?? [-5, 'i/o error'];
  const err: NodeJS.ErrnoException = new Error(`${code}: ${what}, ${syscall}${path ? ` '${path}'` : ''}`);
  Object.assign(err, { errno, code, syscall, ...(path ? { path } : {}) });
  return err;
}

const spec = process.env.PRUNEFI_TEST_FS_FAULT;
if (spec) {
  const fault = JSON.parse(spec) as { code: string; path: string; after?: number };
  let opened = 0;
  const doomed = new Set<number>();
  const writing = (flags: unknown): boolean => typeof flags === 'string' && /[wa+]/.test(flags);
  const openSync = fs.openSync;
  fs.openSync = ((path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
    const hit = String(path).includes(fault.path) && writing(flags) && ++opened > (fault.after ?? 0);
    if (hit && fault.code !== 'ENOSPC') throw systemError(fault.code, 'open', String(path));
    const fd = openSync(path, flags as fs.OpenMode, mode);
    if (hit) doomed.add(fd);
    return fd;
  }) as typeof fs.openSync;
  const writeSync = fs.writeSync;
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    if (doomed.has(fd)) throw systemError('ENOSPC', 'write');
    return (writeSync as (fd: number, ...r: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync;
  const closeSync = fs.closeSync;
  fs.closeSync = (fd: number) => {
    doomed.delete(fd);
    closeSync(fd);
  };
  const writeFileSync = fs.writeFileSync;
  fs.writeFileSync = ((path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    if (String(path).includes(fault.path) && ++opened > (fault.after ?? 0))
      throw systemError(fault.code, fault.code === 'ENOSPC' ? 'write' : 'open', String(path));
    return (writeFileSync as (p: fs.PathOrFileDescriptor, ...r: unknown[]) => void)(path, ...rest);
  }) as typeof fs.writeFileSync;
  syncBuiltinESMExports();
}

const pages = process.env.PRUNEFI_TEST_SQLITE_PAGES;
if (pages) {
  const pragma = Database.prototype.pragma;
  Database.prototype.pragma = function (
    this: Database.Database,
    source: string,
    options?: Database.PragmaOptions,
  ) {
    const r = pragma.call(this, source, options);
    // The store sets `synchronous` on every database it opens for writing.
    if (/^synchronous\b/.test(source)) {
      const now = pragma.call(this, 'page_count', { simple: true }) as number;
      pragma.call(this, `max_page_count = ${now + Number(pages)}`);
    }
    return r;
  } as typeof pragma;
}
