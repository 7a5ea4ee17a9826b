/**
 * Image files decode to the channels a model takes: RGB (PIL's `convert('RGB')`, grey replicated)
 * or one grey plane (PIL's `convert('L')`). Golden grey pixels: PIL 9.4 on the JPEG fixtures
 * (test/fixtures/data/jpeg/make_grey.py); PNGs are written here by pngjs with known pixels.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeImage } from '../../src/data/decode.js';
import { loadDataset } from '../../src/data/index.js';
import { REPO, tempDir } from '../helpers/paths.js';
import { makeIdxFolder, pngBytes, put, randomBytes, tarDir } from './fixtures.js';

const JPEGS = join(REPO, 'test/fixtures/data/jpeg');
const greyGolden = JSON.parse(readFileSync(join(JPEGS, 'grey_golden.json'), 'utf8')) as Record<
  string,
  { width: number; height: number; grey: string }
>;

test("grey decoding is PIL's convert('L'), bit for bit, on every libjpeg-exact JPEG fixture", () => {
  assert.ok(Object.keys(greyGolden).length >= 15, 'the golden file covers the fixtures');
  for (const [name, g] of Object.entries(greyGolden)) {
    const img = decodeImage(readFileSync(join(JPEGS, name)), 1);
    assert.deepEqual([img.width, img.height], [g.width, g.height], name);
    const expected = Buffer.from(g.grey, 'base64');
    const diff = img.data.findIndex((v, i) => v !== expected[i]);
    assert.equal(img.data.length, expected.length, name);
    assert.equal(
      diff,
      -1,
      `${name}: first differing pixel ${diff}: ${img.data[diff]} vs PIL ${expected[diff]}`,
    );
  }
});

/** Writes `count` grey side×side PNGs per class under `root/<class>/`; returns their pixels in load order. */
function greyFolder(root: string, classes: readonly string[], count: number, side: number): Uint8Array[] {
  const written: Uint8Array[] = [];
  for (const cls of classes) {
    for (let k = 0; k < count; k++) {
      const grey = randomBytes(side * side, `${cls}/${k}`);
      put(join(root, cls, `${String(k).padStart(4, '0')}.png`), pngBytes(grey, side, side));
      written.push(grey);
    }
  }
  return written;
}

test('a grey PNG folder: one channel gives its bytes, three replicate them, each cached apart', async () => {
  const root = tempDir('prunefi-grey-');
  const written = greyFolder(join(root, 'digits'), ['a', 'b'], 3, 5);
  tarDir(root, join(root, 'digits.tar'), ['digits']);
  const cacheDir = join(tempDir('prunefi-cache-'), 'cache');
  for (const spec of [join(root, 'digits'), join(root, 'digits.tar')]) {
    // Twice each: the first pass decodes, the second reads the cache, which must not mix them up.
    for (let pass = 0; pass < 2; pass++) {
      const grey = await loadDataset(spec, { cacheDir, channels: 1 });
      assert.deepEqual(grey.shape, [1, 5, 5], spec);
      assert.equal(grey.normalization.name, 'mnist');
      assert.deepEqual([...grey.labels], [0, 0, 0, 1, 1, 1]);
      written.forEach((w, i) => {
        assert.deepEqual(grey.images.subarray(25 * i, 25 * (i + 1)), w, `${spec} image ${i}`);
      });
      const rgb = await loadDataset(spec, { cacheDir, channels: pass === 0 ? 3 : undefined });
      assert.deepEqual(rgb.shape, [3, 5, 5], spec);
      assert.equal(rgb.normalization.name, 'imagenet');
      written.forEach((w, i) => {
        for (let c = 0; c < 3; c++) {
          const plane = rgb.images.subarray(75 * i + 25 * c, 75 * i + 25 * (c + 1));
          assert.deepEqual(plane, w, `${spec} image ${i} plane ${c}`);
        }
      });
      assert.notEqual(grey.hash, rgb.hash);
    }
  }
  // One grey and one RGB entry per spec.
  assert.equal(
    readdirSync(cacheDir, { recursive: true }).filter((f) => String(f).endsWith('.bin')).length,
    4,
  );
});

test("RGB PNGs decode to grey by Pillow's ITU-R 601-2 weights", async () => {
  const root = tempDir('prunefi-grey-');
  // Red, green, blue, a mix: PIL's Image.new('RGB', (1, 1), c).convert('L') gives 76, 150, 29, 124.
  const planes = Uint8Array.from([255, 0, 0, 10, 0, 255, 0, 200, 0, 0, 255, 30]);
  put(join(root, 'x', 'rgb.png'), pngBytes(planes, 2, 2));
  const set = await loadDataset(root, { cache: false, channels: 1 });
  assert.deepEqual([...set.images], [76, 150, 29, 124]);
});

test('grey decoding on worker threads gives the main thread pixels', async () => {
  const root = tempDir('prunefi-grey-');
  // 300 images: two 256-image chunks, so two workers each decode one.
  const written = greyFolder(root, ['a', 'b', 'c'], 100, 4);
  const pooled = await loadDataset(root, { cache: false, threads: 2, channels: 1 });
  const here = await loadDataset(root, { cache: false, threads: 1, channels: 1 });
  assert.deepEqual(pooled.shape, [1, 4, 4]);
  assert.deepEqual(pooled.images, here.images);
  assert.deepEqual(pooled.images, Uint8Array.from(written.flatMap((w) => [...w])));
});

test('formats that store their channels ignore the request; a count other than 1 or 3 is a RangeError', async () => {
  const root = tempDir('prunefi-grey-');
  makeIdxFolder(root, { gzip: false, train: 4, test: 4 });
  const set = await loadDataset(root, { cache: false, channels: 3 });
  assert.deepEqual(set.shape, [1, 4, 4]);
  await assert.rejects(
    () => loadDataset(root, { cache: false, channels: 2 as 1 }),
    (e: unknown) => e instanceof RangeError && /channels must be 1 or 3, got 2/.test(e.message),
  );
});
