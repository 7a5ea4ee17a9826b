/**
 * Memory bounds for allocations whose size a file's header states (a tensor's dims, an image's
 * width and height, an archive member's size, a decompressed stream). A hostile or damaged header
 * can claim terabytes in a few bytes; such a claim is refused with a one-line error before
 * anything is allocated, instead of crashing the process with an out-of-memory abort.
 */
import { freemem } from 'node:os';
import { type ErrorCode, PrunefiError } from './errors.js';

/** Human-readable byte count (binary units), for messages. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${v.toPrecision(3)} ${units[u]}`;
}

/**
 * Parses a byte size such as `1048576`, `512M`, `8G` or `1.5GiB` (K, M, G, T are powers of 1024).
 * `name` names the setting in the error.
 */
export function parseByteSize(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const scale = 1024 ** ' kmgt'.indexOf((m?.[2] || ' ').toLowerCase());
  const bytes = m ? Math.floor(Number(m[1]) * scale) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new PrunefiError(
      'USAGE',
      `${name}=${JSON.stringify(text)} is not a size; give bytes or a number with K, M, G or T (e.g. 512M, 8G)`,
    );
  }
  return bytes;
}

/**
 * The most memory one header-sized allocation may take: the memory the OS reports available
 * (Linux's MemAvailable), or $PRUNEFI_MEMORY_MAX when that is smaller (for shared machines, and
 * for the fuzz harness, which states its memory bound this way). Read on every call: both change.
 */
export function memoryLimit(): number {
  const env = process.env.PRUNEFI_MEMORY_MAX;
  const available = freemem();
  return env ? Math.min(parseByteSize(env, 'PRUNEFI_MEMORY_MAX'), available) : available;
}

/**
 * Throws `code` when `bytes` (computed from a file's header; NaN or a non-integer counts as too
 * much) exceed `memoryLimit()`. `what` names the claim, e.g. "tensor 'w' of model.onnx (dims
 * [1000000, 1000000], float32)".
 */
export function checkAllocation(code: ErrorCode, bytes: number, what: string): void {
  const limit = memoryLimit();
  if (Number.isSafeInteger(bytes) && bytes >= 0 && bytes <= limit) return;
  throw memoryRefusal(
    code,
    `${what} needs ${Number.isFinite(bytes) ? formatBytes(bytes) : 'unbounded memory'}`,
    limit,
  );
}

/**
 * The error for a claim of more than `limit` bytes; `claim` says what needs how much ("x.tar.gz
 * inflates to more than 2 GiB").
 */
export function memoryRefusal(code: ErrorCode, claim: string, limit: number): PrunefiError {
  return new PrunefiError(
    code,
    `${claim}, more than the ${formatBytes(limit)} of memory available${process.env.PRUNEFI_MEMORY_MAX ? ' (PRUNEFI_MEMORY_MAX)' : ''}; the file is damaged or not what it claims to be, or needs a machine with more free memory`,
  );
}
