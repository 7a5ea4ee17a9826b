/**
 * Issue 18's acceptance, end to end through the CLI: the ViT and the BERT-style encoder exported
 * by PyTorch (test/fixtures/torch) go through info → train → prune (magnitude, nm 2:4, heads) →
 * fine-tune → campaign run (BER and single-bit) → report, on tensor datasets small enough that
 * both take seconds.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { cli } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { TORCH_FIXTURES } from '../helpers/torch-fixtures.js';

const reference = JSON.parse(readFileSync(join(TORCH_FIXTURES, 'reference.json'), 'utf8')) as {
  models: Record<string, { params: number }>;
};

/** Writes a little-endian, C-order .npy file (format 1.0), as numpy.save does. */
function writeNpy(path: string, descr: string, dims: readonly number[], data: ArrayBufferView): void {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy pads the header with spaces so the data starts on a 64-byte boundary.
  header += ' '.repeat(63 - ((10 + header.length) % 64));
  header += '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

/** 16 seeded N(0, 1) "images" for the ViT's input, labelled 0-9 in turn. */
function vitTensors(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const n = 16;
  const rng = Rng.seeded('e2e-vit');
  const x = new Float32Array(n * 3 * 32 * 32);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  writeNpy(join(dir, 'input.npy'), '<f4', [n, 3, 32, 32], x);
  writeNpy(
    join(dir, 'labels.npy'),
    '<i8',
    [n],
    BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10)),
  );
  return dir;
}

