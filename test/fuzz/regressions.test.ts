/**
 * Regressions of what the fuzz harness found (inputs in test/fixtures/fuzz/, see its README), the
 * resource bounds of issue 22 (a header claiming more memory than is available is refused before
 * anything is allocated), and CLI spot checks: the real executable exits 2 with one line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { decodeImages } from '../../src/data/decode-pool.js';
import { loadDataset } from '../../src/data/load.js';
import { parseNpy } from '../../src/data/npy.js';
import { readTar } from '../../src/data/tar.js';
import { crc32, readZip } from '../../src/data/zip.js';
import { readFaultList } from '../../src/fault/fault-list.js';
import { loadModel } from '../../src/onnx/file.js';
import { ONNX_SCHEMA } from '../../src/onnx/onnx-schema.js';
import { decodeModel, encodeModel } from '../../src/onnx/proto.js';
import { summarizeModel } from '../../src/onnx/summary.js';
import { makeImageFolder, pngBytes, put, randomBytes } from '../data/fixtures.js';
import { tinyResnet } from '../fault/tiny.js';
import { assertPrunefiError, assertRejectsPrunefi } from '../helpers/assert.js';
import { cliProcess } from '../helpers/cli.js';
import { REPO, tempDir } from '../helpers/paths.js';

const FUZZ = join(REPO, 'test', 'fixtures', 'fuzz');
const FIXTURES = join(REPO, 'test', 'fixtures');
const ModelProto = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');

/** Runs `fn` with PRUNEFI_MEMORY_MAX set to `max`. */
async function withMemoryMax<T>(max: string, fn: () => T | Promise<T>): Promise<T> {
  const saved = process.env.PRUNEFI_MEMORY_MAX;
  process.env.PRUNEFI_MEMORY_MAX = max;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.PRUNEFI_MEMORY_MAX;
    else process.env.PRUNEFI_MEMORY_MAX = saved;
  }
}

test('onnx-attribute-retyped.onnx, onnx-string-attribute-without-bytes.onnx: a wrongly typed attribute is ONNX_INVALID, and info still counts parameters', () => {
  for (const [file, attr] of [
    [
      'onnx-attribute-retyped.onnx',
      /attribute 'strides' of node '\/conv1\/Conv' \(Conv\) is opaque, expected ints/,
    ],
    [
      'onnx-string-attribute-without-bytes.onnx',
      /attribute 'kernel_shape' of node 'MaxPool' \(MaxPool\) is string, expected ints/,
    ],
  ] as const) {
    // The STRING attribute without bytes reads as '' (it threw from TextDecoder).
    const s = summarizeModel(loadModel(join(FUZZ, file)).graph);
    assert.match(s.shapeError ?? '', attr, file);
    assert.ok(s.params > 0);
  }
});

