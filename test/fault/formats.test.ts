/**
 * Exact tests of the number formats and storage formats: flipping bit b of value v gives the
 * bit-exact expected value, checked against hand-computed patterns and against an independent
 * reference decoder (sign/exponent/mantissa arithmetic) on random values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { FAULT_TYPES } from '../../src/fault/fault-types.js';
import {
  BFLOAT16,
  bitsFloat,
  FLOAT16,
  FLOAT32,
  floatBits,
  INT8,
  INT8_SCALE_FLOOR,
  NUMBER_FORMATS,
  type NumberFormat,
} from '../../src/fault/number-formats.js';
import { BITMASK, CSR, DENSE, indexBits, type Region } from '../../src/fault/storage-formats.js';

const flip = (w: number, b: number): number => FAULT_TYPES.get('bit-flip').apply(w, b, 1);
const encode1 = (f: NumberFormat, v: number): number => f.encode(Float32Array.of(v), 1, () => 0).words[0]!;
const flipValue = (f: NumberFormat, v: number, b: number): number => f.decode(flip(encode1(f, v), b), 1);

/** Independent IEEE-754 decoder: (-1)^s · 2^(e-bias) · (1 + m/2^mb), subnormals, Inf, NaN. */
function ieee(word: number, eb: number, mb: number): number {
  const s = (word >>> (eb + mb)) & 1 ? -1 : 1;
  const e = Math.floor(word / 2 ** mb) % 2 ** eb;
  const m = word % 2 ** mb;
  const bias = 2 ** (eb - 1) - 1;
  if (e === 2 ** eb - 1) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  if (e === 0) return s * m * 2 ** (1 - bias - mb);
  return s * (1 + m / 2 ** mb) * 2 ** (e - bias);
}

test('float32: flipping bits of 1.0 gives the exact IEEE-754 results', () => {
  assert.equal(floatBits(1), 0x3f800000);
  assert.equal(flipValue(FLOAT32, 1, 31), -1);
  assert.equal(flipValue(FLOAT32, 1, 30), Number.POSITIVE_INFINITY); // exponent 0x7f → 0xff
  assert.equal(flipValue(FLOAT32, 1, 23), 0.5);
  assert.equal(flipValue(FLOAT32, 1, 0), 1 + 2 ** -23);
  assert.equal(flipValue(FLOAT32, 0.25, 30), 2 ** 126); // exponent 0x7d → 0xfd
  assert.ok(Number.isNaN(flipValue(FLOAT32, Number.POSITIVE_INFINITY, 0)));
  assert.equal(flipValue(FLOAT32, 0, 0), 2 ** -149); // smallest subnormal
});

test('float16 and bfloat16: flipping bits of 1.0 gives the exact results', () => {
  assert.equal(encode1(FLOAT16, 1), 0x3c00);
  assert.equal(flipValue(FLOAT16, 1, 15), -1);
  assert.equal(flipValue(FLOAT16, 1, 14), Number.POSITIVE_INFINITY);
  assert.equal(flipValue(FLOAT16, 1, 10), 0.5);
  assert.equal(flipValue(FLOAT16, 1, 0), 1 + 2 ** -10);
  assert.equal(flipValue(FLOAT16, 0, 0), 2 ** -24);
  assert.equal(encode1(BFLOAT16, 1), 0x3f80);
  assert.equal(flipValue(BFLOAT16, 1, 15), -1);
  assert.equal(flipValue(BFLOAT16, 1, 14), Number.POSITIVE_INFINITY);
  assert.equal(flipValue(BFLOAT16, 1, 7), 0.5);
  assert.equal(flipValue(BFLOAT16, 1, 0), 1 + 2 ** -7);
  assert.equal(flipValue(BFLOAT16, 0.25, 14), 2 ** 126);
});

