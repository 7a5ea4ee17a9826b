/**
 * A read-only view of a set of files, the same whether they sit in a folder or inside a tar
 * archive, so every dataset source is written once for both. Paths are relative, '/'-separated
 * and sorted (code-unit order, as Python's sorted() orders ASCII names).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTar } from './tar.js';

/** Files of a folder or archive. */
export interface FileTree {
  /** Where the files are, for messages: a folder path or an archive path. */
  readonly location: string;
  /** True when the tree is an archive (its files are named `archive: inner/path` in messages). */
  readonly isArchive: boolean;
  /** Relative paths of the regular files, sorted. */
  readonly paths: readonly string[];
  /** The bytes of one file. */
  read(path: string): Uint8Array;
  /** Size of one file in bytes. */
  size(path: string): number;
}

/** File names that tar files made on other systems carry but that are not data. */
function ignored(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX' || name === 'Thumbs.db';
}

/** How deep folder walks go: dataset layouts are at most split/class/subfolder/file below a wrapper. */
const MAX_DEPTH = 6;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The files below `root` (hidden files and folders skipped). */
export function folderTree(root: string): FileTree {
  const paths: string[] = [];
  const walk = (dir: string, rel: string, depth: number): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (ignored(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const full = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const s = statSync(full, { throwIfNoEntry: false });
        isDir = s?.isDirectory() ?? false;
        isFile = s?.isFile() ?? false;
      }
      if (isDir && depth < MAX_DEPTH) walk(full, r, depth + 1);
      else if (isFile) paths.push(r);
    }
  };
  walk(root, '', 0);
  paths.sort(compare);
  return {
    location: root,
    isArchive: false,
    paths,
    read: (p) => readFileSync(join(root, p)),
    size: (p) => statSync(join(root, p)).size,
  };
}

/** The files of a tar or tar.gz archive given as bytes; `location` names it in messages. */
export function archiveTree(bytes: Uint8Array, location: string): FileTree {
  const files = new Map<string, Uint8Array>();
  for (const e of readTar(bytes, location)) {
    if (e.path.split('/').some(ignored)) continue;
    files.set(e.path, e.data);
  }
  const paths = [...files.keys()].sort(compare);
  const get = (p: string): Uint8Array => {
    const d = files.get(p);
    if (!d) throw new Error(`no file ${p} in ${location}`);
    return d;
  };
  return { location, isArchive: true, paths, read: get, size: (p) => get(p).length };
}

/** How a file of a tree is named in messages: the path, or `archive: member` for archives. */
export function describe(tree: FileTree, path: string): string {
  return tree.isArchive ? `${tree.location}: ${path}` : join(tree.location, path);
}

/** True when a file name is a tar archive by its extension. */
export function isArchiveName(name: string): boolean {
  return /\.(tar|tar\.gz|tgz)$/i.test(name);
}
