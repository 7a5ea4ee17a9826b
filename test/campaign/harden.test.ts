/**
 * Selective hardening: the planner on hand-made tables whose optimum is known (one where choosing
 * by SDCs removed per check bit is worse), against exhaustive search on random tables; each
 * memory code's declared check-bit cost against the check words it really stores; and
 * `--protect-regions` scopes (which tensors and bits a code covers, and their errors).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storedModelOf } from '../../src/campaign/evaluator.js';
import { type HardeningTable, planHardening } from '../../src/campaign/harden.js';
import { Rng } from '../../src/core/rng.js';
import { checkProtections, PROTECTIONS, parseProtections } from '../../src/fault/protect/registry.js';
import { buildZooModel } from '../../src/models/zoo.js';
import { assertClose, assertPrunefiError } from '../helpers/assert.js';

/** N experiments at each of 32 bits; `sdc` lists (tensor, bit, SDC experiments, experiments). */
function table(
  tensors: [string, number][],
  sdc: [string, number, number, number][],
  n = 100,
): HardeningTable {
  return {
    wordBits: 32,
    tensors: tensors.map(([name, words]) => ({ name, words })),
    perBit: new Array(32).fill(n),
    cells: sdc.map(([tensor, bit, k, e]) => ({ tensor, bit, sdc: k, experiments: e })),
  };
}

const spec = (text: string) => parseProtections(text)[0]!;

test('planner: the exact optimum where the best ratio first is worse (secded39, 7 check bits per word)', () => {
  // a removes 7 SDCs for 42 check bits (the best ratio), b and c 5 each for 35. Budget 70: by
  // ratio, a first leaves 28 bits, too few for b or c (7 SDCs); the optimum is b + c (10).
  const t = table(
    [
      ['a', 6],
      ['b', 5],
      ['c', 5],
    ],
    [
      ['a', 30, 7, 30],
      ['b', 30, 5, 30],
      ['c', 30, 5, 30],
    ],
  );
  const plan = planHardening(t, spec('secded39'), 70);
  assert.deepEqual(
    plan.chosen.map((c) => [c.tensor, c.bits, c.checkBits, c.sdc]),
    [
      ['b', [0, 31], 35, 5],
      ['c', [0, 31], 35, 5],
    ],
  );
  assert.equal(plan.checkBits, 70);
  assert.equal(plan.regions, 'b,c');
  // SDCs per flip: (1/32) Σ_b sdc_b / 100. Sums of a few quotients: 1e-15 covers their rounding.
  assertClose([plan.reduction.estimate, plan.baseline.estimate], [10 / 3200, 17 / 3200], { atol: 1e-15 });
  assert.equal(plan.everything.checkBits, 7 * 16);
  assertClose([plan.everything.reduction.estimate], [17 / 3200], { atol: 1e-15 });
  const r = plan.reduction;
  assert.ok(r.lower < r.estimate && r.estimate < r.upper && r.lower >= 0, JSON.stringify(r));
  assert.equal(plan.singleBit, 'corrected');
  // One bit less and only one of b, c fits; a (7) beats either (5).
  assert.deepEqual(
    planHardening(t, spec('secded39'), 69).chosen.map((c) => c.tensor),
    ['a'],
  );
  assert.deepEqual(planHardening(t, spec('secded39'), 34).chosen, []);
  assert.equal(planHardening(t, spec('secded39'), 34).regions, '');
});

test('planner: exponent-tmr picks per tensor the range its budget buys, within the spec coverage', () => {
  // x has SDCs at bits 30 (20) and 23 (6) and 31 (1); y at bit 30 (8). Coverage 23..31 (k=9).
  const t = table(
    [
      ['x', 10],
      ['y', 10],
    ],
    [
      ['x', 30, 20, 40],
      ['x', 23, 6, 40],
      ['x', 31, 1, 40],
      ['x', 10, 3, 40],
      ['y', 30, 8, 40],
    ],
  );
  const tmr = spec('exponent-tmr:k=9:top=31');
  // 2 check bits per covered bit and word: 20 bits buy one bit of each tensor.
  assert.equal(planHardening(t, tmr, 40).regions, 'x:30,y:30');
  // 160 bits: x's 23..30 alone (160 bits) removes 26; x:30-31 and y:30 remove 29 for 60 bits.
  assert.equal(planHardening(t, tmr, 160).regions, 'x:30-31,y:30');
  // Everything: 23..31 of both (360 bits) covers all but bit 10's SDCs.
  const all = planHardening(t, tmr, 360);
  assert.equal(all.regions, 'x:23-31,y:30');
  assert.equal(all.everything.checkBits, 360);
  assertClose([all.everything.reduction.estimate], [35 / 3200], { atol: 1e-15 });
  // k=1 (default: bit 30 only) never covers bit 23.
  assert.equal(planHardening(t, spec('exponent-tmr'), 1000).regions, 'x:30,y:30');
});

