import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { buildZooModel } from '../../src/models/index.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { loadModel, saveModel } from '../../src/onnx/file.js';
import { attrTensor, type Model } from '../../src/onnx/ir.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { type Tensor, tensor, tensorBytes } from '../../src/onnx/tensor.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { REPO, SHARED } from '../helpers/paths.js';
import { assertBitIdentical, patternInput, runOnce, scratchDir } from './support.js';

const FIXTURES = join(REPO, 'test/fixtures/onnx');
const SHARED_MODELS = ['alexnet_cifar', 'resnet18_cifar'].map((m) => join(SHARED, 'models', `${m}.onnx`));

/** Asserts that two models hold the same initializers: names, order, dtypes, dims and bytes. */
function assertSameInitializers(a: Model, b: Model): void {
  assert.deepEqual([...a.graph.initializers.keys()], [...b.graph.initializers.keys()]);
  for (const [name, t] of a.graph.initializers) {
    const u = b.graph.initializers.get(name)!;
    assert.equal(u.dtype, t.dtype, name);
    assert.deepEqual(u.dims, t.dims, name);
    assert.ok(Buffer.from(tensorBytes(u)).equals(Buffer.from(tensorBytes(t))), `${name}: bytes differ`);
  }
}

for (const file of SHARED_MODELS) {
  test(`save(load(${file.split('/').pop()})) runs bit-identically in ONNX Runtime`, {
    skip: existsSync(file) ? false : `needs ${file} (not present)`,
  }, async (t) => {
    const dir = scratchDir(t);
    const original = readFileSync(file);
    const model = loadModel(file);
    saveModel(model, join(dir, 'copy.onnx'));
    const copy = loadModel(join(dir, 'copy.onnx'));
    assertSameInitializers(model, copy);
    assert.deepEqual(copy.graph.inputs, model.graph.inputs);
    assert.deepEqual(copy.graph.outputs, model.graph.outputs);
    assert.deepEqual(
      copy.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs, n.attributes]),
      model.graph.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs, n.attributes]),
    );
    const feeds = { input: patternInput([2, 3, 32, 32]) };
    const expected = await runOnce(original, feeds);
    assert.deepEqual(expected.dims, [2, 10]);
    assertBitIdentical(await runOnce(readFileSync(join(dir, 'copy.onnx')), feeds), expected, 'file copy');
    assertBitIdentical(await runOnce(copy, feeds), expected, 'in-memory copy');
    if (file.includes('alexnet')) {
      // Once with every optimization on, as `prunefi eval` runs (seconds per session for ResNet).
      const optimized = await runOnce(original, feeds, 'all');
      assertBitIdentical(await runOnce(copy, feeds, 'all'), optimized, 'optimized in-memory copy');
    }
  });
}

test('zoo models survive save/load bit-identically, inline and with external data', async (t) => {
  const dir = scratchDir(t);
  for (const [name, dims] of [
    ['lenet5', [2, 1, 28, 28]],
    ['resnet18-cifar', [2, 3, 32, 32]],
  ] as const) {
    const model = buildZooModel(name, { seed: 5 });
    const feeds = { input: patternInput(dims) };
    const expected = await runOnce(model, feeds);
    saveModel(model, join(dir, `${name}.onnx`));
    const inline = loadModel(join(dir, `${name}.onnx`));
    assertSameInitializers(model, inline);
    assert.deepEqual([...inline.metadata], [...model.metadata]);
    assertBitIdentical(await runOnce(inline, feeds), expected, `${name} inline`);

    mkdirSync(join(dir, name));
    const path = join(dir, name, 'model.onnx');
    saveModel(model, path, { externalData: { location: 'model.onnx.data' } });
    const ext = loadModel(path);
    assertSameInitializers(model, ext);
    assertBitIdentical(await runOnce(ext, feeds), expected, `${name} external data`);
    // Only tensors of at least 1024 bytes move out: the model file keeps the small ones and the
    // graph, the side file holds the rest at 4096-byte aligned offsets.
    const big = [...model.graph.initializers.values()].filter((x) => x.data.byteLength >= 1024);
    const bigBytes = big.reduce((a, x) => a + x.data.byteLength, 0);
    const sideSize = statSync(join(dir, name, 'model.onnx.data')).size;
    assert.ok(sideSize >= bigBytes && sideSize < bigBytes + 4096 * big.length, `side file ${sideSize} B`);
    assert.ok(statSync(path).size < 64 * 1024, 'the model file holds no large tensor');
    assert.deepEqual(
      readdirSync(join(dir, name)).sort(),
      ['model.onnx', 'model.onnx.data'],
      'no temp files left',
    );
  }
});

