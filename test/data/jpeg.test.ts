import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeImage } from '../../src/data/decode.js';
import { decodeJpeg } from '../../src/data/jpeg.js';
import { REPO } from '../helpers/paths.js';

const DIR = join(REPO, 'test/fixtures/data/jpeg');
/** Golden pixels decoded by PIL 9.4 / libjpeg-turbo 2.1.5 (test/fixtures/data/jpeg/make_jpegs.py). */
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as Record<
  string,
  { width: number; height: number; exact: boolean; rgb: string }
>;

/** PIL's HWC bytes as CHW planes. */
function planes(g: { width: number; height: number; rgb: string }): Uint8Array {
  const hwc = Buffer.from(g.rgb, 'base64');
  const n = g.width * g.height;
  const out = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) out[c * n + p] = hwc[3 * p + c]!;
  return out;
}

for (const [name, g] of Object.entries(golden)) {
  test(`${name}: ${g.exact ? 'bit-identical to PIL' : 'close to PIL (jpeg-js fallback)'}`, () => {
    const bytes = readFileSync(join(DIR, name));
    const img = decodeImage(bytes);
    assert.equal(img.width, g.width);
    assert.equal(img.height, g.height);
    const expected = planes(g);
    if (g.exact) {
      assert.ok(decodeJpeg(bytes), 'handled by the libjpeg-exact decoder');
      const diff = img.data.findIndex((v, i) => v !== expected[i]);
      assert.equal(diff, -1, `first differing byte ${diff}: ${img.data[diff]} vs PIL ${expected[diff]}`);
    } else {
      assert.equal(decodeJpeg(bytes), undefined, 'left to jpeg-js');
      // CMYK goes to jpeg-js: same colour maths as PIL up to rounding (measured mean 0.06, max 1).
      let sum = 0;
      for (let i = 0; i < expected.length; i++) sum += Math.abs(img.data[i]! - expected[i]!);
      assert.ok(sum / expected.length < 0.5, `mean |diff| ${(sum / expected.length).toFixed(2)}`);
    }
  });
}

test('damaged JPEG data is an error, not garbage pixels', () => {
  const bytes = readFileSync(join(DIR, 'cifar_q75_420.jpg'));
  // Cut inside the entropy-coded data (PIL too refuses truncated files by default).
  assert.throws(
    () => decodeJpeg(bytes.subarray(0, bytes.length - 100)),
    /corrupt JPEG data: no end-of-image marker/,
  );
  assert.throws(
    () => decodeJpeg(bytes.subarray(0, 300)),
    /corrupt JPEG data: marker 0xFFc4 segment runs past the end/,
  );
  assert.throws(
    () => decodeJpeg(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9])),
    /corrupt JPEG data: no frame header/,
  );
  const noHuffman = Uint8Array.from(bytes);
  // Turn the DHT markers into APP markers: the scan then refers to missing tables.
  for (let i = 0; i + 1 < noHuffman.length; i++)
    if (noHuffman[i] === 0xff && noHuffman[i + 1] === 0xc4) noHuffman[i + 1] = 0xe5;
  assert.throws(() => decodeJpeg(noHuffman), /missing component or Huffman table/);
});
