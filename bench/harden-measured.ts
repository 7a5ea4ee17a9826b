/**
 * Measured SDC reduction of hardened single-bit campaigns against their unprotected pair (same
 * config and seed, so the same flips): SDCs per uniformly drawn flip of the data bits, as
 * `protect plan` defines them, (1/32) Σ_b (SDC experiments at bit b) / (experiments at bit b),
 * for the unprotected campaign and each hardened one, and the paired reduction with a normal
 * interval on the bit-stratified mean of the per-experiment differences (zero width where every
 * pair agrees). bench/harden-alexnet.sh runs the campaigns this reads.
 *
 *   npm run build && node dist/bench/harden-measured.js plain.sqlite hardened.sqlite...
 */
import { CampaignStore, type ExperimentRecord } from '../src/campaign/store.js';

const [plainPath, ...hardenedPaths] = process.argv.slice(2);
if (!plainPath || hardenedPaths.length === 0) {
  console.error('usage: harden-measured.js plain.sqlite hardened.sqlite...');
  process.exit(2);
}
const plain = CampaignStore.readRecords(plainPath);
const bits = Math.max(...plain.map((r) => r.bit)) + 1;
const pct = (x: number): string => `${(100 * x).toFixed(3)}%`;

/** The bit-stratified mean of per-experiment values `v` and its normal 95% half-width. */
function stratified(v: (i: number) => number): { mean: number; half: number } {
  let mean = 0;
  let variance = 0;
  for (let b = 0; b < bits; b++) {
    const at = plain.flatMap((r, i) => (r.bit === b ? [v(i)] : []));
    const m = at.reduce((s, x) => s + x, 0) / at.length;
    const s2 = at.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, at.length - 1);
    mean += m / bits;
    variance += s2 / at.length / (bits * bits);
  }
  return { mean, half: 1.959964 * Math.sqrt(variance) };
}

const sdc = (rs: readonly ExperimentRecord[]) => (i: number) => ((rs[i]?.sdc ?? 0) > 0 ? 1 : 0);
const base = stratified(sdc(plain));
console.log(`${plainPath}: SDCs per flip ${pct(base.mean)} ± ${pct(base.half)}`);
for (const path of hardenedPaths) {
  const h = CampaignStore.readRecords(path);
  if (
    h.length !== plain.length ||
    h.some((r, i) => JSON.stringify(r.faults) !== JSON.stringify(plain[i]?.faults))
  )
    throw new Error(
      `${path} did not flip the same bits as ${plainPath}: run it with the same config and seed`,
    );
  const after = stratified(sdc(h));
  const cut = stratified((i) => sdc(plain)(i) - sdc(h)(i));
  console.log(
    `${path}: SDCs per flip ${pct(after.mean)}; reduction ${pct(cut.mean)} [${pct(cut.mean - cut.half)}, ${pct(cut.mean + cut.half)}] (${((100 * cut.mean) / base.mean).toFixed(1)}% of all SDCs)`,
  );
}
