import assert from 'node:assert/strict';
import { test } from 'node:test';
import { philox4x32, Rng } from '../../src/core/rng.js';

test('philox4x32-10 matches the Random123 known-answer vectors', () => {
  const out = new Uint32Array(4);
  const cases: [number[], number[], number[]][] = [
    [
      [0, 0, 0, 0],
      [0, 0],
      [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
    ],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ],
  ];
  for (const [ctr, key, expected] of cases) {
    philox4x32(Uint32Array.from(ctr), key[0]!, key[1]!, out);
    assert.deepEqual([...out], expected);
  }
});

test('split streams depend on the path, not on consumption', () => {
  const a = Rng.seeded(7);
  const child1 = a.split('experiment', 3).u32();
  a.u32();
  a.u32();
  assert.equal(a.split('experiment', 3).u32(), child1);
  assert.notEqual(a.split('experiment', 4).u32(), child1);
  assert.notEqual(Rng.seeded(8).split('experiment', 3).u32(), child1);
});

test('state round-trips mid-block', () => {
  const r = Rng.seeded('s');
  for (let i = 0; i < 5; i++) r.u32();
  const s = r.state();
  const next = [r.u32(), r.u32(), r.u32()];
  const r2 = Rng.fromState(s);
  assert.deepEqual([r2.u32(), r2.u32(), r2.u32()], next);
});

test('int is uniform enough and in range; float in [0,1)', () => {
  const r = Rng.seeded(1);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 100000; i++) counts[r.int(10)]++;
  // Each bucket ~ Binomial(1e5, 0.1): sd ≈ 95, so 6 sd = 570 is a never-flaky bound for a fixed seed.
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 570, `bucket ${c}`);
  for (let i = 0; i < 1000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
  }
});

test('geometric gaps have mean (1-p)/p', () => {
  const r = Rng.seeded(2);
  const p = 0.01;
  let s = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) s += r.geometric(p);
  // Mean 99, sd of one gap ≈ 99.5, so the sample mean's sd ≈ 0.7; allow 5 sd.
  assert.ok(Math.abs(s / n - 99) < 3.5, `mean ${s / n}`);
  assert.throws(() => r.geometric(0), RangeError);
});
