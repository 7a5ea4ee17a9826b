/**
 * Kernel rearrangements fed to training graphs (layouts.ts): element positions are compared
 * exactly, since they are copies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tapsMajorConvWeight } from '../../src/train/layouts.js';

// W [Co=2, Ci=3, 2×2] with W[o, i, k] = 100·o + 10·i + k, so every value names its position.
const dims = [2, 3, 2, 2];
const w = Float32Array.from({ length: 24 }, (_, j) => {
  const [o, i, k] = [Math.floor(j / 12), Math.floor(j / 4) % 3, j % 4];
  return 100 * o + 10 * i + k;
});

test('tapsMajorConvWeight puts kernel taps before input channels: [Co, K, Ci]', () => {
  const r = tapsMajorConvWeight(w, dims);
  // Row o = 1: taps 0..3, each listing channels 0..2.
  assert.deepEqual([...r.subarray(12, 24)], [100, 110, 120, 101, 111, 121, 102, 112, 122, 103, 113, 123]);
});

test('tapsMajorConvWeight with a zero tap adds an all-zero tap per output channel, also in a reused buffer', () => {
  const dirty = new Float32Array(2 * 5 * 3).fill(7);
  const r = tapsMajorConvWeight(w, dims, dirty, true);
  assert.equal(r, dirty, 'a buffer of the right size is written in place');
  assert.deepEqual([...r.subarray(0, 15)], [0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23, 0, 0, 0]);
  assert.deepEqual(
    [...r.subarray(15, 30)],
    [100, 110, 120, 101, 111, 121, 102, 112, 122, 103, 113, 123, 0, 0, 0],
  );
});
