import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type CacheEntry, cachePath, imageSetHash, readCache, writeCache } from '../../src/data/cache.js';
import { loadDataset } from '../../src/data/index.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { tempDir } from '../helpers/paths.js';
import { makeImageFolder, randomBytes, tarDir } from './fixtures.js';

function entries(cacheDir: string): string[] {
  const d = join(cacheDir, 'datasets');
  return existsSync(d) ? readdirSync(d) : [];
}

function imageArchive(): { root: string; archive: string } {
  const root = tempDir('prunefi-cache-');
  makeImageFolder(join(root, 'src'), { splits: ['train', 'test'], classes: ['a', 'b'], perClass: 3 });
  const archive = join(root, 'data.tar.gz');
  tarDir(join(root, 'src'), archive, ['train', 'test']);
  return { root, archive };
}

test('the second load reads the cache: no decoding, same data; one entry per split', async () => {
  const { root, archive } = imageArchive();
  const cacheDir = join(root, 'cache');
  let decoded = 0;
  const first = await loadDataset(archive, { split: 'test', cacheDir, onProgress: () => decoded++ });
  assert.ok(decoded > 0);
  assert.equal(entries(cacheDir).length, 1);
  const again = await loadDataset(archive, {
    split: 'test',
    cacheDir,
    onProgress: () => assert.fail('decoded again'),
  });
  assert.deepEqual(again, first);
  await loadDataset(archive, { split: 'train', cacheDir });
  assert.equal(entries(cacheDir).length, 2);
  assert.ok(
    entries(cacheDir).every((f) => f.endsWith('.bin')),
    'no temporary files left',
  );
});

test('$PRUNEFI_CACHE is the default cache folder; cache: false writes nothing', async () => {
  const { root, archive } = imageArchive();
  const saved = process.env.PRUNEFI_CACHE;
  process.env.PRUNEFI_CACHE = join(root, 'env-cache');
  try {
    await loadDataset(archive, { cache: false });
    assert.equal(existsSync(join(root, 'env-cache')), false);
    await loadDataset(archive);
    assert.equal(entries(join(root, 'env-cache')).length, 1);
  } finally {
    if (saved === undefined) delete process.env.PRUNEFI_CACHE;
    else process.env.PRUNEFI_CACHE = saved;
  }
});

test('changing a source file changes the key: the cache is not reused', async () => {
  const root = tempDir('prunefi-cache-');
  makeImageFolder(join(root, 'data'), { classes: ['a', 'b'], perClass: 2 });
  const cacheDir = join(root, 'cache');
  const before = await loadDataset(join(root, 'data'), { cacheDir });
  makeImageFolder(join(root, 'other'), { classes: ['z'], perClass: 1 });
  writeFileSync(join(root, 'data', 'b', '0001.png'), readFileSync(join(root, 'other', 'z', '0000.png')));
  const after = await loadDataset(join(root, 'data'), { cacheDir });
  assert.notEqual(after.hash, before.hash);
  assert.equal(entries(cacheDir).length, 2);
});

test('a damaged cache entry (truncated, flipped byte, garbage) is detected and rebuilt', async () => {
  const { root, archive } = imageArchive();
  const cacheDir = join(root, 'cache');
  const good = await loadDataset(archive, { cacheDir });
  const [name] = entries(cacheDir);
  const file = join(cacheDir, 'datasets', name!);
  const bytes = readFileSync(file);
  const damages: [string, Uint8Array][] = [
    ['truncated', bytes.subarray(0, bytes.length - 10)],
    ['flipped pixel', Uint8Array.from(bytes, (b, i) => (i === bytes.length - 40 ? b ^ 1 : b))],
    ['garbage', randomBytes(5000, 3)],
    ['empty', new Uint8Array(0)],
  ];
  for (const [what, damaged] of damages) {
    writeFileSync(file, damaged);
    let decoded = 0;
    const set = await loadDataset(archive, { cacheDir, onProgress: () => decoded++ });
    assert.ok(decoded > 0, `${what}: rebuilt by decoding`);
    assert.deepEqual(set, good, what);
    assert.deepEqual(readFileSync(file), bytes, `${what}: entry rewritten whole`);
  }
});