test('ONNX tensors: negative or unsafe dims, raw data of the wrong size, non-numeric external-data keys are ONNX_INVALID', () => {
  const model = tinyResnet();
  const [name, w] = [...model.graph.initializers][0]!;
  for (const [dims, re] of [
    [[-5, ...w.dims.slice(1)], /has dims \[-5, .*not sizes/],
    [[2 ** 60], /not sizes/],
    [[1_000_000], /has \d+ bytes of data but its dims \[1000000\] \(float32\) need 4000000/],
  ] as const) {
    model.graph.initializers.set(name, { ...w, dims: [...dims] });
    assertPrunefiError(() => decodeModel(encodeModel(model), 'm.onnx'), 'ONNX_INVALID', re);
  }
  const dir = tempDir('prunefi-fuzz-ext-');
  copyFileSync(join(FIXTURES, 'onnx', 'dtypes-external.data'), join(dir, 'dtypes-external.data'));
  const tree = ModelProto.toObject(
    ModelProto.decode(readFileSync(join(FIXTURES, 'onnx', 'dtypes-external.onnx'))),
    {
      longs: Number,
    },
  ) as { graph: { initializer: { external_data?: { key: string; value: string }[] }[] } };
  const ext = tree.graph.initializer.find((t) => t.external_data)!.external_data!;
  const set = (key: string, value: string): string => {
    const e = ext.find((x) => x.key === key);
    if (e) e.value = value;
    else ext.push({ key, value });
    const path = join(dir, 'm.onnx');
    writeFileSync(path, ModelProto.encode(ModelProto.fromObject(tree)).finish());
    return path;
  };
  assertPrunefiError(
    () => loadModel(set('offset', '-5')),
    'ONNX_INVALID',
    /external-data offset "-5", which is not a byte count/,
  );
  assertPrunefiError(() => loadModel(set('offset', '1e3')), 'ONNX_INVALID', /not a byte count/);
  ext.splice(
    ext.findIndex((x) => x.key === 'length'),
    1,
  );
  // Past the end with no length: the length was negative and Uint8Array threw a RangeError.
  assertPrunefiError(() => loadModel(set('offset', '99999')), 'ONNX_INVALID', /is too short for tensor/);
});

test('resource bounds: an external tensor longer than the memory limit is refused before it is read', async () => {
  const dir = tempDir('prunefi-fuzz-extbig-');
  const tree = ModelProto.toObject(
    ModelProto.decode(readFileSync(join(FIXTURES, 'onnx', 'dtypes-external.onnx'))),
    {
      longs: Number,
    },
  ) as { graph: { initializer: { external_data?: { key: string; value: string }[] }[] } };
  for (const t of tree.graph.initializer) {
    for (const e of t.external_data ?? []) if (e.key === 'length') e.value = String(4 * 2 ** 20);
    for (const e of t.external_data ?? []) if (e.key === 'offset') e.value = '0';
  }
  writeFileSync(join(dir, 'm.onnx'), ModelProto.encode(ModelProto.fromObject(tree)).finish());
  // A sparse 8 MiB data file: long enough, so only the memory bound refuses it.
  writeFileSync(join(dir, 'dtypes-external.data'), '');
  truncateSync(join(dir, 'dtypes-external.data'), 8 * 2 ** 20);
  await withMemoryMax('1M', () =>
    assertPrunefiError(
      () => loadModel(join(dir, 'm.onnx')),
      'ONNX_INVALID',
      /\(external data\) needs 4\.00 MiB, more than the 1\.00 MiB of memory available \(PRUNEFI_MEMORY_MAX\)/,
    ),
  );
});

test('resource bounds: PNG and JPEG headers claiming more pixels than memory are refused before decoding', async () => {
  const png = pngBytes(randomBytes(48, 1), 4, 4);
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const hostile = (w: number, h: number): Uint8Array => {
    v.setUint32(16, w);
    v.setUint32(20, h);
    v.setUint32(29, crc32(png.subarray(12, 29)));
    return png.slice();
  };
  await assertRejectsPrunefi(
    () => decodeImages([{ name: 'huge.png', bytes: hostile(100_000, 100_000) }]),
    'DATA_DECODE',
    /cannot decode image huge\.png: a 100000×100000 PNG needs 140 GiB/,
  );
  // 1000×1000 would fit in memory: the limit, not an allocation failure, refuses it.
  await withMemoryMax('1M', () =>
    assertRejectsPrunefi(
      () => decodeImages([{ name: 'big.png', bytes: hostile(1000, 1000) }]),
      'DATA_DECODE',
      /a 1000×1000 PNG needs 14\.3 MiB, more than the 1\.00 MiB/,
    ),
  );
  const jpeg = new Uint8Array(readFileSync(join(FIXTURES, 'data', 'jpeg', 'one_1x1.jpg')));
  const sof = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xc0);
  new DataView(jpeg.buffer).setUint16(sof + 5, 65535);
  new DataView(jpeg.buffer).setUint16(sof + 7, 65535);
  await assertRejectsPrunefi(
    () => decodeImages([{ name: 'huge.jpg', bytes: jpeg }]),
    'DATA_DECODE',
    /a 65535×65535 JPEG needs .* GiB, more than the/,
  );
});

test('resource bounds: a gzip bomb stops at the memory limit; a zip member claiming more is refused', async () => {
  const bomb = gzipSync(new Uint8Array(4 * 2 ** 20));
  await withMemoryMax('1M', () =>
    assertPrunefiError(
      () => readTar(bomb, 'bomb.tar.gz'),
      'DATA_INVALID',
      /bomb\.tar\.gz inflates to more than 1\.00 MiB/,
    ),
  );
  const npz = new Uint8Array(readFileSync(join(FIXTURES, 'data', 'npy', 'pair-deflate.npz')));
  const central = npz.findIndex(
    (b, i) => b === 0x50 && npz[i + 1] === 0x4b && npz[i + 2] === 1 && npz[i + 3] === 2,
  );
  new DataView(npz.buffer).setUint32(central + 24, 0x7fffffff, true);
  await withMemoryMax('1M', () =>
    assertPrunefiError(
      () => readZip(npz, 'x.npz'),
      'DATA_INVALID',
      /member a\.npy of x\.npz needs 2\.00 GiB/,
    ),
  );
  // And a deflated member that inflates past the size it claims stops there.
  new DataView(npz.buffer).setUint32(central + 24, 10, true);
  assertPrunefiError(
    () => readZip(npz, 'x.npz'),
    'DATA_INVALID',
    /member a\.npy (does not inflate|fails its size)/,
  );
});

