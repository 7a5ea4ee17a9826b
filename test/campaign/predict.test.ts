/**
 * `campaign predict`: the independent-fault approximation on a hand-built single-bit database
 * against a value computed by hand, the Monte-Carlo composition's reproducibility and its
 * agreement with the approximation at low rates, an end-to-end prediction on the trained LeNet-5
 * fixture against a measured BER campaign, and the bad-input errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CampaignConfig } from '../../src/campaign/config.js';
import {
  predictComposed,
  predictIndependent,
  predictionRng,
  readSingleBit,
} from '../../src/campaign/predict.js';
import { CampaignStore, type ExperimentRecord } from '../../src/campaign/store.js';
import { assertClose } from '../helpers/assert.js';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';

const IMAGES = 10;
const GOLDEN_CORRECT = 8;
const WORDS = 1000;

function config(plan: CampaignConfig['plan']): CampaignConfig {
  return {
    model: { spec: 'hand', hash: 'hand-1' },
    data: { spec: 'hand-images', split: 'test', perClass: 0, hash: 'hand-images-10' },
    memory: { numberFormat: 'float32', storage: 'dense', faultScales: false, foldBn: true },
    plan,
    seed: 1,
  };
}

function record(index: number, stratum: string, bit: number, correct: number): ExperimentRecord {
  return {
    index,
    stratum,
    layer: 'fc.weight',
    bit,
    faultCount: 1,
    faults: [],
    effect: 'run',
    images: IMAGES,
    correct,
    accuracy: correct / IMAGES,
    sdc: Math.abs(GOLDEN_CORRECT - correct),
    criticalSdc: Math.max(0, GOLDEN_CORRECT - correct),
    tokens: IMAGES,
    tokenCorrect: correct,
    tokenSdc: Math.abs(GOLDEN_CORRECT - correct),
    nanImages: 0,
    infImages: 0,
    maxLogitDeviation: 1,
    wordsChanged: 1,
    weightsChanged: 1,
    corrected: 0,
    detected: 0,
    imagesRun: IMAGES,
    seconds: 0,
  };
}

function seal(store: CampaignStore): void {
  store.setMeta('golden', JSON.stringify({ images: IMAGES, correct: GOLDEN_CORRECT, accuracy: 0.8 }));
  store.setMeta('memory', JSON.stringify({ bits: WORDS * 32, checkBits: 0 }));
  store.close();
}

/**
 * A single-bit database, two experiments per bit: bit 30's lose 8 and 4 of the 8 golden-correct
 * images (losses 1, 0.5), bit 29's 2 and 0 (0.25, 0), every other bit none.
 */
function handSingleBit(dir: string): string {
  const path = join(dir, 'single.sqlite');
  const store = CampaignStore.openOrCreate(path, config({ kind: 'single-bit', perBit: 2 }));
  const correct: Record<number, [number, number]> = { 30: [0, 4], 29: [6, 8] };
  for (let i = 0; i < 64; i++) {
    const bit = i % 32;
    store.insert(record(i, `bit=${bit}`, bit, correct[bit]?.[i < 32 ? 0 : 1] ?? GOLDEN_CORRECT));
  }
  seal(store);
  return path;
}

function handBer(dir: string): string {
  const path = join(dir, 'ber.sqlite');
  const store = CampaignStore.openOrCreate(path, config({ kind: 'ber', rates: [1e-4], trials: 2 }));
  store.insert(record(0, 'ber=0.0001', 30, 7));
  store.insert(record(1, 'ber=0.0001', 12, 8));
  seal(store);
  return path;
}

test('predict: the independent-fault approximation equals the hand-computed value', () => {
  const store = CampaignStore.open(handSingleBit(tempDir()), true);
  try {
    const d = readSingleBit(store);
    const iv = predictIndependent(d, 1e-4);
    // By hand: bit losses sum to 0.75 + 0.125 = 0.875, so an image survives (1 − 1e-4)^(1000 · 0.875).
    // The variance of that sum is 0.125/2 + 0.03125/2 = 0.078125 (sample variances over n = 2).
    // Tolerance 1e-12 relative: the same formula in another order, so only float rounding differs.
    const h = 1.959963984540054 * Math.sqrt(0.078125);
    assertClose(
      [iv.estimate, iv.lower, iv.upper],
      [0.8 * 0.9999 ** 875, 0.8 * 0.9999 ** (1000 * (0.875 + h)), 0.8 * 0.9999 ** (1000 * (0.875 - h))],
      { rtol: 1e-12 },
      'independent prediction',
    );
  } finally {
    store.close();
  }
});

