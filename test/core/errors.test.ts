import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unknownName } from '../../src/core/errors.js';

const methods = ['magnitude', 'random', 'nm', 'l1-filter', 'l2-filter', 'snip'];

test('an unknown name lists the valid names and suggests the one a typo is closest to', () => {
  const e = unknownName('pruning method', 'magnitud', methods);
  assert.equal(e.code, 'UNKNOWN_NAME');
  assert.equal(
    e.message,
    "unknown pruning method 'magnitud'; valid pruning method names: magnitude, random, nm, l1-filter, l2-filter, snip; did you mean 'magnitude'?",
  );
  // A swapped pair is one typo; case is ignored; a tie goes to the earlier (more common) name.
  assert.match(unknownName('m', 'mangitude', methods).message, /did you mean 'magnitude'\?$/);
  assert.match(unknownName('m', 'SNIP', methods).message, /did you mean 'snip'\?$/);
  assert.match(unknownName('m', 'l3-filter', methods).message, /did you mean 'l1-filter'\?$/);
});

test('a name close to none of the valid ones gets no suggestion', () => {
  for (const name of ['frobnicate', 'xy', 'magnitude-global-scope']) {
    const m = unknownName('pruning method', name, methods).message;
    assert.ok(!m.includes('did you mean'), m);
    assert.match(m, /valid pruning method names: magnitude, random/);
  }
});
