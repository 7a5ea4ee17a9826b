import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZOO } from '../../src/models/index.js';
import { resolveOptions } from '../../src/prune/options.js';
import { PRUNE_METHODS } from '../../src/prune/registry.js';
import {
  DEFAULT_FINETUNE,
  parseStudyConfig,
  type StudyConfig,
  toTrainRecipe,
} from '../../src/study/config.js';
import { planStudy, type Step } from '../../src/study/plan.js';
import { PRESETS } from '../../src/study/presets.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { cli } from '../helpers/cli.js';

const base = {
  data: 'mnist',
  models: [
    { name: 'a', source: 'zoo:lenet5' },
    { name: 'b', source: 'model-b.onnx' },
  ],
  pruning: [
    { method: 'magnitude', sparsities: [0.5, 0.9], options: { scope: 'global' } },
    { method: 'l1-filter', sparsities: [0.3] },
  ],
  faultModels: [{ numberFormat: 'float32', storageFormat: 'dense' }],
  campaigns: { images: 100, ber: { rates: [1e-6, 1e-5], trials: 3 }, singleBit: { perBit: 10 } },
};

const identity = (s: string): string => `id:${s}`;

function keys(config: unknown): Map<string, string> {
  return new Map(planStudy(parseStudyConfig(config), identity).map((s: Step) => [s.id, s.key]));
}

function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...a.keys()].filter((id) => a.get(id) !== b.get(id)).sort();
}

test('plan covers models × (baseline + methods × sparsities) × (eval + campaigns)', () => {
  const steps = planStudy(parseStudyConfig(base), identity);
  // Per model: 1 base, 3 prune, 4 variants × (eval + ber + bits) = 12.
  assert.equal(steps.length, 2 * (1 + 3 + 12));
  const ids = steps.map((s) => s.id);
  assert.equal(new Set(ids).size, ids.length, 'step ids are unique');
  for (const s of steps)
    for (const d of s.deps) assert.ok(ids.indexOf(d) < ids.indexOf(s.id), `${s.id} after ${d}`);
});

test('a changed pruning option reruns only that method’s variants', () => {
  const before = keys(base);
  const cfg = structuredClone(base);
  (cfg.pruning[1] as { options?: unknown }).options = { skipFirst: true };
  const diff = changed(before, keys(cfg));
  assert.ok(diff.length > 0);
  for (const id of diff) assert.match(id, /l1-filter@0\.3/);
  assert.equal(diff.length, 2 * 4, 'prune + eval + ber + bits, for both models');
});

test('a changed BER list reruns only BER campaigns; a new model source reruns only that model', () => {
  const before = keys(base);
  const cfg = structuredClone(base);
  cfg.campaigns.ber.rates = [1e-7, 1e-6];
  const diff = changed(before, keys(cfg));
  assert.ok(diff.every((id) => id.startsWith('ber ')));
  assert.equal(diff.length, 2 * 4);
  const diff2 = changed(
    before,
    new Map(
      planStudy(parseStudyConfig(base), (s) => (s === 'model-b.onnx' ? 'other' : identity(s))).map((s) => [
        s.id,
        s.key,
      ]),
    ),
  );
  assert.ok(diff2.every((id) => id.includes(' b') || id.includes(' b/')));
  assert.equal(diff2.length, 16, 'every step of model b');
});

test('config errors name the JSON path and what was expected', () => {
  assertPrunefiError(
    () => parseStudyConfig({ ...base, pruning: [{ method: 'x', sparsities: [1.2] }] }),
    'STUDY_CONFIG',
    /config\.pruning\[0\]\.sparsities\[0\] must be a number in \[0, 1\), got 1\.2/,
  );
  assertPrunefiError(
    () => parseStudyConfig({ ...base, bogus: 1 }),
    'STUDY_CONFIG',
    /unknown field config\.bogus/,
  );
  assertPrunefiError(
    () => parseStudyConfig({ ...base, campaigns: { images: 10 } }),
    'STUDY_CONFIG',
    /needs a ber sweep/,
  );
  assertPrunefiError(
    () => parseStudyConfig({ ...base, models: [] }),
    'STUDY_CONFIG',
    /config\.models must be a non-empty array/,
  );
});

test('every preset builds a valid config', async () => {
  const { PRESETS } = await import('../../src/study/presets.js');
  for (const p of PRESETS.list()) {
    const c = p.build({ data: 'some-cifar-folder' });
    assert.ok(c.models.length > 0 && c.faultModels.length > 0, p.name);
  }
  assertPrunefiError(() => PRESETS.get('paper').build({}), 'USAGE', /preset 'paper' needs --data/);
});

