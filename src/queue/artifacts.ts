/**
 * Artifacts by content hash, so workers need no shared filesystem: the coordinator puts the model
 * bytes and the prepared samples in Redis under their sha256; a worker reads them once, checks the
 * hash, and keeps them in its local cache (`<cache>/artifacts/<hash>`), re-checked on every read.
 * Keys expire a day after the last put, so a finished campaign does not fill Redis for ever; a
 * running coordinator puts them again while it waits.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { atomicWrite } from '../core/atomic.js';
import { PrunefiError } from '../core/errors.js';
import { hashBytes } from '../core/hash.js';

/** Seconds an artifact stays in Redis after its last put. */
const TTL_SECONDS = 24 * 3600;
/** Redis refuses strings over 512 MiB. */
const MAX_BYTES = 512 * 1024 * 1024;

/** The Redis key of an artifact. */
export function artifactKey(hash: string): string {
  return `prunefi:artifact:${hash}`;
}

/**
 * Puts bytes under their hash (a no-op but for the expiry when already there) and returns the
 * hash. `what` names the artifact in errors.
 */
export async function putArtifact(redis: Redis, bytes: Uint8Array, what: string): Promise<string> {
  if (bytes.byteLength > MAX_BYTES) {
    throw new PrunefiError(
      'QUEUE',
      `${what} is ${(bytes.byteLength / 2 ** 20).toFixed(0)} MiB, more than the 512 MiB a Redis value holds; use fewer images per class`,
    );
  }
  const hash = hashBytes(bytes);
  const key = artifactKey(hash);
  const set = await redis.set(
    key,
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    'EX',
    TTL_SECONDS,
    'NX',
  );
  if (set === null) await redis.expire(key, TTL_SECONDS);
  return hash;
}

/** True when Redis holds the artifact (a Redis restarted without persistence lost it). */
export async function hasArtifact(redis: Redis, hash: string): Promise<boolean> {
  return (await redis.exists(artifactKey(hash))) === 1;
}

/**
 * The bytes of an artifact: from the local cache when present and intact, else from Redis (then
 * cached). Bytes whose sha256 is not `hash` are refused, whatever their source.
 */
export async function getArtifact(
  redis: Redis,
  hash: string,
  cacheDir: string,
  what: string,
): Promise<Uint8Array> {
  if (!/^[0-9a-f]{64}$/.test(hash))
    throw new PrunefiError('QUEUE', `${what}: '${hash}' is not a sha256 hash`);
  const file = join(cacheDir, 'artifacts', hash);
  if (existsSync(file)) {
    const local = readFileSync(file);
    if (hashBytes(local) === hash) return local;
    // A damaged cache entry is fetched again rather than trusted.
    rmSync(file, { force: true });
  }
  const bytes = await redis.getBuffer(artifactKey(hash));
  if (bytes === null) {
    throw new PrunefiError(
      'QUEUE',
      `${what} ${hash.slice(0, 12)} is not in Redis (it expired, or Redis restarted without persistence); the coordinator puts it again while it runs`,
    );
  }
  const got = hashBytes(bytes);
  if (got !== hash) {
    throw new PrunefiError(
      'QUEUE',
      `${what} from Redis has hash ${got.slice(0, 12)}, not the ${hash.slice(0, 12)} the job names; refusing it`,
    );
  }
  atomicWrite(file, bytes, { mkdir: true, what: `the artifact cache entry ${file}` });
  return bytes;
}