test('planner: exhaustive search agrees on random tables', () => {
  const rng = Rng.seeded(7);
  const int = (n: number) => rng.int(n);
  for (let trial = 0; trial < 60; trial++) {
    const names = ['p', 'q', 'r', 's'].slice(0, 2 + int(3));
    const tensors = names.map((n): [string, number] => [n, 1 + int(20)]);
    const cells: [string, number, number, number][] = [];
    for (const n of names)
      for (const bit of [27, 28, 29, 30, 31]) if (rng.float() < 0.6) cells.push([n, bit, int(9), 10]);
    const t = table(tensors, cells, 10);
    const code = spec(trial % 2 ? 'exponent-tmr:k=4:top=31' : 'secded72:interleave=2');
    const h = PROTECTIONS.get(code.name).hardening!;
    const budget = int(400);
    // Every tensor: nothing, or any range within the coverage 28..31 (tmr) or the word.
    const choices = (words: number): { cost: number; lo: number; hi: number }[] => {
      const out = [{ cost: 0, lo: 1, hi: 0 }];
      if (h.covers === 'word') out.push({ cost: h.checkBits(code, words, 32, 0, 31), lo: 0, hi: 31 });
      else
        for (let lo = 28; lo <= 31; lo++)
          for (let hi = lo; hi <= 31; hi++) out.push({ cost: h.checkBits(code, words, 32, lo, hi), lo, hi });
      return out;
    };
    let best = 0;
    const walk = (i: number, cost: number, sdc: number): void => {
      if (cost > budget) return;
      if (i === tensors.length) {
        best = Math.max(best, sdc);
        return;
      }
      const [name, words] = tensors[i]!;
      for (const c of choices(words)) {
        const k = cells
          .filter(([n, b]) => n === name && b >= c.lo && b <= c.hi)
          .reduce((s, x) => s + x[2], 0);
        walk(i + 1, cost + c.cost, sdc + k);
      }
    };
    walk(0, 0, 0);
    const plan = planHardening(t, code, budget);
    assert.ok(plan.checkBits <= budget, `trial ${trial}: within budget`);
    // SDC counts are integers; the plan's value is their sum / (10 · 32), rounded per term.
    assertClose([plan.reduction.estimate * 320], [best], { atol: 1e-9 }, `trial ${trial}`);
    assert.equal(
      plan.chosen.reduce((s, c) => s + c.sdc, 0),
      best,
      `trial ${trial}: the chosen cells hold the optimum's SDCs`,
    );
  }
});

test('planner: refuses what it cannot plan', () => {
  const t = table([['a', 4]], [['a', 30, 1, 2]]);
  assertPrunefiError(
    () => planHardening(t, spec('clip'), 10),
    'FAULT_CONFIG',
    /clip is not a memory code.*secded72/,
  );
  assertPrunefiError(
    () => planHardening(t, spec('parity:due=keep'), 10),
    'FAULT_CONFIG',
    /only flags single errors/,
  );
  assert.equal(planHardening(t, spec('parity'), 10).singleBit, 'zeroed');
  assert.throws(() => planHardening(t, spec('parity'), -1), RangeError);
});

test('each memory code declares the check bits it stores, and --protect-regions scopes it', () => {
  const model = buildZooModel('lenet5');
  for (const text of [
    'secded72',
    'secded72:interleave=3',
    'secded39:interleave=2',
    'parity',
    'exponent-tmr:k=3',
  ]) {
    const { memory } = storedModelOf(model, { protect: parseProtections(text) });
    const p = memory.protect[0]!;
    const h = PROTECTIONS.get(p.name).hardening!;
    const [lo, hi] = h.coverage(p, 32);
    for (const t of memory.tensors)
      assert.equal(h.checkBits(p, t.numel, 32, lo, hi), t.checkBits, `${text} on ${t.name}`);
  }
  const regions = 'conv1.weight:28-30,fc3.bias';
  const { memory } = storedModelOf(model, {
    protect: parseProtections('exponent-tmr').map((p) => ({ ...p, regions })),
  });
  for (const t of memory.tensors) {
    const expect = t.name === 'conv1.weight' ? 6 * t.numel : t.name === 'fc3.bias' ? 2 * t.numel : 0;
    assert.equal(t.checkBits, expect, t.name);
  }
  // A flip of conv1.weight bit 29 is corrected; bit 27 is not covered.
  const word = (bit: number) =>
    memory.apply([{ tensor: 'conv1.weight', region: 'values', index: 3, bit, type: 'bit-flip' }]);
  assert.deepEqual([word(29).corrected, word(29).changes.length], [1, 0]);
  assert.deepEqual([word(27).corrected, word(27).changes.length], [0, 1]);
  const scoped = (protect: string, r: string) => () =>
    storedModelOf(model, { protect: parseProtections(protect).map((p) => ({ ...p, regions: r })) });
  assertPrunefiError(
    scoped('secded72', 'nope.weight'),
    'FAULT_LIST',
    /--protect-regions of secded72: tensor 'nope.weight'/,
  );
  assertPrunefiError(
    scoped('secded72', 'conv1.weight:30'),
    'FAULT_CONFIG',
    /covers whole words; name the tensor without bits/,
  );
  assertPrunefiError(scoped('exponent-tmr', 'conv1.weight:0-20'), 'FAULT_CONFIG', /at most 16 bits per word/);
  assertPrunefiError(scoped('exponent-tmr', 'conv1.weight:31-32'), 'FAULT_CONFIG', /bits run 0\.\.31/);
  assertPrunefiError(scoped('exponent-tmr', 'conv1.weight:30-28'), 'FAULT_CONFIG', /must be low-high/);
  assertPrunefiError(scoped('exponent-tmr', 'a,a:30'), 'FAULT_CONFIG', /'a' is named twice/);
  assertPrunefiError(scoped('exponent-tmr', ' , '), 'FAULT_CONFIG', /the list is empty/);
  assertPrunefiError(
    scoped('clip', 'a'),
    'FAULT_CONFIG',
    /protection clip: it covers no chosen part.*exponent-tmr/,
  );
  // The canonical form is what a campaign's config stores.
  assert.deepEqual(checkProtections([{ name: 'exponent-tmr', regions: ' a:30-30 , b:2-5,c ' }]), [
    { name: 'exponent-tmr', k: 1, regions: 'a:30,b:2-5,c' },
  ]);
});
