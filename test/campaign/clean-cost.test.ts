/**
 * The clean-accuracy cost of Ranger on the tiny model: the two accuracies are those of the
 * unprotected and the clipped model's own golden runs, their paired interval brackets the
 * difference, bounds profiled on the evaluation images themselves cost exactly nothing, and a
 * campaign config without a graph protection has no cost to measure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureCleanCost } from '../../src/campaign/clean-cost.js';
import type { CampaignConfig } from '../../src/campaign/config.js';
import { Evaluator, injectedGraph } from '../../src/campaign/evaluator.js';
import { protectedGraph } from '../../src/campaign/graph-protect.js';
import { profileRangerBounds, type RangerBound } from '../../src/campaign/ranger.js';
import { parseProtections } from '../../src/fault/protect/registry.js';
import { tinyImages, tinyResnet } from '../fault/tiny.js';
import { campaignConfig } from './campaign-fixture.js';

function rangerConfig(bounds: RangerBound[]): Pick<CampaignConfig, 'memory' | 'ranger'> {
  const base = campaignConfig(1);
  return {
    memory: { ...base.memory, protect: parseProtections('ranger') },
    ranger: { split: 'test', images: 0, hash: '', bounds },
  };
}

async function goldenAccuracy(model: ReturnType<typeof tinyResnet>, input: ReturnType<typeof tinyImages>) {
  const ev = await Evaluator.create(model, input, { threads: 1, mode: 'naive' });
  try {
    return ev.goldenScore.accuracy;
  } finally {
    await ev.release();
  }
}

test('Ranger clean-accuracy cost: the clipped and unclipped golden accuracies, with a paired interval', async () => {
  const model = tinyResnet();
  const input = tinyImages(60);
  const profiled = await profileRangerBounds(injectedGraph(model), input.x);
  // Bounds at a fifth of the profiled maxima clip fault-free activations: a real accuracy change.
  const tight = rangerConfig(profiled.map((b) => ({ ...b, max: b.max / 5 })));
  const cost = await measureCleanCost(model, tight, input, { threads: 1, batch: 16 });
  assert.ok(cost);
  // Accuracies are counts over 60 images: equal to the evaluators' (up to float rounding of k/60).
  assert.ok(Math.abs(cost.unprotectedAccuracy - (await goldenAccuracy(model, input))) < 1e-12);
  assert.ok(
    Math.abs(cost.protectedAccuracy - (await goldenAccuracy(protectedGraph(model, tight), input))) < 1e-12,
  );
  assert.notEqual(cost.protectedAccuracy, cost.unprotectedAccuracy, 'tight bounds change predictions');
  const d = cost.difference;
  assert.ok(Math.abs(d.estimate - (cost.protectedAccuracy - cost.unprotectedAccuracy)) < 1e-12);
  assert.ok(d.lower <= d.estimate && d.estimate <= d.upper && d.lower < d.upper, JSON.stringify(d));
  assert.equal(d.method, 'bca');
  assert.ok(cost.protectedSeconds > 0 && cost.unprotectedSeconds > 0);

  // Profiled on the very images it is scored on, every Clip is the identity: exactly no cost.
  const own = await measureCleanCost(model, rangerConfig(profiled), input, { threads: 1 });
  assert.deepEqual([own?.difference.estimate, own?.difference.lower, own?.difference.upper], [0, 0, 0]);
  const none = await measureCleanCost(
    model,
    { memory: { ...tight.memory, protect: parseProtections('clip') } },
    input,
  );
  assert.equal(none, undefined);
});

test('a config naming ranger without profiled bounds is refused with the fix', () => {
  const config = rangerConfig([]);
  delete config.ranger;
  assert.throws(
    () => protectedGraph(tinyResnet(), config),
    /protection ranger: the campaign config has no profiled bounds.*campaign run --protect ranger/,
  );
});
