import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { loadModel } from '../../src/onnx/file.js';
import { decodeModel, encodeModel } from '../../src/onnx/proto.js';
import {
  bfloat16ToFloat,
  cloneTensor,
  f32,
  floatToBfloat16,
  floatToHalf,
  halfToFloat,
  i64,
  numel,
  tensor,
  tensorBytes,
  tensorFromBytes,
  toFloat32,
  toNumbers,
  zeros,
} from '../../src/onnx/tensor.js';
import { REPO } from '../helpers/paths.js';

const f32bits = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0]!;
const isHalfNaN = (h: number): boolean => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isBf16NaN = (b: number): boolean => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
const hex = (h: number): string => `0x${h.toString(16).padStart(4, '0')}`;

test('halfToFloat decodes the landmark bit patterns exactly', () => {
  const cases: [number, number][] = [
    [0x0000, 0],
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x0400, 2 ** -14], // smallest normal
    [0x3c00, 1],
    [0x3c01, 1 + 2 ** -10],
    [0xc000, -2],
    [0x7bff, 65504], // largest finite
    [0x7c00, Number.POSITIVE_INFINITY],
    [0xfc00, Number.NEGATIVE_INFINITY],
  ];
  for (const [h, v] of cases) assert.equal(halfToFloat(h), v, hex(h));
  assert.ok(Object.is(halfToFloat(0x8000), -0), '0x8000 is -0');
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Number.isNaN(halfToFloat(0xfc01)));
});

test('floatToHalf rounds to nearest even at every edge', () => {
  const cases: [number, number, string][] = [
    [0, 0x0000, 'zero'],
    [-0, 0x8000, 'negative zero keeps its sign'],
    [1, 0x3c00, 'one'],
    [1 + 2 ** -11, 0x3c00, 'tie between 1 and 1+2^-10 goes to the even 1'],
    [1 + 3 * 2 ** -11, 0x3c02, 'tie between odd 0x3c01 and 0x3c02 goes up to even'],
    [1 + 2 ** -11 + 2 ** -23, 0x3c01, 'just above a tie rounds up'],
    [65504, 0x7bff, 'largest finite'],
    [65519.99609375, 0x7bff, 'just below the overflow midpoint stays finite'],
    [65520, 0x7c00, 'the midpoint 65520 ties to the even infinity'],
    [1e6, 0x7c00, 'overflow to +inf'],
    [-1e6, 0xfc00, 'overflow to -inf'],
    [Number.POSITIVE_INFINITY, 0x7c00, '+inf'],
    [2 ** -14, 0x0400, 'smallest normal'],
    [2 ** -24, 0x0001, 'smallest subnormal'],
    [1023 * 2 ** -24, 0x03ff, 'largest subnormal'],
    [2 ** -25, 0x0000, 'half the smallest subnormal ties to even zero'],
    [2 ** -25 + 2 ** -40, 0x0001, 'just above half the smallest subnormal'],
    [3 * 2 ** -25, 0x0002, 'subnormal tie 1.5 ulp goes to even 2'],
    [5 * 2 ** -25, 0x0002, 'subnormal tie 2.5 ulp goes to even 2'],
    [1023.5 * 2 ** -24, 0x0400, 'largest subnormal + half ulp carries into the smallest normal'],
    [2 ** -30, 0x0000, 'underflow to zero'],
    [-(2 ** -30), 0x8000, 'underflow to negative zero'],
    [1e-45, 0x0000, 'float32 subnormal underflows'],
  ];
  for (const [v, h, why] of cases) assert.equal(hex(floatToHalf(v)), hex(h), why);
  assert.ok(isHalfNaN(floatToHalf(Number.NaN)), 'NaN stays NaN');
  assert.equal(floatToHalf(f32bits(0xffc00000)) & 0x8000, 0x8000, 'a negative NaN keeps its sign');
});

