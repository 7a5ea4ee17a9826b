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

process.exitCode = await runCli(process.argv.slice(2), { signal: controller.signal });
