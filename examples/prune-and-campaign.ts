/**
 * Prune a model and run a bit-error-rate campaign on it and on its unpruned parent.
 *
 * Trains LeNet-5 for one epoch on 2000 bundled MNIST digits, prunes it to 90% sparsity by
 * magnitude, and runs the same BER sweep (3 rates × 8 trials, 3 test digits per class) on both
 * models, each stored in a SQLite database that `prunefi report`, `prunefi campaign status` and
 * the other examples read. Rerunning resumes: finished experiments are not run again.
 *
 *   node dist/examples/prune-and-campaign.js [folder]      (default prunefi-out/examples)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CampaignStore,
  campaignConfig,
  imageCampaignTarget,
  prepareCampaign,
  runCampaign,
  summarizeCampaign,
} from 'prunefi/campaign';
import { loadDataset } from 'prunefi/data';
import { resolveModel } from 'prunefi/models';
import { type Model, saveModel } from 'prunefi/onnx';
import { pruneModel } from 'prunefi/prune';
import { defaultRecipe, train } from 'prunefi/train';

const dir = process.argv[2] ?? 'prunefi-out/examples';
mkdirSync(dir, { recursive: true });

const trainSet = await loadDataset('mnist', { split: 'train', limit: 2000 });
const testSet = await loadDataset('mnist', { split: 'test' });
const trained = await train(resolveModel('zoo:lenet5'), {
  ...defaultRecipe(trainSet),
  train: trainSet,
  test: testSet,
  epochs: 1,
  seed: 0,
});
console.log(`trained: test accuracy ${(100 * trained.history.at(-1)!.testAccuracy!).toFixed(1)}%`);
saveModel(trained.model, join(dir, 'base.onnx'));

const pruned = await pruneModel(trained.model, 'magnitude', { sparsity: 0.9 });
console.log(`pruned: ${(100 * pruned.sparsity).toFixed(1)}% of the weights are zero`);
saveModel(pruned.model, join(dir, 'm90.onnx'));

/** One BER campaign; the database records what it ran on, so it resumes and reports. */
async function berCampaign(model: Model, file: string): Promise<void> {
  const target = imageCampaignTarget({
    model,
    modelSpec: join(dir, file),
    set: testSet,
    dataSpec: 'mnist',
    perClass: 3,
  });
  // The same seed on both models pairs their trials (the same fault draws per trial index).
  const config = campaignConfig(target, { kind: 'ber', rates: [1e-6, 1e-5, 1e-4], trials: 8 }, { seed: 1 });
  const db = join(dir, file.replace(/\.onnx$/, '.sqlite'));
  const store = CampaignStore.openOrCreate(db, config);
  const { evaluator, plan } = await prepareCampaign(config, model, target.input);
  try {
    const run = await runCampaign({ store, evaluator, plan });
    console.log(`${db}: ${run.done}/${run.planned} experiments (${run.ranNow} run now)`);
    for (const g of summarizeCampaign(store.records())) {
      const acc = g.meanAccuracy;
      console.log(
        `  ${g.group.padEnd(10)} mean accuracy ${acc ? `${acc.estimate.toFixed(3)} [${acc.lower.toFixed(3)}, ${acc.upper.toFixed(3)}]` : '-'}`,
      );
    }
  } finally {
    await evaluator.release();
    store.close();
  }
}

await berCampaign(trained.model, 'base.onnx');
await berCampaign(pruned.model, 'm90.onnx');
