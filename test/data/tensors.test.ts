/**
 * Tensor datasets: .npy and .npz files written by Debian's python3-numpy (test/fixtures/data/
 * make_tensors.py) read back to numpy's own values, every refused form gives its one-line
 * message, and a tensor set matches (or fails to match) the BERT fixture's inputs.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { parseNpy } from '../../src/data/npy.js';
import {
  isTensorSpec,
  loadTensorSet,
  matchTensorSet,
  type TensorSet,
  tensorBatches,
} from '../../src/data/tensorset.js';
import { crc32, readZip } from '../../src/data/zip.js';
import { loadModel } from '../../src/onnx/file.js';
import { toFloat32 } from '../../src/onnx/tensor.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { REPO, tempDir } from '../helpers/paths.js';

const DIR = join(REPO, 'test/fixtures/data');
const NPY = join(DIR, 'npy');
interface Expected {
  dims: number[];
  data: (number | string)[];
}
const expected = JSON.parse(readFileSync(join(NPY, 'expected.json'), 'utf8')) as Record<string, Expected> & {
  pair: { a: Expected; b: Expected };
};
const read = (f: string) => parseNpy(readFileSync(join(NPY, f)), f);

/** Elements as numpy prints them: bigint as decimal, float16 decoded, bool 0/1. */
function values(t: ReturnType<typeof read>): (number | string)[] {
  if (t.dtype === 'int64' || t.dtype === 'uint64')
    return Array.from(t.data as BigInt64Array, (v) => String(v));
  if (t.dtype === 'float16') return Array.from(toFloat32(t));
  return Array.from(t.data as ArrayLike<number>);
}

for (const dtype of ['float32', 'float64', 'float16', 'int64', 'int32', 'int8', 'uint8', 'bool']) {
  test(`parseNpy reads numpy's ${dtype} .npy (version 1.0, little endian) exactly`, () => {
    const t = read(`${dtype}.npy`);
    assert.equal(t.dtype, dtype);
    assert.deepEqual(t.dims, expected[dtype]!.dims);
    // Exact: the values are the file's own bits (float16's decode is exact in float32).
    assert.deepEqual(values(t), expected[dtype]!.data);
  });
}

test('parseNpy reads header versions 2.0 and 3.0 and big-endian arrays', () => {
  for (const f of ['v2.npy', 'v3.npy', 'big-f4.npy']) {
    const t = read(f);
    assert.equal(t.dtype, 'float32', f);
    assert.deepEqual(values(t), expected.float32!.data, f);
  }
  assert.deepEqual(values(read('big-i8.npy')), expected.int64!.data);
});

test('parseNpy refuses Fortran order, unknown dtypes, versions and truncation with one line each', () => {
  assertPrunefiError(() => read('fortran.npy'), 'DATA_INVALID', /Fortran/, /ascontiguousarray/);
  const good = readFileSync(join(NPY, 'float32.npy'));
  const patch = (at: number, text: string) => {
    const b = new Uint8Array(good);
    b.set(new TextEncoder().encode(text), at);
    return b;
  };
  const descrAt = good.indexOf("'<f4'") + 1;
  assertPrunefiError(() => parseNpy(patch(descrAt, '<c8'), 'c.npy'), 'DATA_INVALID', /dtype '<c8'/, /astype/);
  assertPrunefiError(() => parseNpy(patch(6, '\x04'), 'v.npy'), 'DATA_INVALID', /version 4\.0/);
  assertPrunefiError(() => parseNpy(good.subarray(0, good.length - 4), 't.npy'), 'DATA_INVALID', /truncated/);
  assertPrunefiError(() => parseNpy(new Uint8Array(20), 'z.npy'), 'DATA_INVALID', /magic/);
});