async function ok(...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  assert.equal(r.code, 0, `prunefi ${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Info {
  params: number;
  macs: number;
  assumedDims?: { input: string; value: number }[];
  layers: { node: string; op: string; macs: number; weightShape: number[]; zeros: number }[];
}

interface Status {
  done: number;
  golden: { images: number; correct: number };
}

const VARIANTS = [
  { name: 'magnitude', args: ['-m', 'magnitude', '-s', '0.5'], granularity: 'unstructured' },
  { name: 'nm', args: ['-m', 'nm'], granularity: 'n:m' },
  { name: 'heads', args: ['-m', 'heads', '-s', '0.25'], granularity: 'head' },
];

async function acceptance(name: 'vit' | 'bert', data: string, samples: number): Promise<void> {
  const dir = tempDir(`prunefi-accept-${name}-`);
  const fixture = join(TORCH_FIXTURES, `${name}.onnx`);
  const info = JSON.parse(await ok('info', fixture, '--json')) as Info;
  assert.equal(info.params, reference.models[name]!.params, 'info params = PyTorch sum(p.numel())');
  // Attention's QKᵀ product has MACs even where the sequence length is symbolic (BERT: 64).
  const qk = info.layers.find((l) => /attention\/MatMul(_1)?$/.test(l.node) && l.macs > 0);
  assert.ok(qk && info.macs > 0, 'attention blocks have MACs');
  if (name === 'bert')
    assert.deepEqual(
      info.assumedDims?.map((d) => d.value),
      [64, 64],
    );
  const train = (model: string, out: string) =>
    ok(
      'train',
      '--model',
      model,
      '--data',
      data,
      '--test-data',
      data,
      '--epochs',
      '1',
      '--batch',
      '8',
      '-o',
      out,
    );
  const base = join(dir, 'base.onnx');
  await train(fixture, base);
  const models = [base];
  for (const v of VARIANTS) {
    const pruned = join(dir, `${v.name}.onnx`);
    const r = JSON.parse(await ok('prune', base, ...v.args, '-o', pruned, '--json')) as {
      paramsBefore: number;
      paramsAfter: number;
      sparsity: number;
    };
    assert.equal(r.paramsBefore, reference.models[name]!.params);
    if (v.name === 'heads') assert.ok(r.paramsAfter < r.paramsBefore, 'heads are removed for real');
    else assert.ok(r.sparsity > 0.3, `${v.name} sparsity ${r.sparsity}`);
    const tuned = join(dir, `${v.name}-ft.onnx`);
    await train(pruned, tuned);
    models.push(tuned);
    // Fine-tuning holds the pruned weights at zero (biases that were zero may train).
    const weightZeros = async (file: string): Promise<number> =>
      (JSON.parse(await ok('info', file, '--json')) as Info).layers
        .filter((l) => l.weightShape.length >= 2 && l.op !== 'Gather')
        .reduce((a, l) => a + l.zeros, 0);
    if (v.name !== 'heads')
      assert.equal(await weightZeros(tuned), await weightZeros(pruned), `${v.name}: sparsity kept`);
  }
  const dbs: string[] = [];
  const golden = new Map<string, Status['golden']>();
  for (const [i, model] of models.entries()) {
    const plans = [
      ['ber', ['--plan', 'ber', '--rates', '1e-5,1e-4', '--trials', '3'], 6],
      ['sb', ['--plan', 'single-bit', '--bits', '29-30', '--per-bit', '3'], 6],
    ] as const;
    for (const [plan, args, experiments] of plans) {
      const db = join(dir, `${i}-${plan}.sqlite`);
      await ok('campaign', 'run', '--db', db, '--model', model, '--data', data, ...args, '--threads', '1');
      const s = JSON.parse(await ok('campaign', 'status', db, '--json')) as Status;
      assert.deepEqual(
        [s.done, s.golden.images],
        [experiments, samples],
        `${model} ${plan}: outcomes stored`,
      );
      golden.set(model, s.golden);
      dbs.push(db);
    }
  }
  const html = join(dir, 'report.html');
  const written = JSON.parse(await ok('report', ...dbs, '-o', html, '--json', '--bootstrap', '200')) as {
    data: string;
    numbersCsv: string;
  };
  assert.ok(existsSync(html) && existsSync(written.numbersCsv));
  const report = JSON.parse(readFileSync(written.data, 'utf8')) as {
    variants: {
      id: string;
      method: string;
      label: string;
      granularity: string;
      cleanCorrect: number;
      macs: number;
    }[];
    berSweeps: { variantId: string; points: { trials: unknown[] }[] }[];
    bitSweeps: { variantId: string }[];
  };
  // One group: the three fine-tuned variants name the trained base as their parent.
  assert.deepEqual(report.variants.map((v) => [v.method, v.granularity]).sort(), [
    ['heads', 'head'],
    ['magnitude', 'unstructured'],
    ['nm', 'n:m'],
    ['none', 'none'],
  ]);
  assert.equal(new Set(report.variants.map((v) => v.id.split('/')[0])).size, 1);
  const byMethod = new Map(report.variants.map((v) => [v.method, v]));
  assert.equal(
    byMethod.get('none')!.cleanCorrect,
    golden.get(base)!.correct,
    "the report shows the campaign's numbers",
  );
  assert.equal(byMethod.get('heads')!.cleanCorrect, golden.get(models[3]!)!.correct);
  assert.ok(report.variants.every((v) => v.macs > 0));
  assert.equal(report.berSweeps.length, 4);
  assert.equal(report.bitSweeps.length, 4);
  assert.ok(
    report.berSweeps.every((s) => s.points.length === 2 && s.points.every((p) => p.trials.length === 3)),
  );
  assert.match(readFileSync(html, 'utf8'), /heads 25%/);
  // 2:4 drops half of every group whatever --sparsity said, and is labelled so.
  assert.equal(byMethod.get('nm')!.label, 'nm 50%');
}

test('ViT from PyTorch: info, prune magnitude|nm|heads, train, BER and single-bit campaigns, report', async () => {
  await acceptance('vit', vitTensors(join(tempDir('prunefi-vit-data-'), 'set')), 16);
});

test('BERT-style encoder from PyTorch on int64 ids: the same path, on a tensor dataset', async () => {
  await acceptance('bert', join(REPO, 'test/fixtures/data/tokens/tokens.npz'), 8);
});
