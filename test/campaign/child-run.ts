/**
 * A campaign run in a child process, for the kill -9 test: `node child-run.js <model.onnx> <db>
 * <experiments>` runs (or resumes) the tiny-model campaign of `campaignConfig()` into <db>.
 */

import { prepareCampaign } from '../../src/campaign/config.js';
import { runCampaign } from '../../src/campaign/engine.js';
import { CampaignStore } from '../../src/campaign/store.js';
import { loadModel } from '../../src/onnx/file.js';
import { tinyImages } from '../fault/tiny.js';
import { campaignConfig } from './campaign-fixture.js';

const [model, db, n] = process.argv.slice(2) as [string, string, string];
const config = campaignConfig(Number(n));
const store = CampaignStore.openOrCreate(db, config);
const { evaluator, plan } = await prepareCampaign(config, loadModel(model), tinyImages(40), { threads: 1 });
const r = await runCampaign({ store, evaluator, plan, chunk: 16 });
store.close();
await evaluator.release();
console.log(JSON.stringify(r));