test('every dtype round-trips exactly from raw_data and typed-field encodings (onnx 1.12 fixture)', (t) => {
  // dtypes.onnx / dtypes.json were written by test/fixtures/onnx/make-dtypes.py (onnx 1.12).
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'dtypes.json'), 'utf8')) as {
    metadata: [string, string][];
    initializers: Record<string, { dtype: string; dims: number[]; field: string; hex: string }>;
  };
  const check = (model: Model, what: string): void => {
    assert.deepEqual([...model.graph.initializers.keys()].sort(), Object.keys(expected.initializers).sort());
    for (const [name, e] of Object.entries(expected.initializers)) {
      const got = model.graph.initializers.get(name)!;
      assert.equal(got.dtype, e.dtype, `${what} ${name} dtype`);
      assert.deepEqual(got.dims, e.dims, `${what} ${name} dims`);
      assert.equal(
        Buffer.from(tensorBytes(got)).toString('hex'),
        e.hex,
        `${what} ${name} (${e.field}) bytes`,
      );
    }
    assert.deepEqual([...model.metadata], expected.metadata, `${what} metadata_props`);
  };
  const model = loadModel(join(FIXTURES, 'dtypes.onnx'));
  check(model, 'fixture');
  assert.equal(typeof model.graph.initializers.get('int64_typed')!.data[0], 'bigint');
  check(loadModel(join(FIXTURES, 'dtypes-external.onnx')), 'onnx external-data fixture');
  const dir = scratchDir(t);
  saveModel(model, join(dir, 'again.onnx'));
  check(loadModel(join(dir, 'again.onnx')), 'resaved');
  saveModel(model, join(dir, 'ext.onnx'), { externalData: { location: 'ext.bin', threshold: 0 } });
  check(loadModel(join(dir, 'ext.onnx')), 'resaved with external data');
});

test('metadata_props, doc strings, opsets and tensor attributes round-trip', (t) => {
  const b = new GraphBuilder('meta');
  const x = b.input('x', 'float16', ['n', 2]);
  const c = b.op('Constant', [], {
    value: attrTensor(tensor('float16', [2], Uint16Array.from([0x3c00, 0x8001]))),
  });
  b.output(b.op('Add', [x, c]), 'float16', ['n', 2]);
  const model = b.build({
    docString: 'doc ✓',
    producerVersion: '9.9',
    metadata: { 'prunefi.method': 'magnitude', 'prunefi.parent': 'sha256:00ff', ünï: 'cödé', empty: '' },
    extraOpsets: [{ domain: 'com.example', version: 2 }],
  });
  const dir = scratchDir(t);
  saveModel(model, join(dir, 'm.onnx'));
  const back = loadModel(join(dir, 'm.onnx'));
  assert.deepEqual([...back.metadata], [...model.metadata]);
  assert.equal(back.docString, 'doc ✓');
  assert.equal(back.producerName, 'prunefi');
  assert.equal(back.producerVersion, '9.9');
  assert.equal(back.irVersion, 8);
  assert.deepEqual(back.opsetImports, model.opsetImports);
  const value = back.graph.nodes[0]!.attributes.value;
  assert.ok(value?.type === 'tensor');
  assert.equal(value.value.dtype, 'float16');
  assert.deepEqual([...value.value.data], [0x3c00, 0x8001]);
});

test('a file that is not ONNX is an ONNX_PARSE error naming the file', (t) => {
  const dir = scratchDir(t);
  const text = join(dir, 'notes.onnx');
  writeFileSync(text, 'this is a text file, not a model\n'.repeat(20));
  assertPrunefiError(
    () => loadModel(text),
    'ONNX_PARSE',
    /notes\.onnx/,
    /not (a readable )?(an )?ONNX model/,
  );
  const png = new PNG({ width: 4, height: 4 });
  png.data.fill(200);
  const image = join(dir, 'image.png');
  writeFileSync(image, PNG.sync.write(png));
  assertPrunefiError(() => loadModel(image), 'ONNX_PARSE', /image\.png/);
  const empty = join(dir, 'empty.onnx');
  writeFileSync(empty, '');
  assertPrunefiError(() => loadModel(empty), 'ONNX_PARSE', /empty\.onnx/, /no graph/);
});

test('a truncated ONNX file is an ONNX_PARSE error saying to check the export', (t) => {
  const dir = scratchDir(t);
  const full = join(dir, 'full.onnx');
  saveModel(buildZooModel('lenet5'), full);
  const bytes = readFileSync(full);
  const half = join(dir, 'half.onnx');
  writeFileSync(half, bytes.subarray(0, bytes.length >> 1));
  assertPrunefiError(() => loadModel(half), 'ONNX_PARSE', /half\.onnx/, /complete \.onnx export/);
});

