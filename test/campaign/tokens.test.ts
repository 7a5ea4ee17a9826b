/**
 * Campaigns on token models fed by tensor datasets: a BERT-style encoder on int64 ids and
 * attention masks, and a token tagger whose output is [batch, sequence, classes], scored per
 * token (top-1 and SDC per token, SDC per sequence) with Hugging Face's -100 padding unscored.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Evaluator, type SampleInput } from '../../src/campaign/evaluator.js';
import { makeGolden, scoreOutcome } from '../../src/campaign/outcome.js';
import { Rng } from '../../src/core/rng.js';
import { loadTensorSet } from '../../src/data/index.js';
import { FaultSpace, sampleFaults } from '../../src/fault/fault-models.js';
import type { Fault } from '../../src/fault/memory.js';
import { loadModel } from '../../src/onnx/file.js';
import { assertClose } from '../helpers/assert.js';
import { REPO } from '../helpers/paths.js';
import { compareModes } from './compare-modes.js';

const DATA = join(REPO, 'test/fixtures/data');

function samples(file: string, names: string[]): SampleInput {
  const set = loadTensorSet(join(DATA, file));
  return { feeds: new Map(names.map((n) => [n, set.inputs.get(n)!])), labels: set.labels.data };
}

test('per-token scoring: a sequence is correct when every scored token is, an SDC when any changes', () => {
  // 2 sequences × 3 tokens × 2 classes; the last token of sequence 0 is padding (-100).
  const golden = makeGolden(Float32Array.of(1, 0, 0, 1, 5, 0, 0, 1, 0, 1, 1, 0), 2, 2);
  assert.equal(golden.positions, 3);
  const labels = [0, 1, -100, 1, 1, 0];
  // Golden: sequence 0 correct (padding ignored), sequence 1 correct too.
  const clean = scoreOutcome(golden, labels, new Int32Array(0), new Float32Array(0), {
    wordsChanged: 0,
    weightsChanged: 0,
    corrected: 0,
    detected: 0,
  });
  assert.deepEqual([clean.correct, clean.tokens, clean.tokenCorrect], [2, 5, 5]);
  // A fault flips token 1 of sequence 1 and the padding token of sequence 0 (not scored).
  const faulty = Float32Array.of(1, 0, 0, 1, 0, 5, 0, 1, 1, 0, 1, 0);
  const o = scoreOutcome(golden, labels, Int32Array.of(0, 1), faulty, {
    wordsChanged: 1,
    weightsChanged: 1,
    corrected: 0,
    detected: 0,
  });
  assert.deepEqual(
    [o.sdc, o.criticalSdc, o.tokenSdc, o.correct, o.tokenCorrect, o.images, o.tokens],
    [1, 1, 1, 1, 4, 2, 5],
  );
});

test('token tagger: golden logits equal PyTorch, fast and naive agree per token', async () => {
  const model = loadModel(join(DATA, 'tagger/tagger.onnx'));
  const input = samples('tagger/tags.npz', ['input_ids']);
  const ev = await Evaluator.create(model, input, { threads: 1 });
  const ref = JSON.parse(readFileSync(join(DATA, 'tagger/reference.json'), 'utf8')) as {
    logits: { dims: number[]; data: number[] };
  };
  // ORT and PyTorch run the same float32 embedding lookup and 8-term dot products: they agree
  // to a few ulps of logits below 2 in magnitude.
  assertClose(ev.golden.logits, Float32Array.from(ref.logits.data), { atol: 1e-5 }, 'golden logits');
  assert.equal(ev.golden.positions, 10);
  const space = new FaultSpace(ev.memory);
  const rng = Rng.seeded('tagger');
  const exps: Fault[][] = Array.from({ length: 40 }, (_, i) =>
    sampleFaults(space, { model: 'exact-k', k: 1, targeting: { bits: [20, 31] } }, rng.split('e', i)),
  );
  await ev.release();
  await compareModes(model, input, exps);
  await assert.rejects(
    Evaluator.create(model, { ...input, labels: Array.from(input.labels).slice(0, 6) }),
    /labels: 6 labels for 6 samples; the model's output needs 60 \(10 per sample, one per output position\)/,
  );
});

test('BERT encoder on int64 ids and masks: fast and naive agree, embeddings and LayerNorm included', async () => {
  const model = loadModel(join(REPO, 'test/fixtures/torch/bert.onnx'));
  const input = samples('tokens/tokens.npz', ['input_ids', 'attention_mask']);
  const probe = await Evaluator.create(model, input, { mode: 'naive', threads: 1 });
  const exps: Fault[][] = [];
  for (const l of probe.memory.layers.filter((l) => !/^layers\.1\./.test(l.name))) {
    for (const t of l.tensors)
      exps.push([{ tensor: t.name, region: 'values', index: 1, bit: 30, type: 'bit-flip' }]);
  }
  const space = new FaultSpace(probe.memory);
  const rng = Rng.seeded('bert');
  for (let i = 0; i < 20; i++) exps.push(sampleFaults(space, { model: 'exact-k', k: 1 }, rng.split('e', i)));
  assert.ok(probe.memory.layers.some((l) => l.name === 'word_embeddings'));
  await probe.release();
  await compareModes(model, input, exps);
});
