/**
 * The fuzz harness in the suite (issue 22): 500 inputs per format, fixed seeds, each input
 * accepted or refused with a one-line PrunefiError within 5 s, under PRUNEFI_MEMORY_MAX=16M, with
 * nothing written outside the sandbox's output folder. `node dist/bench/fuzz.js` runs 10 000+.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../helpers/paths.js';
import { type FuzzStats, fuzzTarget } from './harness.js';
import { fuzzTargets } from './targets.js';

const RUNS = 500;
/**
 * 5 s per input: the seeds are a few KB and parse in milliseconds; the slowest inputs are JPEGs
 * whose edited header claims up to the memory bound (about 2 megapixels, 0.1 s), and a loaded
 * 2-core machine runs 5-10× slower. A hang or a quadratic loop takes far longer.
 */
const TIME_BOUND_MS = 5000;
/**
 * Header-sized allocations above this are refused. Peak RSS may grow by at most 16× it: the
 * harness itself (fast-check, model trees, database copies) takes about 100 MiB, while a hostile
 * header that got through would claim gigabytes.
 */
const MEMORY_MAX = 16 * 2 ** 20;

const work = tempDir('prunefi-fuzz-');
const stats: FuzzStats[] = [];
const rssBefore = process.resourceUsage().maxRSS * 1024;

for (const [i, target] of fuzzTargets().entries()) {
  test(`fuzz ${target.name}: ${RUNS} inputs work or fail with one-line PrunefiErrors`, {
    timeout: 120_000,
  }, async () => {
    const s = await fuzzTarget(target, {
      runs: RUNS,
      seed: 2200 + i,
      timeBoundMs: TIME_BOUND_MS,
      memoryMax: String(MEMORY_MAX),
      work,
    });
    stats.push(s);
    assert.equal(s.accepted + Object.values(s.refused).reduce((a, b) => a + b, 0), RUNS);
    // Both paths are exercised: some inputs still work, some are refused.
    assert.ok(s.accepted > 0 && s.accepted < RUNS, `${target.name}: ${s.accepted} of ${RUNS} accepted`);
  });
}

test('fuzzing kept the peak memory within the bound', (t) => {
  const grew = process.resourceUsage().maxRSS * 1024 - rssBefore;
  t.diagnostic(`peak RSS grew by ${(grew / 2 ** 20).toFixed(0)} MiB`);
  for (const s of stats)
    t.diagnostic(
      `${s.name}: ${s.accepted} accepted, refused ${JSON.stringify(s.refused)}, ${s.seconds.toFixed(1)} s, slowest ${s.slowestMs.toFixed(0)} ms`,
    );
  assert.ok(grew < 16 * MEMORY_MAX, `peak RSS grew by ${(grew / 2 ** 20).toFixed(0)} MiB`);
});