test('the shared ResNet18 cut in half is an ONNX_PARSE error', {
  skip: existsSync(SHARED_MODELS[1]!) ? false : `needs ${SHARED_MODELS[1]} (not present)`,
}, (t) => {
  const bytes = readFileSync(SHARED_MODELS[1]!);
  const half = join(scratchDir(t), 'resnet18_half.onnx');
  writeFileSync(half, bytes.subarray(0, bytes.length >> 1));
  assertPrunefiError(() => loadModel(half), 'ONNX_PARSE', /resnet18_half\.onnx/);
});

test('a missing model path or a folder is MODEL_NOT_FOUND', (t) => {
  const dir = scratchDir(t);
  assertPrunefiError(() => loadModel(join(dir, 'nope.onnx')), 'MODEL_NOT_FOUND', /nope\.onnx/, /zoo:<name>/);
  assertPrunefiError(() => loadModel(dir), 'MODEL_NOT_FOUND', /is a folder/);
});

test('external data that is missing, too short or outside the model folder is ONNX_INVALID', (t) => {
  const dir = scratchDir(t);
  const model = buildZooModel('lenet5');
  const path = join(dir, 'm.onnx');
  saveModel(model, path, { externalData: { location: 'm.data' } });
  const data = join(dir, 'm.data');
  const bytes = readFileSync(data);

  truncateSync(data, bytes.length - 100);
  assertPrunefiError(() => loadModel(path), 'ONNX_INVALID', /m\.data/, /too short/, /fc\d\.weight/);

  truncateSync(data, 0);
  assertPrunefiError(() => loadModel(path), 'ONNX_INVALID', /too short/, /it is truncated/);

  // A missing side file.
  const lonely = join(scratchDir(t), 'lonely.onnx');
  writeFileSync(lonely, readFileSync(path));
  assertPrunefiError(
    () => loadModel(lonely),
    'ONNX_INVALID',
    /m\.data/,
    /missing/,
    /copy it next to the model/,
  );

  // A location escaping the folder, even into a sibling whose name extends the folder's.
  const root = scratchDir(t);
  mkdirSync(join(root, 'models'));
  mkdirSync(join(root, 'models2'));
  writeFileSync(join(root, 'models2', 'w.bin'), bytes);
  let offset = 0;
  const escaping = encodeModel(model, (_n, b) => {
    if (b.byteLength < 1024) return undefined;
    const entry = { location: '../models2/w.bin', offset, length: b.byteLength };
    offset += b.byteLength;
    return entry;
  });
  writeFileSync(join(root, 'models', 'm.onnx'), escaping);
  assertPrunefiError(
    () => loadModel(join(root, 'models', 'm.onnx')),
    'ONNX_INVALID',
    /outside the model folder/,
  );
  assert.throws(
    () => saveModel(model, join(root, 'models', 'x.onnx'), { externalData: { location: '../x.bin' } }),
    RangeError,
  );
});

test('saving into a folder that does not exist is an IO error naming the path', (t) => {
  const target = join(scratchDir(t), 'no', 'such', 'm.onnx');
  assertPrunefiError(
    () => saveModel(buildZooModel('lenet5'), target),
    'IO',
    /no\/such\/m\.onnx/,
    /its folder does not exist \(was it removed\?\): create it, or choose another output path/,
  );
});

test('typed tensors keep their exact bytes through encode/decode of attributes and initializers', (t) => {
  const b = new GraphBuilder('types');
  const x = b.input('x', 'float32', [1]);
  const inits: [string, Tensor][] = [
    ['i64', tensor('int64', [3], BigInt64Array.from([-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n]))],
    ['u64', tensor('uint64', [2], BigUint64Array.from([0n, 2n ** 64n - 1n]))],
    ['b', tensor('bool', [3], Uint8Array.from([1, 0, 1]))],
    ['bf', tensor('bfloat16', [2], Uint16Array.from([0x7fc1, 0x0001]))],
  ];
  for (const [n, want] of inits) b.initializer(n, want);
  b.output(b.op('Identity', [x]), 'float32', [1]);
  const dir = scratchDir(t);
  saveModel(b.build(), join(dir, 't.onnx'));
  const back = loadModel(join(dir, 't.onnx'));
  for (const [n, want] of inits) {
    const got = back.graph.initializers.get(n)!;
    assert.equal(got.dtype, want.dtype);
    assert.ok(Buffer.from(tensorBytes(got)).equals(Buffer.from(tensorBytes(want))), n);
  }
});
