/**
 * The `--queue` URL: `redis://[user:pass@]host:port[/db]` or `rediss://` for TLS. It becomes the
 * ioredis options every queue connection uses, with the reconnection policy BullMQ needs: commands
 * wait for a reconnect (`maxRetriesPerRequest: null`) instead of failing, so a Redis restart
 * pauses workers and the coordinator rather than ending them.
 */
import { PrunefiError } from '../core/errors.js';

/** What a queue URL names, ready to hand to BullMQ and ioredis. */
export interface QueueConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** Set for `rediss://`: TLS with the system's CA store and host-name check. */
  tls?: { servername: string };
  maxRetriesPerRequest: null;
  retryStrategy: (times: number) => number;
  /** The URL without its password, for messages and logs. */
  display: string;
}

/** Reconnect delay: quick first retries, then every 2 s for as long as Redis is away. */
function retryDelay(times: number): number {
  return Math.min(100 * 2 ** Math.min(times, 5), 2000);
}

/** Parses a `--queue` URL; a malformed one is a USAGE error naming the accepted forms. */
export function parseQueueUrl(url: string): QueueConnection {
  const bad = (why: string): PrunefiError =>
    new PrunefiError(
      'USAGE',
      `--queue ${JSON.stringify(url)}: ${why}; expected redis://[user:pass@]host:port[/db] or rediss://... for TLS`,
    );
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw bad(`scheme '${u.protocol}' is not redis: or rediss:`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('no host');
  const port = u.port ? Number(u.port) : 6379;
  const path = u.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(path)) throw bad(`database '${path}' is not a number`);
  const db = path ? Number(path) : 0;
  if (u.search || u.hash) throw bad('query strings and fragments are not accepted');
  const c: QueueConnection = {
    host,
    port,
    db,
    maxRetriesPerRequest: null,
    retryStrategy: retryDelay,
    display: `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}/${db}`,
  };
  if (u.username) c.username = decodeURIComponent(u.username);
  if (u.password) c.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') c.tls = { servername: host };
  return c;
}

/** The ioredis options of a connection (`display` is prunefi's own). */
export function redisOptions(c: QueueConnection): Omit<QueueConnection, 'display'> {
  const { display: _display, ...options } = c;
  return options;
}