test('readCache/writeCache round-trip; a failed write throws IO and leaves nothing behind', () => {
  const root = tempDir('prunefi-cache-');
  const images = randomBytes(2 * 3 * 2 * 2, 1);
  const labels = Uint8Array.from([1, 0]);
  const shape = [3, 2, 2] as const;
  const entry = {
    source: 'imagefolder',
    split: 'test',
    count: 2,
    shape,
    classes: ['x', 'y'],
    images,
    labels,
    hash: imageSetHash(shape, images, labels),
  };
  const file = cachePath(root, 'k');
  writeCache(file, entry);
  assert.deepEqual(readCache(file), entry);
  assert.equal(readCache(cachePath(root, 'missing')), undefined);
  // A read-only folder: the write fails, the temporary file is removed. (Root ignores modes.)
  if (process.getuid?.() !== 0) {
    chmodSync(join(root, 'datasets'), 0o500);
    assertPrunefiError(
      () => writeCache(cachePath(root, 'k2'), entry),
      'IO',
      /could not write the dataset cache/,
    );
    assert.deepEqual(readdirSync(join(root, 'datasets')), ['k.bin']);
  } else {
    writeFileSync(join(root, 'blocker'), 'a file where a folder should be');
    assertPrunefiError(
      () => writeCache(join(root, 'blocker', 'datasets', 'k.bin'), entry),
      'IO',
      /could not write the dataset cache .*blocker/,
    );
    assert.ok(statSync(join(root, 'blocker')).isFile());
  }
});

test('PRUNEFI_CACHE_MAX caps the cache: the least recently used entries go first, an entry over the cap is not kept', () => {
  const root = tempDir('prunefi-cache-lru-');
  const entry = (seed: number): CacheEntry => {
    const images = randomBytes(1000, seed);
    const labels = new Uint8Array(10);
    return {
      source: 'idx',
      split: 'test',
      count: 10,
      shape: [1, 10, 10],
      classes: ['0'],
      images,
      labels,
      hash: imageSetHash([1, 10, 10], images, labels),
    };
  };
  const saved = process.env.PRUNEFI_CACHE_MAX;
  // Each entry is 1010 data bytes plus a header of about 150: three fit in 4000 bytes, four do not.
  process.env.PRUNEFI_CACHE_MAX = '4000';
  try {
    const at = (k: string): string => cachePath(root, k);
    for (const k of ['a', 'b', 'c']) writeCache(at(k), entry(k.charCodeAt(0)));
    assert.deepEqual(entries(root).sort(), ['a.bin', 'b.bin', 'c.bin']);
    // 'a' is used again, so 'b' is now the least recently used.
    assert.ok(readCache(at('a')));
    writeCache(at('d'), entry(4));
    assert.deepEqual(entries(root).sort(), ['a.bin', 'c.bin', 'd.bin']);
    assert.deepEqual(readCache(at('d')), entry(4));
    process.env.PRUNEFI_CACHE_MAX = '1K';
    writeCache(at('e'), entry(5));
    assert.deepEqual(
      entries(root).sort(),
      ['a.bin', 'c.bin', 'd.bin'],
      'an entry over the cap is not written',
    );
    process.env.PRUNEFI_CACHE_MAX = 'lots';
    assertPrunefiError(
      () => writeCache(at('f'), entry(6)),
      'USAGE',
      /PRUNEFI_CACHE_MAX="lots" is not a size/,
    );
  } finally {
    if (saved === undefined) delete process.env.PRUNEFI_CACHE_MAX;
    else process.env.PRUNEFI_CACHE_MAX = saved;
  }
});
