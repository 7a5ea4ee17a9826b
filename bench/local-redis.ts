/**
 * The queue benchmarks' Redis: a redis-server of their own on a free loopback port, without
 * persistence, its files in a fresh temp folder (which the benchmarks also use for their output).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';

/** A running redis-server; `stop` ends it. */
export interface LocalRedis {
  dir: string;
  port: number;
  url: string;
  stop(): void;
}

/** Starts a redis-server on a free port of 127.0.0.1, with `prefix` naming its temp folder. */
export async function startLocalRedis(prefix: string): Promise<LocalRedis> {
  const dir = mkdtempSync(prefix);
  const port = await new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => done(p));
    });
  });
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
    {
      stdio: 'ignore',
    },
  );
  await new Promise((r) => setTimeout(r, 500));
  return { dir, port, url: `redis://127.0.0.1:${port}`, stop: () => redis.kill('SIGTERM') };
}