test('IEEE formats: property test over random values and bits against an independent decoder', () => {
  const rng = Rng.seeded('formats');
  const cases: [NumberFormat, number, number][] = [
    [FLOAT32, 8, 23],
    [FLOAT16, 5, 10],
    [BFLOAT16, 8, 7],
  ];
  for (const [f, eb, mb] of cases) {
    for (let i = 0; i < 2000; i++) {
      const v = rng.normal() * 2 ** (rng.int(20) - 10);
      const w = encode1(f, v);
      const b = rng.int(f.bits);
      const fw = flip(w, b);
      assert.equal(fw, (w ^ (2 ** b)) >>> 0, `${f.name}: flip changes exactly bit ${b}`);
      const got = f.decode(fw, 1);
      const want = ieee(fw, eb, mb);
      assert.ok(
        Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)),
        `${f.name} ${v} bit ${b}: ${got} vs ${want}`,
      );
      assert.equal(flip(fw, b), w, 'flipping twice restores the word');
      if (!Number.isNaN(got))
        assert.equal(encode1(f, got), fw, `${f.name}: every non-NaN pattern re-encodes exactly`);
    }
  }
});

test("int8: per-channel symmetric scales and exact two's complement flips", () => {
  // Channel 0: max |w| = 1.27 → scale fround(0.01); channel 1 is all zero → scale floor.
  const values = Float32Array.of(1.27, -0.5, 0.004, 0, 0, 0);
  const enc = INT8.encode(values, 2, (i) => (i < 3 ? 0 : 1));
  const s = Math.fround(1.27 / 127);
  assert.deepEqual([...enc.scales!], [s, Math.fround(INT8_SCALE_FLOOR)]);
  assert.deepEqual([...enc.words], [127, (-50 & 0xff) >>> 0, 0, 0, 0, 0]);
  assert.equal(INT8.decode(enc.words[1]!, s), Math.fround(-50 * s));
  assert.equal(INT8.decode(flip(enc.words[0]!, 7), s), Math.fround(-1 * s)); // 0x7f → 0xff = -1
  assert.equal(INT8.decode(flip(enc.words[1]!, 0), s), Math.fround(-49 * s)); // 0xce → 0xcf
  assert.equal(INT8.decode(flip(enc.words[2]!, 7), s), Math.fround(-128 * s)); // 0x00 → 0x80
  const rng = Rng.seeded('int8');
  for (let i = 0; i < 1000; i++) {
    const q = rng.int(256);
    const b = rng.int(8);
    const signed = ((q ^ (1 << b)) << 24) >> 24;
    assert.equal(INT8.decode(flip(q, b), 0.5), signed * 0.5);
  }
  // A flipped scale exponent bit rescales the whole channel.
  const scaleWord = floatBits(s);
  assert.equal(bitsFloat(flip(scaleWord, 30)) / s, 2 ** 128);
});

test('number format registry lists the four formats and rejects unknown names', () => {
  assert.deepEqual(NUMBER_FORMATS.names(), ['float32', 'float16', 'bfloat16', 'int8']);
  assert.throws(
    () => NUMBER_FORMATS.get('fp8'),
    /unknown number format 'fp8'; valid number format names: float32/,
  );
});

function decodeWith(
  fmt: typeof CSR,
  regions: Region[],
  values: number[],
  rows: number,
  cols: number,
): number[] {
  const out = new Array<number>(rows * cols).fill(0);
  fmt.decode(regions, values.length, rows, cols, (p, k) => {
    out[p] = out[p]! + values[k]!;
  });
  return out;
}

const M = [0, 5, 0, 7, 1, 0, 0, 0, 0, 2, 3, 0]; // 3 × 4
const isZero = (w: number): boolean => w === 0;

test('CSR: exact encoding with minimal index widths', () => {
  const l = CSR.encode(Uint32Array.from(M), 3, 4, isZero);
  assert.deepEqual([...l.values], [5, 7, 1, 2, 3]);
  const [col, ptr] = l.indexRegions as [Region, Region];
  assert.deepEqual([col.name, col.bits, [...col.words]], ['col-index', 2, [1, 3, 0, 1, 2]]);
  assert.deepEqual([ptr.name, ptr.bits, [...ptr.words]], ['row-ptr', 3, [0, 2, 3, 5]]);
  assert.deepEqual([...l.positions!], [1, 3, 4, 9, 10]);
  assert.deepEqual(decodeWith(CSR, l.indexRegions, [...l.values], 3, 4), M);
  assert.equal(indexBits(1), 1);
  assert.equal(indexBits(1024), 10);
  assert.equal(indexBits(1025), 11);
});