test('predict: the Monte-Carlo composition replays from its seed and agrees with the approximation at low rates', () => {
  const store = CampaignStore.open(handSingleBit(tempDir()), true);
  try {
    const d = readSingleBit(store);
    const ber = 6e-5; // about 2 flips per trial over the 32 000 stored bits
    const a = predictComposed(d, ber, 4000, predictionRng(3, ber));
    const b = predictComposed(d, ber, 4000, predictionRng(3, ber));
    assert.deepEqual(a, b, 'the same seed gives the same trials');
    assert.notDeepEqual(predictComposed(d, ber, 4000, predictionRng(4, ber)), a, 'another seed draws others');
    // The composition's expectation is 0.8 · Π_b (1 − ber · p_b)^1000 and the approximation's
    // 0.8 · Π_b (1 − ber)^(1000 · p_b); they differ by O(1000 · ber² ) ≈ 4e-6 here, so what is
    // left is Monte-Carlo error: allowed 4 standard errors of the 4000-trial mean.
    const se = (a.mean.upper - a.mean.estimate) / 1.96;
    const independent = predictIndependent(d, ber).estimate;
    assert.ok(
      Math.abs(a.mean.estimate - independent) <= 4 * se + 1e-5,
      `MC mean ${a.mean.estimate} vs independent ${independent} (se ${se})`,
    );
    assert.ok(a.spread.lower <= a.mean.estimate && a.mean.estimate <= a.spread.upper);
  } finally {
    store.close();
  }
});

test('prunefi campaign predict on trained LeNet-5: the low-BER prediction lies in the measured interval', async () => {
  const dir = tempDir();
  const target = [
    '--model',
    join(REPO, 'test/fixtures/quant/lenet5-float.onnx'),
    '--data',
    'mnist',
    '--images-per-class',
    '10',
    '--threads',
    '1',
  ];
  const single = join(dir, 'single.sqlite');
  const ber = join(dir, 'ber.sqlite');
  const s = await cli(
    'campaign',
    'run',
    '--db',
    single,
    ...target,
    '--plan',
    'single-bit',
    '--per-bit',
    '40',
    '--json',
  );
  assert.equal(s.code, 0, s.stderr);
  const m = await cli(
    'campaign',
    'run',
    '--db',
    ber,
    ...target,
    '--plan',
    'ber',
    '--rates',
    '1e-6,1e-4',
    '--trials',
    '40',
    '--json',
  );
  assert.equal(m.code, 0, m.stderr);
  const r = await cli('campaign', 'predict', '--db', single, '--measured', ber, '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    goldenAccuracy: number;
    points: {
      ber: number;
      independent: { estimate: number };
      composed: { mean: { estimate: number } };
      measured: { lower: number; upper: number };
      independentInside: boolean;
      composedInside: boolean;
    }[];
  };
  assert.deepEqual(
    j.points.map((p) => p.ber),
    [1e-6, 1e-4],
  );
  const low = j.points[0];
  assert.ok(low, 'a point at 1e-6');
  assert.ok(low.independentInside && low.composedInside, `at 1e-6: ${JSON.stringify(low)}`);
  // More faults, less accuracy: the high-rate prediction is well below the golden accuracy.
  assert.ok((j.points[1]?.independent.estimate ?? 1) < j.goldenAccuracy - 0.3);
  const text = await cli('campaign', 'predict', '--db', single, '--measured', ber);
  assert.match(text.stdout, /independent \[CI\].*Monte-Carlo mean \[CI\].*measured \[CI\]/);
  assert.match(text.stdout, /outside the measured 95% interval .*: \d of 2 rates/);
});

test('prunefi campaign predict: bad input is a one-line error', async () => {
  const dir = tempDir();
  const single = handSingleBit(dir);
  const ber = handBer(dir);
  const cases: [string[], RegExp][] = [
    [
      ['--db', ber, '--rates', '1e-4'],
      /holds a 'ber' campaign; campaign predict needs a finished single-bit/,
    ],
    [['--db', single, '--measured', single], /--measured .* holds a 'single-bit' campaign/],
    [
      ['--db', single, '--measured', ber, '--rates', '1e-5'],
      /rate 0.00001 was not measured in .*\(it measured 0.0001\)/,
    ],
    [['--db', single, '--rates', '1e-5,abc'], /--rates takes bit error rates separated by commas, got 'abc'/],
    [['--db', single, '--rates', '2'], /bit error rate must be in \(0, 1\)/],
    [['--db', single], /--rates is required without --measured/],
    [['--db', join(dir, 'none.sqlite'), '--rates', '1e-5'], /does not exist/],
  ];
  for (const [args, re] of cases) {
    const r = await cli('campaign', 'predict', ...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});
