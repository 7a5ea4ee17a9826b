/**
 * Register a custom fault model and a campaign plan kind that uses it.
 *
 * A radiation test exposes a device to a fluence, and the number of upsets per exposure is
 * Poisson distributed: this fault model draws N ~ Poisson(mean) faults at distinct positions,
 * uniformly over the targeted stored bits. The plan kind `poisson` runs `experiments` such
 * exposures; its options are declared once, so stored configs are checked against them and
 * `prunefi faults` and `campaign run --plan poisson --mean 3` would offer them in a CLI started
 * from this process. Every draw comes from the experiment's own Rng, so any experiment replays.
 *
 *   node dist/examples/custom-fault-model.js [folder]      (default prunefi-out/examples)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CampaignStore,
  campaignConfig,
  imageCampaignTarget,
  PLAN_KINDS,
  prepareCampaign,
  runCampaign,
  summarizeCampaign,
} from 'prunefi/campaign';
import { PrunefiError } from 'prunefi/core';
import { loadDataset } from 'prunefi/data';
import { FAULT_MODELS, type Fault, FaultSpace, type FaultSpec, sampleFaults } from 'prunefi/fault';
import { resolveModel } from 'prunefi/models';

type PoissonSpec = FaultSpec & { mean?: number };

FAULT_MODELS.add({
  name: 'poisson',
  description: 'a Poisson-distributed number of faults per experiment (an exposure), at distinct positions',
  reference: 'JEDEC JESD89B, measurement of soft errors induced by terrestrial radiation',
  check(spec) {
    const mean = (spec as PoissonSpec).mean;
    if (mean === undefined || !(mean > 0))
      throw new PrunefiError('FAULT_CONFIG', `the Poisson mean must be positive, got ${mean}; e.g. mean: 3`);
  },
  sample(space, spec, rng) {
    // Knuth's method: count uniforms until their product drops below exp(-mean).
    const limit = Math.exp(-(spec as PoissonSpec).mean!);
    let n = 0;
    for (let p = rng.float(); p > limit; p *= rng.float()) n++;
    const seen = new Set<number>();
    const faults: Fault[] = [];
    while (faults.length < Math.min(n, space.size)) {
      const at = rng.int(space.size);
      if (!seen.has(at)) faults.push(space.at(at));
      seen.add(at);
    }
    return faults;
  },
});

PLAN_KINDS.add({
  name: 'poisson',
  description: 'experiments of a Poisson-distributed number of bit flips (radiation exposures)',
  reference: '',
  options: {
    mean: { type: 'number', min: 0, required: true, description: 'poisson: mean faults per experiment' },
    experiments: { type: 'int', min: 1, required: true, description: 'poisson: number of experiments' },
  },
  // The report shows BER curves and single-fault sweeps; an exposure is neither.
  report: () => undefined,
  build(spec, memory, rng) {
    const space = new FaultSpace(memory);
    const exposure: PoissonSpec = { model: 'poisson', mean: spec.mean as number };
    // One stratum: every experiment is the same exposure, so SDC rates are reported once.
    const stratum = `mean=${spec.mean}`;
    return {
      spec,
      size: spec.experiments as number,
      faults: (i) => sampleFaults(space, exposure, rng(i)),
      strata: [stratum],
      stratum: () => stratum,
    };
  },
});

const dir = process.argv[2] ?? 'prunefi-out/examples';
mkdirSync(dir, { recursive: true });
const model = resolveModel('zoo:lenet5');
const target = imageCampaignTarget({
  model,
  modelSpec: 'zoo:lenet5',
  set: await loadDataset('mnist', { split: 'test' }),
  dataSpec: 'mnist',
  perClass: 3,
});
const config = campaignConfig(target, { kind: 'poisson', mean: 3, experiments: 40 }, { seed: 7 });
const db = join(dir, 'poisson.sqlite');
const store = CampaignStore.openOrCreate(db, config);
const { evaluator, plan } = await prepareCampaign(config, model, target.input);
try {
  await runCampaign({ store, evaluator, plan });
  const records = store.records();
  const mean = records.reduce((s, r) => s + r.faultCount, 0) / records.length;
  console.log(`${records.length} exposures, ${mean.toFixed(2)} faults on average (Poisson mean 3)`);
  const [all] = summarizeCampaign(records);
  const r = all!.sdcRate;
  console.log(
    `experiments with an SDC: ${all!.sdcExperiments}/${all!.experiments}, rate ${r.estimate.toFixed(3)} [${r.lower.toFixed(3)}, ${r.upper.toFixed(3)}] (${r.method})`,
  );
} finally {
  await evaluator.release();
  store.close();
}
