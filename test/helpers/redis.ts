/**
 * What the queue tests share: a redis-server on a free loopback port (persistent only inside the
 * test's folder), and child processes whose output is collected and awaited line by line.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** The redis-server binary, or '' when it is not installed (tests then skip, saying so). */
export const REDIS = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** A child process whose combined output is collected, with a wait for a line matching a pattern. */
export function start(
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; out: () => string; waitFor: (re: RegExp) => Promise<void> } {
  const child = spawn(args[0]!, args.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const feed = (b: Buffer): void => {
    text += b.toString();
    for (const w of [...waiters])
      if (w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  };
  child.stdout!.on('data', feed);
  child.stderr!.on('data', feed);
  return {
    child,
    out: () => text,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        if (re.test(text)) return resolve();
        waiters.push({ re, resolve });
        child.once('exit', () =>
          setTimeout(
            () => (re.test(text) ? resolve() : reject(new Error(`exited before ${re}:\n${text}`))),
            50,
          ),
        );
      }),
  };
}

/** A redis-server on 127.0.0.1:`port` with an append-only file in `dir`. */
export function startRedis(port: number, dir: string): ReturnType<typeof start> {
  // Persistence only inside the test's temp folder: an append-only file, synced on every write.
  return start(
    [
      REDIS,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ],
    process.env,
  );
}

/** A redis-server (see `startRedis`) on a free port, once it accepts connections. */
export async function readyRedis(
  dir: string,
): Promise<{ port: number; url: string; server: ReturnType<typeof start> }> {
  const port = await freePort();
  const server = startRedis(port, dir);
  await server.waitFor(/Ready to accept connections/);
  return { port, url: `redis://127.0.0.1:${port}`, server };
}

/** Stops child processes with SIGTERM and waits until every one has exited. */
export async function stopProcesses(processes: readonly { child: ChildProcess }[]): Promise<void> {
  for (const p of processes) p.child.kill('SIGTERM');
  await Promise.all(
    processes.map((p) =>
      p.child.exitCode === null && p.child.signalCode === null ? once(p.child, 'exit') : null,
    ),
  );
}