test('readZip reads numpy.savez (stored) and savez_compressed (deflate) members, checking CRC-32', () => {
  for (const f of ['pair-stored.npz', 'pair-deflate.npz']) {
    const members = readZip(readFileSync(join(NPY, f)), f);
    assert.deepEqual([...members.keys()].sort(), ['a.npy', 'b.npy']);
    const a = parseNpy(members.get('a.npy')!, 'a');
    const b = parseNpy(members.get('b.npy')!, 'b');
    assert.deepEqual(a.dims, expected.pair.a.dims);
    assert.deepEqual(Array.from(a.data as Float32Array), expected.pair.a.data);
    assert.deepEqual(Array.from(b.data as BigInt64Array, Number), expected.pair.b.data);
  }
  // A flipped byte inside a stored member fails its CRC rather than yielding wrong numbers.
  const bytes = new Uint8Array(readFileSync(join(NPY, 'pair-stored.npz')));
  bytes[200] = bytes[200]! ^ 1;
  assertPrunefiError(() => readZip(bytes, 'bad.npz'), 'DATA_INVALID', /CRC-32/);
  assertPrunefiError(() => readZip(new Uint8Array(64), 'no.npz'), 'DATA_INVALID', /end of central directory/);
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926); // the standard check value
  assert.ok(deflateRawSync); // node:zlib is the only inflater used
});

const tokens = join(DIR, 'tokens/tokens.npz');

test('loadTensorSet reads the tokens .npz and the same arrays as a folder of .npy files', () => {
  const z = loadTensorSet(tokens);
  const f = loadTensorSet(join(DIR, 'tokens/folder'));
  assert.equal(z.count, 8);
  assert.deepEqual([...z.inputs.keys()].sort(), ['attention_mask', 'input_ids']);
  assert.deepEqual(z.inputs.get('input_ids')!.dims, [8, 16]);
  assert.equal(z.inputs.get('input_ids')!.dtype, 'int64');
  assert.deepEqual(z.labels.dims, [8]);
  assert.equal(z.hash, f.hash, 'same arrays, same hash, whatever the container');
  assert.match(z.name, /^tensors:.*tokens\.npz$/);
  const limited = loadTensorSet(tokens, { limit: 3 });
  assert.equal(limited.count, 3);
  assert.deepEqual(limited.inputs.get('attention_mask')!.dims, [3, 16]);
  assert.deepEqual(Array.from(limited.labels.data), Array.from(z.labels.data.subarray(0, 3)));
  assert.ok(isTensorSpec(tokens) && isTensorSpec(join(DIR, 'tokens/folder')) && isTensorSpec('tensors:x'));
  assert.ok(!isTensorSpec(join(DIR, 'jpeg')));
});

test('tensorBatches slices every array and the labels along the sample axis', () => {
  const set = loadTensorSet(tokens);
  const ids = set.inputs.get('input_ids')!.data as BigInt64Array;
  const got = [...tensorBatches(set, { batchSize: 3 })];
  assert.deepEqual(
    got.map((b) => b.feeds.input_ids!.dims),
    [
      [3, 16],
      [3, 16],
      [2, 16],
    ],
  );
  assert.deepEqual(Array.from(got[2]!.feeds.input_ids!.data as BigInt64Array), Array.from(ids.subarray(96)));
  assert.deepEqual(Array.from(got[1]!.y), Array.from(set.labels.data.subarray(3, 6)));
  const picked = [...tensorBatches(set, { batchSize: 8, indices: [7, 0], feeds: ['attention_mask'] })];
  assert.deepEqual(Object.keys(picked[0]!.feeds), ['attention_mask']);
  assert.deepEqual(Array.from(picked[0]!.indices), [7, 0]);
});

