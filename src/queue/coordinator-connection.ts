/**
 * What every coordinator (a queued campaign's, a queued study's) opens: a Redis connection for
 * artifacts and the shared queue, whose losses and returns are logged once each, and a sleep
 * that an interrupt cuts short.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { errorMessage } from '../core/errors.js';
import { QUEUE_NAME } from './payload.js';
import { parseQueueUrl, redisOptions } from './url.js';

/** A coordinator's connections; `close` them when done. */
export interface CoordinatorConnection {
  /** The URL as shown in logs (no password). */
  display: string;
  redis: Redis;
  queue: Queue;
  close(): Promise<void>;
}

/** Connects a coordinator to the queue at `url`, logging lost and regained connections. */
export function connectCoordinator(url: string, log: (line: string) => void): CoordinatorConnection {
  const conn = parseQueueUrl(url);
  const redis = new Redis(redisOptions(conn));
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(conn) });
  let offline = false;
  const lost = (err: unknown): void => {
    if (offline) return;
    offline = true;
    log(`coordinator: connection to ${conn.display} lost (${errorMessage(err)}); reconnecting`);
  };
  redis.on('error', lost);
  queue.on('error', lost);
  redis.on('ready', () => {
    if (offline) log(`coordinator: reconnected to ${conn.display}`);
    offline = false;
  });
  return {
    display: conn.display,
    redis,
    queue,
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}

/** Waits `seconds`, or less when `signal` fires. */
export function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, seconds * 1000);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
