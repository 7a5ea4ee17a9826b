/**
 * Kernel rearrangements fed to training graphs (layouts.ts): element positions are compared
 * exactly, since they are copies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flipConvWeight } from '../../src/train/layouts.js';

/** W [Co, Ci/g, 2×2] with W[o, i, k] = 100·o + 10·i + k, so every value names its position. */
function named(co: number, cig: number): Float32Array {
  return Float32Array.from({ length: co * cig * 4 }, (_, j) => {
    const [o, i, k] = [Math.floor(j / (cig * 4)), Math.floor(j / 4) % cig, j % 4];
    return 100 * o + 10 * i + k;
  });
}

test('flipConvWeight swaps input and output channels and reverses the kernel: [Ci, Co, K]', () => {
  const r = flipConvWeight(named(2, 3), [2, 3, 2, 2], 1);
  // Input channel 0 lists output channels 0 and 1, each kernel reversed; then input channels 1, 2.
  assert.deepEqual([...r.subarray(0, 8)], [3, 2, 1, 0, 103, 102, 101, 100]);
  assert.deepEqual([...r.subarray(16, 24)], [23, 22, 21, 20, 123, 122, 121, 120]);
});

test('flipConvWeight swaps channels within each group, also into a reused buffer', () => {
  // Co = 4, two groups of one input channel each: group g holds output channels 2g and 2g + 1.
  const dirty = new Float32Array(16).fill(7);
  const r = flipConvWeight(named(4, 1), [4, 1, 2, 2], 2, dirty);
  assert.equal(r, dirty, 'a buffer of the right size is written in place');
  assert.deepEqual([...r], [3, 2, 1, 0, 103, 102, 101, 100, 203, 202, 201, 200, 303, 302, 301, 300]);
});