test('loadTensorSet refuses a missing path, a lone .npy, missing labels and ragged arrays', () => {
  const dir = tempDir('prunefi-tensors-');
  assertPrunefiError(() => loadTensorSet(join(dir, 'none.npz')), 'DATA_NOT_FOUND', /does not exist/);
  copyFileSync(join(NPY, 'float32.npy'), join(dir, 'x.npy'));
  assertPrunefiError(() => loadTensorSet(join(dir, 'x.npy')), 'DATA_INVALID', /single \.npy/, /folder/);
  assertPrunefiError(() => loadTensorSet(dir), 'DATA_INVALID', /no 'labels' array \(it has x\)/);
  copyFileSync(join(NPY, 'pair-stored.npz'), join(dir, 'pair.npz'));
  assertPrunefiError(() => loadTensorSet(join(dir, 'pair.npz')), 'DATA_INVALID', /no 'labels'/);
  // labels.npy with 4 rows next to x (3 rows): the first axes disagree.
  const ragged = join(dir, 'ragged');
  mkdirSync(ragged);
  copyFileSync(join(NPY, 'float32.npy'), join(ragged, 'x.npy'));
  writeFileSync(
    join(ragged, 'labels.npy'),
    readZip(readFileSync(join(NPY, 'pair-stored.npz')), 'p').get('b.npy')!,
  );
  assertPrunefiError(() => loadTensorSet(ragged), 'DATA_INVALID', /'x' has shape 3×2×2/, /4 rows/);
  const floats = join(dir, 'floats');
  mkdirSync(floats);
  copyFileSync(join(NPY, 'float32.npy'), join(floats, 'labels.npy'));
  assertPrunefiError(() => loadTensorSet(floats), 'DATA_INVALID', /labels must be integers/);
});

test('matchTensorSet binds the BERT fixture inputs and names what is wrong otherwise', () => {
  const model = loadModel(join(REPO, 'test/fixtures/torch/bert.onnx'));
  const inputs = model.graph.inputs.filter((v) => !model.graph.initializers.has(v.name));
  const set = loadTensorSet(tokens);
  const m = matchTensorSet(set, inputs, 'bert.onnx');
  assert.deepEqual(m.feeds, ['input_ids', 'attention_mask']);
  assert.deepEqual([...m.bindings], [['sequence', 16]]);
  assert.equal(m.fixedBatch, undefined);
  const without = (name: string): TensorSet => ({
    ...set,
    inputs: new Map([...set.inputs].filter(([k]) => k !== name)),
  });
  assertPrunefiError(
    () => matchTensorSet(without('attention_mask'), inputs, 'bert.onnx'),
    'SHAPE_MISMATCH',
    /input 'attention_mask' \(int64 batch×sequence\)/,
    /has no array of that name \(it has input_ids, labels\)/,
    /named input_ids, attention_mask, plus 'labels'/,
  );
  const ids = set.inputs.get('input_ids')!;
  const asInt32: TensorSet = {
    ...set,
    inputs: new Map([
      ...set.inputs,
      ['input_ids', { dtype: 'int32', dims: ids.dims, data: new Int32Array(128) }],
    ]),
  };
  assertPrunefiError(
    () => matchTensorSet(asInt32, inputs, 'bert.onnx'),
    'SHAPE_MISMATCH',
    /'input_ids' as int64, but .* is int32/,
    /astype\(numpy\.int64\)/,
  );
  const shorter: TensorSet = {
    ...set,
    inputs: new Map([
      ...set.inputs,
      ['attention_mask', { dtype: 'int64', dims: [8, 12], data: new BigInt64Array(96) }],
    ]),
  };
  assertPrunefiError(
    () => matchTensorSet(shorter, inputs, 'bert.onnx'),
    'SHAPE_MISMATCH',
    /'attention_mask' has shape 8×12 \(axis 1 \(sequence\) is 12, but 'input_ids' makes sequence = 16\)/,
  );
  const flat: TensorSet = {
    ...set,
    inputs: new Map([
      ...set.inputs,
      ['input_ids', { dtype: 'int64', dims: [8], data: new BigInt64Array(8) }],
    ]),
  };
  assertPrunefiError(
    () => matchTensorSet(flat, inputs, 'bert.onnx'),
    'SHAPE_MISMATCH',
    /rank 1, not 2/,
    /N×sequence/,
  );
  const fixed = matchTensorSet(set, [{ name: 'input_ids', elemType: 'int64', shape: [4, 16] }], 'm');
  assert.equal(fixed.fixedBatch, 4);
  assertPrunefiError(
    () => matchTensorSet(set, [{ name: 'input_ids', elemType: 'int64', shape: ['b', 32] }], 'm'),
    'SHAPE_MISMATCH',
    /axis 1 is 16, not 32/,
    /N×32/,
  );
});
