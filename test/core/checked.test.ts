import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mustGet, nth } from '../../src/core/checked.js';

test('nth reads an element, counts negative indices from the end, and names a missing one', () => {
  const dims = [2, 3, 5];
  assert.equal(nth(dims, 0), 2);
  assert.equal(nth(dims, -1), 5);
  assert.equal(nth(Float32Array.of(1.5), 0), 1.5);
  assert.throws(() => nth(dims, 3), /^MissingEntryError: internal: no element 3 in a list of 3$/);
  assert.throws(() => nth(dims, -4), /internal: no element -4 in a list of 3/);
  assert.throws(() => nth([], 0), /internal: no element 0 in a list of 0/);
});

test('mustGet returns what a map holds, and names the key it does not hold', () => {
  const m = new Map<string | number, number>([
    ['conv1.weight', 0],
    [7, 1],
  ]);
  // 0 is a value, not a missing entry.
  assert.equal(mustGet(m, 'conv1.weight'), 0);
  assert.equal(mustGet(m, 7), 1);
  assert.throws(() => mustGet(m, 'fc.weight'), /internal: no entry for 'fc\.weight'/);
  assert.throws(() => mustGet(m, 8), /internal: no entry for 8/);
});
