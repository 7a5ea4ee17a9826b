/**
 * The fuzz property, shared by the suite (test/fuzz/fuzz.test.ts, 500+ inputs per format) and the
 * long run (bench/fuzz.ts, 10 000+): every input either works or is refused with a one-line
 * PrunefiError, within `timeBoundMs`, with header-sized allocations refused above
 * `memoryMax` (PRUNEFI_MEMORY_MAX is set to it while a target runs, and the caller compares the
 * process's peak RSS against it), and nothing written outside the sandbox's `out` folder.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { PrunefiError } from '../../src/core/errors.js';
import type { Mutant } from './mutate.js';

/** Where one input is written (`in`) and where its parser may write (`out`). */
export interface Sandbox {
  readonly root: string;
  readonly in: string;
  readonly out: string;
}

/** One format under test. */
export interface Target {
  readonly name: string;
  readonly inputs: fc.Arbitrary<Mutant>;
  /**
   * Parses one input, written under `box.in`. Returns normally when the input works; a refusal
   * is a thrown PrunefiError, or a returned string naming it (CLI targets, which check the exit
   * code and the one-line message themselves and throw a plain Error when either is wrong).
   */
  run(input: Mutant, box: Sandbox): Promise<string | undefined> | string | undefined;
}

/** What a run of one target measured. */
export interface FuzzStats {
  readonly name: string;
  readonly runs: number;
  readonly accepted: number;
  /** Refusals by error code. */
  readonly refused: Record<string, number>;
  readonly seconds: number;
  readonly slowestMs: number;
}

/** Options of `fuzzTarget`. */
export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Longest time one input may take. */
  timeBoundMs: number;
  /** The PRUNEFI_MEMORY_MAX the parsers run under, e.g. '64M'. */
  memoryMax: string;
  /** The sandbox's parent folder (emptied per input). */
  work: string;
}

/** Files and folders below `dir`, relative, sorted. */
function listing(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? [r, ...listing(dir, r)] : [r];
  });
}

/** Runs `target` on `options.runs` inputs; throws with fast-check's report of the first failure. */
export async function fuzzTarget(target: Target, options: FuzzOptions): Promise<FuzzStats> {
  const root = join(options.work, target.name.replace(/[^a-z0-9]+/gi, '-'));
  const box: Sandbox = { root, in: join(root, 'in'), out: join(root, 'out') };
  const refused: Record<string, number> = {};
  let accepted = 0;
  let slowestMs = 0;
  const saved = process.env.PRUNEFI_MEMORY_MAX;
  process.env.PRUNEFI_MEMORY_MAX = options.memoryMax;
  const started = performance.now();
  try {
    const property = fc.asyncProperty(target.inputs, async (input) => {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(box.in, { recursive: true });
      mkdirSync(box.out, { recursive: true });
      const t0 = performance.now();
      let outcome: string | undefined;
      try {
        outcome = await target.run(input, box);
      } catch (err) {
        if (!(err instanceof PrunefiError)) {
          throw new Error(
            `${target.name} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} instead of a PrunefiError (seed ${input.seed})`,
          );
        }
        if (err.message.includes('\n') || err.message.trim() === '')
          throw new Error(
            `${target.name}: a PrunefiError of more than one line: ${JSON.stringify(err.message)}`,
          );
        outcome = err.code;
      }
      const ms = performance.now() - t0;
      slowestMs = Math.max(slowestMs, ms);
      if (ms > options.timeBoundMs)
        throw new Error(
          `${target.name} took ${ms.toFixed(0)} ms on one input (bound ${options.timeBoundMs} ms)`,
        );
      // The parser wrote nothing but below out/: the sandbox holds in/ (the target's own files) and out/.
      const stray = listing(root).filter(
        (p) => p !== 'in' && p !== 'out' && !p.startsWith('in/') && !p.startsWith('out/'),
      );
      if (stray.length > 0)
        throw new Error(`${target.name} wrote outside its output folder: ${stray.join(', ')}`);
      if (outcome === undefined) accepted++;
      else refused[outcome] = (refused[outcome] ?? 0) + 1;
    });
    const details = await fc.check(property, {
      numRuns: options.runs,
      seed: options.seed,
      endOnFailure: true,
    });
    if (details.failed) {
      // The failing input is kept for a regression test; fast-check's report would print its bytes.
      const input = details.counterexample?.[0];
      const file = join(options.work, `${target.name.replace(/[^a-z0-9]+/gi, '-')}-failure.bin`);
      if (input) writeFileSync(file, input.bytes);
      const why =
        details.errorInstance instanceof Error
          ? details.errorInstance.message
          : String(details.errorInstance);
      throw new Error(
        `${why} (input ${details.numRuns} of seed ${options.seed}, from seed file ${input?.seed}, saved in ${file})`,
      );
    }
  } finally {
    if (saved === undefined) delete process.env.PRUNEFI_MEMORY_MAX;
    else process.env.PRUNEFI_MEMORY_MAX = saved;
    rmSync(root, { recursive: true, force: true });
  }
  return {
    name: target.name,
    runs: options.runs,
    accepted,
    refused,
    seconds: (performance.now() - started) / 1000,
    slowestMs,
  };
}
