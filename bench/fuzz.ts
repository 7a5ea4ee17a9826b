/**
 * The long fuzz run of issue 22: the suite's harness (test/fuzz/) with more inputs per format and
 * other seeds. Reproduce (numbers in README, Hardening):
 *   npx tsc -p . && node dist/bench/fuzz.js [--runs 10000] [--seed 1] [--only JPEG]
 * Prints one line per format (accepted, refused by code, seconds, slowest input) and a JSON
 * summary; exits 1 on the first input that breaks the property, naming the file it saved.
 */
import { parseArgs } from 'node:util';
import { type FuzzStats, fuzzTarget } from '../test/fuzz/harness.js';
import { fuzzTargets } from '../test/fuzz/targets.js';
import { tempDir } from '../test/helpers/paths.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    'time-bound-ms': { type: 'string', default: '5000' },
    'memory-max': { type: 'string', default: '16M' },
  },
});
const runs = Number(values.runs);
const work = tempDir('prunefi-fuzz-bench-');
const rssBefore = process.resourceUsage().maxRSS * 1024;
const stats: FuzzStats[] = [];
for (const [i, target] of fuzzTargets().entries()) {
  if (values.only && !target.name.toLowerCase().includes(values.only.toLowerCase())) continue;
  const s = await fuzzTarget(target, {
    runs,
    seed: Number(values.seed) * 1000 + i,
    timeBoundMs: Number(values['time-bound-ms']),
    memoryMax: values['memory-max'] ?? '16M',
    work,
  });
  stats.push(s);
  console.log(
    `${s.name}: ${s.runs} inputs, ${s.accepted} accepted, refused ${JSON.stringify(s.refused)}, ${s.seconds.toFixed(1)} s, slowest ${s.slowestMs.toFixed(0)} ms`,
  );
}
const grewMiB = (process.resourceUsage().maxRSS * 1024 - rssBefore) / 2 ** 20;
console.log(
  JSON.stringify({ runs, seed: Number(values.seed), peakRssGrowthMiB: Math.round(grewMiB), stats }),
);