test('bfloat16 converters: exact decode, ties to even, overflow, NaN', () => {
  assert.equal(bfloat16ToFloat(0x3f80), 1);
  assert.equal(bfloat16ToFloat(0xc049), -3.140625);
  assert.equal(bfloat16ToFloat(0x0001), 2 ** -133, 'smallest bfloat16 subnormal');
  assert.equal(bfloat16ToFloat(0x7f80), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(bfloat16ToFloat(0x7fc0)));
  const cases: [number, number, string][] = [
    [1, 0x3f80, 'one'],
    [f32bits(0x3f808000), 0x3f80, 'tie with even low bit stays'],
    [f32bits(0x3f818000), 0x3f82, 'tie with odd low bit goes up'],
    [f32bits(0x3f808001), 0x3f81, 'above a tie rounds up'],
    [f32bits(0x7f7fffff), 0x7f80, 'largest float32 overflows to inf'],
    [f32bits(0x7f7f7fff), 0x7f7f, 'just below the midpoint stays finite'],
    [f32bits(0xff7fffff), 0xff80, 'negative overflow'],
    [f32bits(0x00008000), 0x0000, 'subnormal tie to even zero'],
    [f32bits(0x00018000), 0x0002, 'subnormal tie to even'],
    [Number.NEGATIVE_INFINITY, 0xff80, '-inf'],
    [-0, 0x8000, 'negative zero'],
  ];
  for (const [v, b, why] of cases) assert.equal(hex(floatToBfloat16(v)), hex(b), why);
  assert.ok(isBf16NaN(floatToBfloat16(Number.NaN)));
  // A signalling NaN whose payload sits only in the low 16 bits must not turn into infinity.
  assert.ok(isBf16NaN(floatToBfloat16(f32bits(0x7f800001))));
  assert.ok(isBf16NaN(floatToBfloat16(f32bits(0xff800001))));
});

test('every float16 bit pattern decodes monotonically and re-encodes to itself', () => {
  let prev = Number.NEGATIVE_INFINITY;
  for (let h = 0; h <= 0x7c00; h++) {
    const v = halfToFloat(h);
    assert.ok(v > prev || (h === 0 && v === 0), `${hex(h)} not increasing`);
    prev = v;
    assert.equal(floatToHalf(v), h, `${hex(h)} round trip`);
    assert.equal(floatToHalf(-v), h | 0x8000, `${hex(h | 0x8000)} round trip`);
  }
  for (let h = 0x7c01; h <= 0x7fff; h++)
    assert.ok(Number.isNaN(halfToFloat(h)) && Number.isNaN(halfToFloat(h | 0x8000)));
});

/** All finite non-negative float16 values, by bit pattern, from the format's definition. */
const HALF_VALUES = Float64Array.from({ length: 0x7c00 }, (_, h) => {
  const e = h >> 10;
  const m = h & 0x3ff;
  return e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
});

/**
 * Reference float32 → float16 by search: the nearest entry of HALF_VALUES, ties to the even bit
 * pattern, and infinity at or beyond 65520 (the midpoint between 65504 and 2^16). The
 * differences are exact in doubles because both operands are float32 values of similar size.
 */
function refHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = HALF_VALUES.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (HALF_VALUES[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  if (lo === HALF_VALUES.length - 1) return sign | lo;
  const down = a - HALF_VALUES[lo]!;
  const up = HALF_VALUES[lo + 1]! - a;
  return sign | (down < up || (down === up && lo % 2 === 0) ? lo : lo + 1);
}

/** Reference float32 → bfloat16: compare with the two neighbours that keep the top 16 bits. */
function refBfloat16(bits: number): number {
  const x = f32bits(bits);
  const below = bits >>> 16;
  if (!Number.isFinite(x)) return below;
  const lo = Math.abs(f32bits(below << 16));
  const hiBits = (below + 1) & 0xffff;
  // Past the largest finite value the next pattern is infinity; its "value" for rounding is 2^128.
  const hi = (hiBits & 0x7f80) === 0x7f80 ? 2 ** 128 : Math.abs(f32bits(hiBits << 16));
  const a = Math.abs(x);
  const down = a - lo;
  const up = hi - a;
  return down < up || (down === up && below % 2 === 0) ? below : (below + 1) & 0xffff;
}

test('property: floatToHalf and floatToBfloat16 match search-based references on 200,000 random float32', () => {
  const rng = Rng.seeded('half-property');
  for (let i = 0; i < 200_000; i++) {
    // Half the draws over all bit patterns, half with exponents around the float16 range.
    const bits = i % 2 ? rng.u32() : ((rng.u32() & 0x807fffff) | ((100 + rng.int(44)) << 23)) >>> 0;
    const x = f32bits(bits);
    if (Number.isNaN(x)) {
      assert.ok(isHalfNaN(floatToHalf(x)) && isBf16NaN(floatToBfloat16(x)));
      continue;
    }
    const h = floatToHalf(x);
    if (h !== refHalf(x))
      assert.fail(`float16 of ${x} (0x${bits.toString(16)}): ${hex(h)} vs ${hex(refHalf(x))}`);
    const b = floatToBfloat16(x);
    if (b !== refBfloat16(bits))
      assert.fail(`bfloat16 of ${x} (0x${bits.toString(16)}): ${hex(b)} vs ${hex(refBfloat16(bits))}`);
  }
});

test('floatToHalf matches numpy and floatToBfloat16 matches PyTorch on the fixture (incl. exact ties)', () => {
  // Produced by test/fixtures/onnx/make-half-reference.py (numpy 1.24 float16, torch 1.13 bfloat16).
  const buf = readFileSync(join(REPO, 'test/fixtures/onnx/half-reference.bin'));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = buf.byteLength / 8;
  assert.equal(n, 6144);
  let nans = 0;
  for (let i = 0; i < n; i++) {
    const bits = view.getUint32(8 * i, true);
    const x = f32bits(bits);
    const h = view.getUint16(8 * i + 4, true);
    const b = view.getUint16(8 * i + 6, true);
    if (Number.isNaN(x)) {
      nans++;
      assert.ok(isHalfNaN(floatToHalf(x)) && isHalfNaN(h));
      assert.equal(floatToHalf(x) & 0x8000, h & 0x8000, 'NaN sign');
      assert.ok(isBf16NaN(floatToBfloat16(x)) && isBf16NaN(b));
      continue;
    }
    if (floatToHalf(x) !== h)
      assert.fail(`float16 of 0x${bits.toString(16)}: ${hex(floatToHalf(x))}, numpy ${hex(h)}`);
    if (floatToBfloat16(x) !== b)
      assert.fail(`bfloat16 of 0x${bits.toString(16)}: ${hex(floatToBfloat16(x))}, torch ${hex(b)}`);
  }
  assert.ok(nans > 0, 'the fixture exercises NaN inputs');
});

test('tensor helpers: shape checks, byte views, conversions', () => {
  assert.throws(() => tensor('float32', [2, 3], new Float32Array(5)), RangeError);
  assert.throws(() => tensorFromBytes('int32', [2], new Uint8Array(7)), /7 bytes/);
  assert.equal(numel([]), 1);
  const t = f32([2, 2], [1, -2, 0.5, 0]);
  assert.deepEqual([...tensorBytes(t)], [...new Uint8Array(Float32Array.from([1, -2, 0.5, 0]).buffer)]);
  // A view into a larger buffer must expose only its own bytes.
  const big = new Float32Array([9, 1, 2, 9]);
  const sub = tensor('float32', [2], big.subarray(1, 3));
  assert.deepEqual(tensorFromBytes('float32', [2], tensorBytes(sub)).data, Float32Array.from([1, 2]));
  const c = cloneTensor(t);
  c.data[0] = 7;
  assert.equal(t.data[0], 1, 'clone does not share data');
  assert.deepEqual(toNumbers(i64([3], [-1, 0, 2 ** 40])), [-1, 0, 2 ** 40]);
  const h = tensor('float16', [3], Uint16Array.from([0x3c00, 0xc000, 0x0001]));
  assert.deepEqual([...toFloat32(h)], [1, -2, Math.fround(2 ** -24)]);
  assert.deepEqual([...toFloat32(tensor('bfloat16', [1], Uint16Array.from([0x3f80])))], [1]);
  assert.deepEqual(zeros('bool', [2, 2]).data, new Uint8Array(4));
});

test('int4 initializers: read unpacked one per entry, written back packed two per byte, low nibble first', () => {
  const path = join(REPO, 'test/fixtures/quant/lenet5-qdq-int4.onnx');
  const model = loadModel(path);
  const q = model.graph.initializers.get('fc3.weight_quantized')!;
  assert.equal(q.dtype, 'int4');
  assert.equal(q.data.length, 840);
  assert.ok(q.data.every((v) => v >= -8 && v <= 7));
  assert.ok(q.data.some((v) => v < 0));
  const packed = tensorBytes(q);
  assert.equal(packed.length, 420);
  for (let i = 0; i < 840; i++)
    assert.equal((((packed[i >> 1]! >> (4 * (i & 1))) & 0xf) << 28) >> 28, q.data[i]);
  // The file's own bytes are what prunefi writes back.
  const again = decodeModel(encodeModel(model), 'round trip');
  assert.deepEqual(again.graph.initializers.get('fc3.weight_quantized'), q);
  assert.equal(again.opsetImports.find((o) => o.domain === '')?.version, 21);
  const odd = tensorFromBytes('uint4', [3], Uint8Array.of(0x21, 0x0f));
  assert.deepEqual([...odd.data], [1, 2, 15]);
  assert.deepEqual([...tensorBytes(odd)], [0x21, 0x0f]);
  assert.throws(
    () => tensorFromBytes('int4', [3], Uint8Array.of(1)),
    /raw data of 1 bytes does not fit a int4 tensor of dims \[3\] \(2 bytes\)/,
  );
});
