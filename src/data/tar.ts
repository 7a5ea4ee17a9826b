/**
 * A small tar reader (POSIX ustar, pax extended headers, GNU long names) over an in-memory
 * archive, gzipped or not. Datasets are read whole anyway, so the archive is decompressed into
 * memory once and entries are views into that buffer: no copies, no temporary files.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { errorMessage, PrunefiError } from '../core/errors.js';
import { formatBytes, memoryLimit, memoryRefusal } from '../core/limits.js';

/** A regular file inside an archive. `data` is a view into the decompressed archive. */
export interface TarEntry {
  readonly path: string;
  readonly data: Uint8Array;
}

const BLOCK = 512;
const utf8 = new TextDecoder('utf-8');

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes, or returns them when they are not gzipped (as a plain Uint8Array view). */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A gzip stream does not say how large it inflates to (its trailer's size is modulo 4 GiB), so
  // the output is capped instead: a small file that inflates past the memory limit is refused.
  const limit = Math.max(1, Math.min(memoryLimit(), bufferConstants.MAX_LENGTH));
  try {
    const out = gunzipSync(bytes, { maxOutputLength: limit });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw memoryRefusal('DATA_INVALID', `${file} inflates to more than ${formatBytes(limit)}`, limit);
    throw new PrunefiError(
      'DATA_INVALID',
      `${file} is not a valid gzip file (${errorMessage(err)}); it may be truncated: download or copy it again`,
      { cause: err },
    );
  }
}

function cString(b: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && b[end] !== 0) end++;
  return utf8.decode(b.subarray(start, end));
}

/** A numeric header field: octal ASCII, or GNU base-256 when the top bit of the first byte is set. */
function numberField(b: Uint8Array, start: number, len: number): number {
  if ((b[start]! & 0x80) !== 0) {
    let v = b[start]! & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = cString(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return Number.NaN;
  return Number.parseInt(s, 8);
}

function checksumOk(b: Uint8Array, at: number): boolean {
  const stored = numberField(b, at + 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[at + i]!;
  return stored === sum;
}

function isZeroBlock(b: Uint8Array, at: number): boolean {
  for (let i = at; i < at + BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** Parses pax records ("<len> <key>=<value>\n") into a map. */
function paxRecords(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number.parseInt(utf8.decode(data.subarray(pos, sp)), 10);
    if (!(len > 0) || pos + len > data.length) break;
    const rec = utf8.decode(data.subarray(sp + 1, pos + len - 1));
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * Lists the regular files of a tar archive (decompressing it first if it is gzipped). Directories,
 * links and device entries are skipped. `file` names the archive in error messages.
 */
export function readTar(bytes: Uint8Array, file: string): TarEntry[] {
  const b = maybeGunzip(bytes, file);
  const entries: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let pax: Map<string, string> | undefined;
  const bad = (what: string): PrunefiError =>
    new PrunefiError(
      'DATA_INVALID',
      `${file} is not a readable tar archive: ${what} at byte ${pos}; expected a .tar or .tar.gz made by tar, got something else or a truncated file`,
    );
  while (pos + BLOCK <= b.length) {
    if (isZeroBlock(b, pos)) break;
    if (!checksumOk(b, pos)) throw bad('bad header checksum');
    let size = numberField(b, pos + 124, 12);
    const type = String.fromCharCode(b[pos + 156]!);
    if (pax?.has('size')) size = Number(pax.get('size'));
    if (!Number.isSafeInteger(size) || size < 0) throw bad('bad size field');
    const start = pos + BLOCK;
    if (start + size > b.length) throw bad(`entry of ${size} bytes past the end of the archive`);
    const data = b.subarray(start, start + size);
    pos = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (type === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (type === 'g' || type === 'K') continue;
    let path = pax?.get('path') ?? longName;
    if (path === undefined) {
      const name = cString(b, start - BLOCK, 100);
      const isUstar = cString(b, start - BLOCK + 257, 6).startsWith('ustar');
      const prefix = isUstar ? cString(b, start - BLOCK + 345, 155) : '';
      path = prefix ? `${prefix}/${name}` : name;
    }
    pax = undefined;
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') {
      entries.push({ path: path.replace(/^(\.\/)+/, ''), data });
    }
  }
  if (pos + BLOCK > b.length && pos < b.length) throw bad('trailing partial block');
  return entries;
}
