import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildZooModel } from '../../src/models/zoo.js';
import { loadModel, saveModel } from '../../src/onnx/file.js';
import { weightsSha256 } from '../../src/prune/provenance.js';
import { PRUNE_METHODS } from '../../src/prune/registry.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { lrnNet } from './nets.js';

const dir = tempDir('prunefi-prune-cli-');

test('prunefi methods lists every registry entry with its needs and options', async () => {
  const r = await cli('methods');
  assert.equal(r.code, 0, r.stderr);
  for (const name of PRUNE_METHODS.names()) assert.match(r.stdout, new RegExp(`^${name} `, 'm'));
  assert.match(r.stdout, /synflow +unstructured +global\|layer +gradients/);
  assert.match(r.stdout, /--opt iterations=<int>/);
  const j = JSON.parse((await cli('methods', '--json')).stdout) as { name: string; needsData: boolean }[];
  assert.equal(j.find((m) => m.name === 'snip')?.needsData, true);
});

test('prunefi prune writes the model with provenance metadata and prints the layer table', async () => {
  const parent = join(dir, 'lenet.onnx');
  const model = buildZooModel('lenet5', { seed: 3 });
  saveModel(model, parent);
  const out = join(dir, 'lenet-mag.onnx');
  const r = await cli('prune', parent, '-m', 'magnitude', '-s', '0.75', '--seed', '7', '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^conv1 +6×1×5×5 +156 +117\.6k/m);
  assert.match(r.stdout, /^total .* 75\.0%$/m);
  const m = loadModel(out);
  const meta = m.metadata;
  assert.equal(meta.get('prunefi.prune.method'), 'magnitude');
  assert.equal(meta.get('prunefi.prune.seed'), '7');
  // 75% of LeNet-5's 61,470 weights is 46,102.5, rounded to nearest as torch.nn.utils.prune does.
  assert.equal(meta.get('prunefi.prune.sparsity'), (46103 / 61470).toFixed(6));
  const options = JSON.parse(meta.get('prunefi.prune.options')!) as { scope: string; sparsity: number };
  assert.deepEqual([options.scope, options.sparsity], ['global', 0.75]);
  assert.equal(
    meta.get('prunefi.parent.file_sha256'),
    createHash('sha256').update(readFileSync(parent)).digest('hex'),
  );
  assert.equal(meta.get('prunefi.parent.weights_sha256'), weightsSha256(model.graph));
  assert.equal(meta.get('prunefi.source'), model.metadata.get('prunefi.source'));
});

test('bad input: clear errors and nothing written', async () => {
  const out = join(dir, 'never.onnx');
  const cases: [string[], RegExp][] = [
    [['-m', 'magnitude', '-s', '1'], /sparsity must be in \[0, 1\).*got 1/],
    [['-m', 'magnitude', '--sparsity=-0.1'], /sparsity must be in \[0, 1\)/],
    [
      ['-m', 'magnitude', '-s', '0.5', '--layer', 'conv1.weight=1.5'],
      /sparsity of layer 'conv1.weight' must be in \[0, 1\)/,
    ],
    [
      ['-m', 'l1-filter', '-s', '0.5', '--layer', 'conv1.weight=0.95'],
      /ratio 0.95 would remove all 6 filters of conv1.weight/,
    ],
    [['-m', 'snip', '-s', '0.5'], /pruning method 'snip' needs training data; pass --data/],
    [['-m', 'magnitude', '-s', '0.5', '--finetune-epochs', '1'], /fine-tuning needs training data/],
    [
      ['-m', 'magnitude', '-s', '0.5', '--layer', 'nope.weight=0.5'],
      /unknown layer 'nope.weight'; valid layer names: conv1.weight/,
    ],
    [['-m', 'magnitude', '-s', '0.5', '--opt', 'n=2'], /unknown option of pruning method 'magnitude' 'n'/],
    [['-m', 'nm', '--opt', 'n=4'], /option n of method nm must be smaller than m, got n=4, m=4/],
    [
      ['-m', 'magnitude', '-s', '0.5', '--scope', 'global', '--remove'],
      /remove applies to filter and head methods only/,
    ],
    [
      ['-m', 'magnitude', '-s', '0.5', '--schedule', 'cosin'],
      /--schedule must be one of constant, step, cosine, onecycle, got 'cosin'; did you mean 'cosine'\?/,
    ],
    [
      ['-m', 'frobnicate', '-s', '0.5'],
      /unknown pruning method 'frobnicate'; valid pruning method names: magnitude, random/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli('prune', 'zoo:lenet5', ...args, '-o', out);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.ok(!existsSync(out), `${args.join(' ')} wrote ${out}`);
  }
  const missingDir = await cli(
    'prune',
    'zoo:lenet5',
    '-m',
    'magnitude',
    '-s',
    '0.5',
    '-o',
    join(dir, 'no/such/x.onnx'),
  );
  assert.equal(missingDir.code, 2);
  assert.match(missingDir.stderr, /folder .* does not exist/);
});

test('an op the structural pass cannot follow: the CLI names the node; --mask-fallback masks instead', async () => {
  const parent = join(dir, 'lrn.onnx');
  saveModel(lrnNet(), parent);
  const out = join(dir, 'lrn-pruned.onnx');
  const r = await cli('prune', parent, '-m', 'l1-filter', '-s', '0.5', '-o', out);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot physically remove channels of conv1.weight: node '\/lrn\/LRN' \(LRN\)/);
  assert.ok(!existsSync(out));
  const ok = await cli('prune', parent, '-m', 'l1-filter', '-s', '0.5', '--mask-fallback', '-o', out);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /note: conv1.weight: channels masked, not removed/);
  assert.ok(existsSync(out));
});