test('warm-up and label smoothing: parsed, checked, and 0 keeps the step keys of a recipe without them', () => {
  const withTrain = (train: Record<string, unknown>) => ({
    ...base,
    models: [{ name: 'a', source: 'zoo:lenet5', train }],
  });
  const plain = keys(withTrain({ epochs: 2 }));
  assert.equal(changed(plain, keys(withTrain({ epochs: 2, warmupEpochs: 0, labelSmoothing: 0 }))).length, 0);
  const smoothed = parseStudyConfig(withTrain({ epochs: 2, warmupEpochs: 1, labelSmoothing: 0.1 }));
  assert.equal(smoothed.models[0]!.train!.warmupEpochs, 1);
  assert.equal(smoothed.models[0]!.train!.labelSmoothing, 0.1);
  // Training differs, so every step of model a reruns and none of model b's.
  const diff = changed(plain, keys(withTrain({ epochs: 2, labelSmoothing: 0.1 })));
  assert.equal(diff.length, 16);
  assert.ok(diff.every((id) => id.endsWith(' a') || id.includes(' a/')));
  assertPrunefiError(
    () => parseStudyConfig(withTrain({ labelSmoothing: 1 })),
    'STUDY_CONFIG',
    /config\.models\[0\]\.train\.labelSmoothing must be in \[0, 1\), got 1/,
  );
});

test('study --preset vit --print-config: zoo:vit-cifar with its recipe, heads, MLP units, magnitude and 2:4 against the unpruned model', async () => {
  const r = await cli('study', '--preset', 'vit', '--data', 'some-cifar-folder', '--print-config');
  assert.equal(r.code, 0, r.stderr);
  const printed = JSON.parse(r.stdout) as StudyConfig;
  // The printed config is the resolved one: parsing it again changes nothing.
  assert.deepEqual(parseStudyConfig(printed), printed);
  assert.equal(printed.data, 'some-cifar-folder');
  assert.equal(printed.baseline, true);
  assert.deepEqual(printed.models, [
    {
      name: 'vit-cifar',
      source: 'zoo:vit-cifar',
      train: {
        epochs: 30,
        lr: 1e-3,
        batch: 128,
        optimizer: 'adamw',
        momentum: 0.9,
        weightDecay: 0.05,
        schedule: 'onecycle',
        augment: true,
        warmupEpochs: 2,
        labelSmoothing: 0.1,
      },
    },
  ]);
  assert.ok(ZOO.has('vit-cifar'));
  assert.deepEqual(
    printed.pruning.map((p) => [p.method, p.sparsities]),
    [
      ['heads', [0.25, 0.5]],
      ['mlp-units', [0.5]],
      ['magnitude', [0.5, 0.7, 0.9]],
      ['nm', [0.5]],
    ],
  );
  for (const p of printed.pruning) {
    // Every method exists and takes the preset's options (resolveOptions throws on a bad one).
    const method = PRUNE_METHODS.get(p.method);
    const resolved = resolveOptions(method, {
      sparsity: p.sparsities[0]!,
      method: p.options as Record<string, number | boolean | string>,
    });
    if (p.method === 'nm') assert.deepEqual(resolved.method, { n: 2, m: 4 });
    assert.equal(p.finetune.optimizer, 'adamw');
    assert.equal(p.finetune.epochs, 4);
  }
  // 1 base, 7 pruned variants; 8 variants × (eval, BER sweep, single-bit sweep).
  const steps = planStudy(printed, identity);
  assert.equal(steps.length, 1 + 7 + 8 * 3);
  assert.ok(steps.some((s) => s.id === 'prune vit-cifar/nm@0.5'));
  assert.ok(steps.some((s) => s.id === 'prune vit-cifar/heads@0.5'));

  const noData = await cli('study', '--preset', 'vit', '--print-config');
  assert.notEqual(noData.code, 0);
  assert.match(noData.stderr, /preset 'vit' needs --data/);
});

test('a pruning entry can be limited to some models', () => {
  const cfg = structuredClone(base) as typeof base & { pruning: { models?: string[] }[] };
  cfg.pruning[1]!.models = ['b'];
  const ids = planStudy(parseStudyConfig(cfg), identity).map((s) => s.id);
  assert.ok(ids.includes('prune b/l1-filter@0.3'));
  assert.ok(!ids.includes('prune a/l1-filter@0.3'));
  cfg.pruning[1]!.models = ['c'];
  assertPrunefiError(
    () => parseStudyConfig(cfg),
    'STUDY_CONFIG',
    /config\.pruning\[1\]\.models must be an array of model names \(a, b\)/,
  );
});

