/**
 * A small zip reader for .npz files (numpy.savez writes stored members, numpy.savez_compressed
 * deflated ones, both with zip64 extra fields). Members are found through the central directory
 * (the local headers' sizes may be zero when a writer streams), inflated with node:zlib and
 * checked against their CRC-32, so a damaged file is reported rather than read as wrong numbers.
 */
import { constants as bufferConstants } from 'node:buffer';
import { inflateRawSync } from 'node:zlib';
import { errorMessage, PrunefiError } from '../core/errors.js';
import { checkAllocation } from '../core/limits.js';

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the zip polynomial) of bytes. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** True when the bytes start like a zip file (a local header or an empty archive). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

function bad(file: string, what: string): PrunefiError {
  return new PrunefiError(
    'DATA_INVALID',
    `${file} is not a zip archive prunefi can read (${what}); write it with numpy.savez or numpy.savez_compressed`,
  );
}

/**
 * The files of a zip archive, by name, decompressed. Supports stored (0) and deflated (8)
 * members and zip64 sizes and offsets; encrypted members and other methods are refused.
 */
export function readZip(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad(file, 'no end of central directory: the file is not a zip or is truncated');
  let entries = view.getUint16(eocd + 10, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if ((entries === 0xffff || cdOffset === 0xffffffff) && eocd >= 20) {
    const loc = eocd - 20;
    if (view.getUint32(loc, true) !== ZIP64_LOCATOR) throw bad(file, 'zip64 locator missing');
    const z = Number(view.getBigUint64(loc + 8, true));
    if (z + 56 > bytes.length || view.getUint32(z, true) !== ZIP64_EOCD)
      throw bad(file, 'zip64 end record missing');
    entries = Number(view.getBigUint64(z + 32, true));
    cdOffset = Number(view.getBigUint64(z + 48, true));
  }
  const out = new Map<string, Uint8Array>();
  const utf8 = new TextDecoder('utf-8');
  let p = cdOffset;
  for (let e = 0; e < entries; e++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL)
      throw bad(file, 'damaged central directory');
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let csize = view.getUint32(p + 20, true);
    let usize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let local = view.getUint32(p + 42, true);
    const name = utf8.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field (id 1): the 64-bit values of the fields saturated at 0xffffffff, in order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    if (xEnd + commentLen > bytes.length) throw bad(file, 'damaged central directory');
    while (x + 4 <= xEnd) {
      const id = view.getUint16(x, true);
      const len = view.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) throw bad(file, `member ${name} has a damaged extra field`);
      if (id === 1) {
        let q = x + 4;
        const q8 = (): number => {
          if (q + 8 > x + 4 + len) throw bad(file, `member ${name} has a short zip64 extra field`);
          return Number(view.getBigUint64(q, true));
        };
        if (usize === 0xffffffff) {
          usize = q8();
          q += 8;
        }
        if (csize === 0xffffffff) {
          csize = q8();
          q += 8;
        }
        if (local === 0xffffffff) local = q8();
      }
      x += 4 + len;
    }
    p = xEnd + commentLen;
    if (name.endsWith('/')) continue;
    if (flags & 1) throw bad(file, `member ${name} is encrypted`);
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL)
      throw bad(file, `member ${name} has no local header`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + csize > bytes.length) throw bad(file, `member ${name} is truncated`);
    const raw = bytes.subarray(start, start + csize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      // The central directory's size bounds the output, so a deflate bomb stops at the size it
      // claims, and a claim beyond the free memory is refused before inflating.
      checkAllocation('DATA_INVALID', usize, `member ${name} of ${file}`);
      try {
        const b = inflateRawSync(raw, {
          maxOutputLength: Math.max(1, Math.min(usize, bufferConstants.MAX_LENGTH)),
        });
        data = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (err) {
        throw bad(file, `member ${name} does not inflate: ${errorMessage(err)}`);
      }
    } else
      throw bad(file, `member ${name} uses compression method ${method}; only stored and deflate are read`);
    if (data.length !== usize || crc32(data) !== crc)
      throw bad(file, `member ${name} fails its size or CRC-32 check: the file is damaged`);
    out.set(name, data);
  }
  return out;
}