test('prunefi sensitivity measures accuracy per layer and sparsity', async () => {
  const json = join(dir, 'sens.json');
  const r = await cli(
    'sensitivity',
    'zoo:lenet5',
    '--data',
    'mnist',
    '--limit',
    '50',
    '--sparsity',
    '0.5',
    '--sparsity',
    '0.9',
    '--layer',
    'conv1.weight',
    '--layer',
    'fc3.weight',
    '-o',
    json,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /layer +50% +90%/);
  const rows = JSON.parse(readFileSync(json, 'utf8')) as {
    rows: { layers: string[]; sparsity: number; accuracy: number }[];
  };
  assert.deepEqual(
    rows.rows.map((x) => `${x.layers.join()}@${x.sparsity}`),
    ['conv1.weight@0.5', 'conv1.weight@0.9', 'fc3.weight@0.5', 'fc3.weight@0.9'],
  );
  for (const x of rows.rows) assert.ok(x.accuracy >= 0 && x.accuracy <= 1);
  const noData = await cli('sensitivity', 'zoo:lenet5');
  assert.equal(noData.code, 2);
  assert.match(noData.stderr, /pass --data/);
});

test("prune's fine-tuning takes train's recipe options (optimizer, warm-up, smoothing) under the same names", async () => {
  const out = join(dir, 'finetuned.onnx');
  const r = await cli(
    'prune',
    'zoo:lenet5',
    ...['-m', 'magnitude', '-s', '0.5', '--data', 'mnist', '--limit', '50', '--train-limit', '32'],
    ...['--finetune-epochs', '1', '--optimizer', 'adamw', '--train-batch', '16', '--warmup', '0.5'],
    ...['--label-smoothing', '0.1', '-o', out],
  );
  assert.equal(r.code, 0, r.stderr);
  const recipe = JSON.parse((await loadModel(out)).metadata.get('prunefi.train.recipe')!) as Record<
    string,
    unknown
  >;
  assert.deepEqual(
    [recipe.optimizer, recipe.batchSize, recipe.warmupEpochs, recipe.labelSmoothing, recipe.lr],
    ['adamw', 16, 0.5, 0.1, 0.01],
  );
});
