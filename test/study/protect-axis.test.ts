/**
 * The protection axis of a study: a fault model may name protections (`--protect`'s syntax),
 * checked against the registry when the config is read, and its campaigns run under them as a
 * fault model of their own. The unprotected fault model's steps keep the keys they had. A ranger
 * fault model's campaigns profile their bounds on the training split.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CampaignConfig } from '../../src/campaign/config.js';
import { CampaignStore } from '../../src/campaign/store.js';
import { PrunefiError } from '../../src/core/errors.js';
import { planStudy } from '../../src/study/plan.js';
import { runStudy, sourceIdentity } from '../../src/study/runner.js';
import { tempDir } from '../helpers/paths.js';
import { TINY_STUDY, tinyStudy } from '../helpers/study.js';

const UNPROTECTED = { numberFormat: 'float32', storageFormat: 'dense' };

test('a study config names protections per fault model, checked before any work', () => {
  const c = tinyStudy({
    faultModels: [UNPROTECTED, { ...UNPROTECTED, protect: 'secded72:interleave=2,clip' }],
  });
  assert.equal(c.faultModels[0]!.protect, undefined);
  assert.deepEqual(
    c.faultModels[1]!.protect?.map((p) => p.name),
    ['secded72', 'clip'],
  );
  assert.equal(c.faultModels[1]!.protect?.[0]?.interleave, 2);
  assert.throws(
    () => tinyStudy({ faultModels: [{ ...UNPROTECTED, protect: 'secded27' }] }),
    (e: unknown) =>
      e instanceof PrunefiError &&
      /^study config: config\.faultModels\[0\]\.protect: .*secded27.*did you mean/.test(e.message),
  );
  assert.throws(
    () => tinyStudy({ faultModels: [{ ...UNPROTECTED, protect: 72 }] }),
    /config\.faultModels\[0\]\.protect must be a string in --protect's syntax/,
  );
});

test('protected campaigns are steps of their own: SEC-DED leaves no SDC, and unprotected keys do not change', async () => {
  const config = tinyStudy({
    baseline: false,
    faultModels: [UNPROTECTED, { ...UNPROTECTED, protect: 'secded72' }],
  });
  const identity = (s: string) => sourceIdentity(s);
  const before = planStudy(tinyStudy({ baseline: false, faultModels: TINY_STUDY.faultModels }), identity);
  const plan = planStudy(config, identity);
  const keys = new Set(plan.map((s) => s.key));
  for (const s of before) assert.ok(keys.has(s.key), `${s.id} kept its key`);
  assert.equal(plan.length, before.length + 2, 'one more BER and one more single-bit step');

  const result = await runStudy(config, tempDir('prunefi-study-protect-'), {
    cacheDir: tempDir('prunefi-study-cache-'),
  });
  const bits = (label: RegExp) => result.data.bitSweeps.find((b) => label.test(b.faultModel.label))!;
  const secded = bits(/protected by secded72$/);
  const plain = bits(/^float32 dense bit-flip$/);
  assert.equal(secded.total.experiments, plain.total.experiments);
  // Every single flipped bit lands in one (72,64) code word, which corrects it.
  assert.equal(secded.total.sdcExperiments, 0);
  assert.ok(plain.total.sdcExperiments > 0, 'without protection some single flips are SDCs');
});

test('a ranger fault model profiles its bounds on the training split and stores its clean-accuracy cost', async () => {
  const config = tinyStudy({
    baseline: false,
    faultModels: [{ ...UNPROTECTED, protect: 'ranger:images=50' }],
    campaigns: { images: 100, ber: { rates: [1e-4], trials: 3 } },
  });
  assert.deepEqual(config.faultModels[0]!.protect, [{ name: 'ranger', images: 50 }]);
  const dir = tempDir('prunefi-study-ranger-');
  const result = await runStudy(config, dir, { cacheDir: tempDir('prunefi-study-cache-') });
  assert.ok(result.data.berSweeps.some((s) => /protected by ranger$/.test(s.faultModel.label)));
  const dbs = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('campaign.sqlite'),
  );
  assert.ok(dbs.length > 0, 'the study ran campaigns');
  for (const f of dbs) {
    const store = CampaignStore.open(join(dir, f), true);
    try {
      const c = store.config as CampaignConfig;
      assert.deepEqual([c.ranger?.split, c.ranger?.images], ['train', 50], f);
      assert.equal(c.ranger?.bounds.length, 4, 'the four Relus of LeNet-5');
      assert.ok(store.metaJson('cleanCost', null), `${f} stores the clean-accuracy cost`);
    } finally {
      store.close();
    }
  }
});