test('CSR: a column-index flip moves a weight; an out-of-range column is dropped', () => {
  const l = CSR.encode(Uint32Array.from(M), 3, 4, isZero);
  const vals = [...l.values];
  const [col, ptr] = l.indexRegions as [Region, Region];
  const moved = col.words.slice();
  moved[0] = flip(moved[0]!, 1); // column 1 → 3: collides with 7, the decoder accumulates
  assert.deepEqual(
    decodeWith(CSR, [{ ...col, words: moved }, ptr], vals, 3, 4),
    [0, 0, 0, 12, 1, 0, 0, 0, 0, 2, 3, 0],
  );
  // With 3 columns (2-bit indices), index 3 is out of range: the weight vanishes.
  const m3 = [0, 5, 0, 1, 0, 0];
  const l3 = CSR.encode(Uint32Array.from(m3), 2, 3, isZero);
  const [c3, p3] = l3.indexRegions as [Region, Region];
  const bad = c3.words.slice();
  bad[0] = flip(bad[0]!, 1); // 1 → 3
  assert.deepEqual(decodeWith(CSR, [{ ...c3, words: bad }, p3], [...l3.values], 2, 3), [0, 0, 0, 1, 0, 0]);
});

test('CSR: row-pointer flips shift elements between rows; pointers beyond nnz clamp', () => {
  const l = CSR.encode(Uint32Array.from(M), 3, 4, isZero);
  const vals = [...l.values];
  const [col, ptr] = l.indexRegions as [Region, Region];
  const p = ptr.words.slice();
  p[1] = flip(p[1]!, 0); // 2 → 3: row 0 takes value 1 (col 0) from row 1
  assert.deepEqual(
    decodeWith(CSR, [col, { ...ptr, words: p }], vals, 3, 4),
    [1, 5, 0, 7, 0, 0, 0, 0, 0, 2, 3, 0],
  );
  const q = ptr.words.slice();
  q[2] = flip(q[2]!, 2); // 3 → 7 > nnz 5: clamped; row 1 takes 1, 2, 3; row 2 is empty (start > end)
  assert.deepEqual(
    decodeWith(CSR, [col, { ...ptr, words: q }], vals, 3, 4),
    [0, 5, 0, 7, 1, 2, 3, 0, 0, 0, 0, 0],
  );
  const r = ptr.words.slice();
  r[1] = flip(r[1]!, 2); // 2 → 6 (clamped to 5): row 0 reads all, row 1 empty, row 2 re-reads 2, 3
  assert.deepEqual(
    decodeWith(CSR, [col, { ...ptr, words: r }], vals, 3, 4),
    [1, 7, 3, 7, 0, 0, 0, 0, 0, 2, 3, 0],
  );
});

test('bitmask: exact encoding; a mask flip shifts every later value', () => {
  const l = BITMASK.encode(Uint32Array.from(M), 3, 4, isZero);
  const [mask] = l.indexRegions as [Region];
  assert.deepEqual(
    [mask.name, mask.bits, [...mask.words]],
    ['mask', 1, [0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0]],
  );
  assert.deepEqual([...l.values], [5, 7, 1, 2, 3]);
  const vals = [...l.values];
  assert.deepEqual(decodeWith(BITMASK, [mask], vals, 3, 4), M);
  const on = mask.words.slice();
  on[0] = flip(on[0]!, 0); // 0 → 1: everything shifts one position later, the last value is lost
  assert.deepEqual(
    decodeWith(BITMASK, [{ ...mask, words: on }], vals, 3, 4),
    [5, 7, 0, 1, 2, 0, 0, 0, 0, 3, 0, 0],
  );
  const off = mask.words.slice();
  off[3] = flip(off[3]!, 0); // 1 → 0: later values shift one position earlier, the last bit reads nothing
  assert.deepEqual(
    decodeWith(BITMASK, [{ ...mask, words: off }], vals, 3, 4),
    [0, 5, 0, 0, 7, 0, 0, 0, 0, 1, 2, 0],
  );
});

test('dense: every word is stored and decodes in place', () => {
  const l = DENSE.encode(Uint32Array.from(M), 3, 4, isZero);
  assert.equal(l.values.length, 12);
  assert.deepEqual(l.indexRegions, []);
  assert.deepEqual(decodeWith(DENSE, [], [...l.values], 3, 4), M);
});