test('npz-short-extra-field.npz and a .npy header without fortran_order are DATA_INVALID', () => {
  assertPrunefiError(
    () => readZip(readFileSync(join(FUZZ, 'npz-short-extra-field.npz')), 'f.npz'),
    'DATA_INVALID',
    /f\.npz is not a zip archive prunefi can read \(damaged central directory\)/,
  );
  const header = "{'descr': '<f4', 'shape': (2,), }".padEnd(117, ' ');
  const npy = new Uint8Array([
    0x93,
    ...new TextEncoder().encode('NUMPY'),
    1,
    0,
    header.length + 1,
    0,
    ...new TextEncoder().encode(`${header}\n`),
    ...new Uint8Array(8),
  ]);
  assertPrunefiError(() => parseNpy(npy, 'x.npy'), 'DATA_INVALID', /lacks 'fortran_order' or 'shape'/);
});

test('fault-list-multiline-syntax.json: a JSON syntax error is one line', () => {
  const e = assertPrunefiError(
    () => readFaultList(join(FUZZ, 'fault-list-multiline-syntax.json')),
    'FAULT_LIST',
    /is not valid JSON/,
  );
  assert.ok(!e.message.includes('\n'), e.message);
});

test('CLI spot checks: hostile files exit 2 with one line on stderr', () => {
  const dir = tempDir('prunefi-fuzz-cli-');
  for (const f of ['campaign-malformed-page.sqlite', 'campaign-hand-edited-row.sqlite'])
    copyFileSync(join(FUZZ, f), join(dir, f));
  writeFileSync(join(dir, 'bomb.tar.gz'), gzipSync(new Uint8Array(4 * 2 ** 20)));
  const model = tinyResnet();
  const [name, w] = [...model.graph.initializers][0]!;
  model.graph.initializers.set(name, { ...w, dims: [-5] });
  writeFileSync(join(dir, 'negative-dims.onnx'), encodeModel(model));
  for (const [argv, re] of [
    [['campaign', 'status', join(dir, 'campaign-malformed-page.sqlite')], /database disk image is malformed/],
    [['campaign', 'status', join(dir, 'campaign-hand-edited-row.sqlite')], /is damaged: experiment 0 has/],
    [
      ['study', '--config', join(FUZZ, 'study-config-multiline-syntax.json'), '--dry-run'],
      /is not valid JSON/,
    ],
    [['info', join(dir, 'negative-dims.onnx')], /has dims \[-5\], which are not sizes/],
    [
      ['eval', '--model', 'zoo:lenet5', '--data', join(dir, 'bomb.tar.gz')],
      /bomb\.tar\.gz inflates to more than 1\.00 MiB/,
    ],
  ] as const) {
    const r = cliProcess([...argv], {
      cwd: dir,
      env: { ...process.env, PRUNEFI_MEMORY_MAX: '1M', PRUNEFI_CACHE: join(dir, 'cache') },
    });
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^prunefi: error: /);
    assert.match(lines[0]!, re);
  }
});

test('a dataset tar with a ../ member, an absolute member and a symlink to /etc/passwd: nothing is written or followed', async () => {
  const dir = tempDir('prunefi-fuzz-tarlinks-');
  const src = join(dir, 'src');
  makeImageFolder(src, { splits: ['test'], classes: ['a', 'b'], perClass: 2 });
  symlinkSync('/etc/passwd', join(src, 'test', 'a', 'link.png'));
  const archive = join(dir, 'hostile.tar');
  // -P keeps the leading ../ and / that tar would otherwise strip, as a crafted archive would have.
  put(join(dir, 'abs.png'), pngBytes(randomBytes(48, 2), 4, 4));
  execFileSync('tar', [
    '-cPf',
    archive,
    '-C',
    src,
    'test',
    '--transform',
    's,^test/b/0000,../../escape,',
    join(dir, 'abs.png'),
  ]);
  const paths = readTar(readFileSync(archive), archive).map((e) => e.path);
  assert.ok(paths.includes('../../escape.png'), paths.join(', '));
  assert.ok(
    paths.some((p) => p.startsWith('/')),
    paths.join(', '),
  );
  assert.ok(!paths.includes('test/a/link.png'), 'the symlink is skipped');
  const before = readdirSync(dir).sort();
  const set = await loadDataset(archive, { cacheDir: join(dir, 'cache') });
  // The four regular PNG members but '../../escape.png' (a '..' folder is skipped like any dot
  // folder); /etc/passwd behind the symlink would have failed to decode as an image.
  assert.equal(set.count, 4);
  assert.deepEqual(readdirSync(dir).sort(), [...before, 'cache'].sort(), 'only the cache is written');
  assert.equal(existsSync(join(dir, '..', 'escape.png')), false);
});