test('the step keys of the presets are pinned, so existing study folders are reused', () => {
  // Computed at 62dbb34, before the study's recipes were derived from train's TrainRecipe; a key
  // that changes here reruns that step (and everything after it) in every existing study.
  const pinned: [string, string, string][] = [
    ['demo', 'base lenet5', '617c418e10784c7e4b2e12c69c19968e270ad254a44448c9d5a8f67dd7307724'],
    [
      'demo',
      'prune lenet5/magnitude@0.5',
      '7602a6aaed0a9efde6198b1e5a51198c05b035106a4302c9772f37819512dcf1',
    ],
    ['quick', 'base alexnet-cifar', '9d054532cd5eea9457972ada3c862f1d512f9c8efc083f2556337a8eef4632e5'],
    [
      'quick',
      'prune alexnet-cifar/l1-filter@0.5',
      '45f59a5c7c8ae0e29f8ece6bf0c1276ae32088fe17626b38a3d5c088bf60fade',
    ],
    ['paper', 'base resnet18-cifar', '75cf72d9752ee5dceac9daa2585fd76102427064525d8101464568afc075d8ba'],
    [
      'paper',
      'prune resnet18-cifar/greg-1@0.5',
      'ab4b377b370792b18eba0c3e31700e5d6e88a4148ad4691bf25d128f73c5b3a2',
    ],
    ['vit', 'base vit-cifar', '00884afe8b3fd48a6ffde07c075408fdac9eebe7c11e927b0df6f1326d11b1f4'],
    ['vit', 'prune vit-cifar/heads@0.25', 'a49997fbb3d096592c264010d445d65848916f8ecd6c4370c18098cdea6c9117'],
  ];
  for (const [preset, id, key] of pinned) {
    const steps = planStudy(PRESETS.get(preset).build({ data: 'cifar10' }), (s) => `identity of ${s}`);
    assert.equal(steps.find((s) => s.id === id)?.key, key, `${preset}: ${id}`);
  }
});

test("a config recipe maps to the training engine's: batch is batchSize, augment crops and flips colour images only", () => {
  const colour = toTrainRecipe(DEFAULT_FINETUNE, { shape: [3, 32, 32] });
  assert.deepEqual(colour, {
    batchSize: 128,
    lr: 0.01,
    optimizer: 'sgd',
    momentum: 0.9,
    weightDecay: 5e-4,
    schedule: 'onecycle',
    augment: { padding: 4, flip: true },
  });
  // Explicitly none (not absent) for grey images and when switched off: pruning's setup would
  // otherwise choose by the data.
  assert.deepEqual(toTrainRecipe(DEFAULT_FINETUNE, { shape: [1, 28, 28] }).augment, {
    padding: 0,
    flip: false,
  });
  const off = toTrainRecipe(
    { ...DEFAULT_FINETUNE, augment: false, warmupEpochs: 2, labelSmoothing: 0.1 },
    { shape: [3, 32, 32] },
  );
  assert.deepEqual(
    [off.augment, off.warmupEpochs, off.labelSmoothing],
    [{ padding: 0, flip: false }, 2, 0.1],
  );
});

test('preset protect: AlexNet and ResNet18, unpruned + magnitude 90% + L1 filters 50%, each × none and five protections', () => {
  const c = PRESETS.get('protect').build({ data: 'some-cifar-folder' });
  // The resolved config parses to itself, as --print-config and a saved copy rely on.
  assert.deepEqual(parseStudyConfig(JSON.parse(JSON.stringify(c))), c);
  assert.deepEqual(
    c.models.map((m) => m.name),
    ['alexnet-cifar', 'resnet18-cifar'],
  );
  assert.deepEqual(
    c.pruning.map((p) => [p.method, p.sparsities]),
    [
      ['magnitude', [0.9]],
      ['l1-filter', [0.5]],
    ],
  );
  assert.deepEqual(
    c.faultModels.map((f) => (f.protect ?? []).map((p) => p.name).join('+')),
    ['', 'parity', 'secded72', 'exponent-tmr', 'clip', 'ranger'],
  );
  const steps = planStudy(c, identity);
  const ber = steps.filter((s) => s.kind === 'ber');
  // 2 models × 3 variants × 6 protections, every one a BER sweep (no single-bit sweeps).
  const grid = new Set(ber.map((s) => s.id));
  const expected: string[] = [];
  for (const model of ['alexnet-cifar', 'resnet18-cifar'])
    for (const v of ['unpruned', 'magnitude@0.9', 'l1-filter@0.5'])
      for (const p of [
        '',
        ' protected by parity',
        ' protected by secded72',
        ' protected by exponent-tmr',
        ' protected by clip',
        ' protected by ranger',
      ])
        expected.push(`ber ${model}/${v} [float32 dense bit-flip${p}]`);
  assert.deepEqual([...grid].sort(), expected.sort());
  assert.equal(steps.filter((s) => s.kind === 'bits').length, 0);
  // 2 bases, 4 pruned models, 6 evaluations and the 36 campaigns.
  assert.equal(steps.length, 2 + 4 + 6 + 36);
  assertPrunefiError(() => PRESETS.get('protect').build({}), 'USAGE', /preset 'protect' needs --data/);
});
