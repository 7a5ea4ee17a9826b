#!/usr/bin/env node
/**
 * The `prunefi` executable. The first Ctrl-C asks running work to stop at a clean point (it
 * saves progress); a second one exits at once.
 */
import { runCli } from './run.js';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  process.stderr.write('\nprunefi: stopping at the next clean point (Ctrl-C again to quit at once)\n');
  controller.abort();
});
process.on('SIGTERM', () => controller.abort());
// `prunefi faults | head`: the reader closing the pipe ends the output, as for any Unix tool;
// work that writes results to files is stopped like on Ctrl-C, never killed mid-write.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  controller.abort();
  process.exitCode = 0;
});

process.exitCode = await runCli(process.argv.slice(2), { signal: controller.signal });
