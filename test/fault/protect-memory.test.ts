/**
 * Protections on the tiny model's stored memory: check words are stored (and counted), every
 * single fault under SEC-DED is corrected and under parity detected and zeroed, exponent TMR
 * votes, clipping clamps to the golden range, and a protected BER plan flips exactly the
 * unprotected plan's data bits (paired). Bit patterns and counts are compared exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPlan } from '../../src/campaign/plan.js';
import { FaultSpace } from '../../src/fault/fault-models.js';
import { foldBatchNorm } from '../../src/fault/fold-bn.js';
import { type Fault, type MemoryOptions, StoredModel } from '../../src/fault/memory.js';
import { bitsFloat, floatBits } from '../../src/fault/number-formats.js';
import { checkProtections, parseProtections } from '../../src/fault/protect/registry.js';
import { assertPrunefiError } from '../helpers/assert.js';
import { tinyResnet } from './tiny.js';

const graph = foldBatchNorm(tinyResnet()).model.graph;
const stored = (protect: string, o: MemoryOptions = {}): StoredModel =>
  new StoredModel(graph, { ...o, protect: parseProtections(protect) });
const flip = (tensor: string, region: Fault['region'], index: number, bit: number): Fault => ({
  tensor,
  region,
  index,
  bit,
  type: 'bit-flip',
});

/** Every (tensor, region, word, bit) of the value words of a memory, as single faults. */
function everyValueBit(m: StoredModel): Fault[] {
  const space = new FaultSpace(m, { regions: ['values'] });
  return Array.from({ length: space.size }, (_, p) => space.at(p));
}

test('check words are stored memory: their bits count and they are a region of their own', () => {
  const plain = new StoredModel(graph);
  const words = plain.tensors.reduce((s, t) => s + t.numel, 0);
  const codeWords = plain.tensors.reduce((s, t) => s + Math.ceil(t.numel / 2), 0);
  const ecc = stored('secded72');
  assert.equal(ecc.checkBits, 8 * codeWords);
  assert.equal(ecc.bits, plain.bits + 8 * codeWords);
  assert.equal(ecc.tensor('fc.bias').region('ecc').words.length, 2, '3 biases: 2 code words');
  assert.equal(stored('secded39').checkBits, 7 * words);
  assert.equal(stored('parity').checkBits, words);
  assert.equal(stored('exponent-tmr:k=2').checkBits, 4 * words);
  assert.equal(stored('clip').checkBits, 0);
  assert.equal(
    stored('secded72', { numberFormat: 'float16' }).tensor('fc.weight').region('ecc').words.length,
    3,
  );
  assert.deepEqual(
    stored('clip,secded72:interleave=2').protect.map((p) => p.name),
    ['secded72', 'clip'],
    'memory codes decode before value guards',
  );
});

test('SEC-DED: every single fault in the value words or the check words is corrected', () => {
  for (const p of ['secded72', 'secded72:interleave=3', 'secded39']) {
    const m = stored(p);
    const faults = [...everyValueBit(m)];
    const checks = new FaultSpace(m, { regions: ['ecc'] });
    for (let q = 0; q < checks.size; q++) faults.push(checks.at(q));
    for (const f of faults) {
      const r = m.apply([f]);
      assert.deepEqual(
        [r.wordsChanged, r.changes.length, r.corrected, r.detected],
        [1, 0, 1, 0],
        `${p}: ${JSON.stringify(f)}`,
      );
    }
  }
});

test('SEC-DED: two faults in one code word are a DUE; the word is zeroed, or kept with due=keep', () => {
  const a = flip('fc.weight', 'values', 0, 3);
  const b = flip('fc.weight', 'values', 1, 30); // same (72,64) code word as word 0
  const zero = stored('secded72').apply([a, b]);
  assert.deepEqual([zero.corrected, zero.detected], [0, 1]);
  const g = stored('secded72').tensor('fc.weight').golden;
  assert.deepEqual([...zero.changes[0]!.positions], [0, 1]);
  assert.deepEqual([...zero.changes[0]!.values], [0, 0]);
  const keep = stored('secded72:due=keep').apply([a, b]);
  assert.equal(keep.detected, 1);
  assert.deepEqual([...keep.changes[0]!.values].map(floatBits), [
    (floatBits(g[0]!) ^ 8) >>> 0,
    (floatBits(g[1]!) ^ 0x40000000) >>> 0,
  ]);
  // Interleave 2 puts words 0 and 1 in different code words: both errors are corrected.
  const spread = stored('secded72:interleave=2').apply([a, b]);
  assert.deepEqual([spread.corrected, spread.detected, spread.changes.length], [2, 0, 0]);
});

test('parity with zeroing: every single fault is detected and its weight reads 0', () => {
  const m = stored('parity');
  const faults = everyValueBit(m);
  const space = new FaultSpace(m, { regions: ['parity'] });
  for (let q = 0; q < space.size; q++) faults.push(space.at(q));
  for (const f of faults) {
    const r = m.apply([f]);
    assert.equal(r.detected, 1, JSON.stringify(f));
    assert.equal(r.corrected, 0);
    const t = m.tensor(f.tensor);
    const index = f.region === 'values' || f.region === 'parity' ? f.index : -1;
    if (t.golden[index] === 0) assert.equal(r.changes.length, 0, 'a zero weight stays zero');
    else {
      assert.deepEqual([...r.changes[0]!.positions], [index]);
      assert.equal(r.changes[0]!.values[0], 0);
    }
  }
});

test('exponent TMR: a flip of a protected bit or a copy is voted out; two agreeing flips win', () => {
  const m = stored('exponent-tmr');
  const t = m.tensor('conv1.weight');
  assert.equal(t.region('tmr').bits, 2);
  const one = m.apply([flip('conv1.weight', 'values', 4, 30)]);
  assert.deepEqual([one.corrected, one.changes.length], [1, 0]);
  const copy = m.apply([flip('conv1.weight', 'tmr', 4, 1)]);
  assert.deepEqual([copy.corrected, copy.changes.length], [1, 0]);
  const unprotected = m.apply([flip('conv1.weight', 'values', 4, 29)]);
  assert.deepEqual([unprotected.corrected, unprotected.changes.length], [0, 1]);
  const two = m.apply([flip('conv1.weight', 'values', 4, 30), flip('conv1.weight', 'tmr', 4, 0)]);
  assert.equal(floatBits(two.changes[0]!.values[0]!), (floatBits(t.golden[4]!) ^ 0x40000000) >>> 0);
  assertPrunefiError(
    () => stored('exponent-tmr:top=31:k=2', { numberFormat: 'float16' }),
    'FAULT_CONFIG',
    /outside the 16-bit words/,
  );
});

test("clipping: an out-of-range weight is clamped to its tensor's golden [min, max], or zeroed", () => {
  const m = stored('clip');
  const t = m.tensor('conv2.weight');
  const g = [...t.golden];
  const [min, max] = [Math.min(...g), Math.max(...g)];
  // Bit 30 of a weight of magnitude below 1 multiplies it by 2^128: far outside the range.
  const i = g.findIndex((v) => v > 0 && v < 1);
  const j = g.findIndex((v) => v < 0 && v > -1);
  const up = m.apply([flip('conv2.weight', 'values', i, 30), flip('conv2.weight', 'values', j, 30)]);
  assert.deepEqual(
    [...up.changes[0]!.positions],
    [i, j].sort((a, b) => a - b),
  );
  assert.deepEqual([...up.changes[0]!.values], (i < j ? [max, min] : [min, max]).map(Math.fround));
  const zero = stored('clip:mode=zero').apply([flip('conv2.weight', 'values', i, 30)]);
  assert.deepEqual([...zero.changes[0]!.values], [0]);
  // An in-range change passes through: a mantissa flip.
  const small = m.apply([flip('conv2.weight', 'values', i, 0)]);
  assert.equal(floatBits(small.changes[0]!.values[0]!), (floatBits(g[i]!) ^ 1) >>> 0);
  // A NaN has no side to clamp to: bit 30 of a weight in [1, 2) (exponent 127) gives exponent
  // 255 with a non-zero mantissa, a NaN, which reads 0.
  const k = g.findIndex((v) => Math.abs(v) >= 1 && Math.abs(v) < 2 && (floatBits(v) & 0x7fffff) !== 0);
  assert.ok(k >= 0 && Number.isNaN(bitsFloat((floatBits(g[k]!) ^ 0x40000000) >>> 0)));
  assert.deepEqual([...m.apply([flip('conv2.weight', 'values', k, 30)]).changes[0]!.values], [0]);
});

test("paired BER plans: a protected campaign draws the unprotected one's data-bit flips, then check bits", () => {
  const spec = { kind: 'ber', rates: [3e-3, 3e-2], trials: 20 };
  const plain = buildPlan(spec, new StoredModel(graph), 11);
  let checkFaults = 0;
  for (const p of ['secded72', 'parity', 'exponent-tmr:k=3', 'clip,secded39']) {
    const plan = buildPlan(spec, stored(p), 11);
    for (let i = 0; i < plan.size; i++) {
      const faults = plan.faults(i);
      const data = faults.filter((f) => f.region === 'values');
      assert.deepEqual(data, plain.faults(i), `${p}, experiment ${i}`);
      assert.ok(
        faults.slice(data.length).every((f) => f.region !== 'values'),
        'check faults come last',
      );
      checkFaults += faults.length - data.length;
    }
  }
  assert.ok(checkFaults > 0, 'check words take faults at the same rate');
  // Single-fault plans target the data words by default (paired), check words on request.
  const sb = { kind: 'single-bit', perBit: 3 };
  assert.deepEqual(
    Array.from({ length: 96 }, (_, i) => buildPlan(sb, stored('secded72'), 4).faults(i)),
    Array.from({ length: 96 }, (_, i) => buildPlan(sb, new StoredModel(graph), 4).faults(i)),
  );
  const checks = buildPlan({ ...sb, targeting: { regions: ['ecc'] } }, stored('secded72'), 4);
  assert.equal(checks.size, 3 * 8, 'a sweep of check words runs over their 8 bits');
});

test('bad protections are one-line FAULT_CONFIG or UNKNOWN_NAME errors', () => {
  assertPrunefiError(() => parseProtections('secded27'), 'UNKNOWN_NAME', /protection 'secded27'/, /secded72/);
  assertPrunefiError(() => parseProtections('secded72,secded39'), 'FAULT_CONFIG', /'ecc' check words/);
  assertPrunefiError(() => parseProtections('clip,clip'), 'FAULT_CONFIG', /named twice/);
  assertPrunefiError(
    () => parseProtections('secded72:interleave=0'),
    'FAULT_CONFIG',
    /interleave must be in \[1, 64\]/,
  );
  assertPrunefiError(
    () => parseProtections('clip:mode=wrap'),
    'FAULT_CONFIG',
    /mode must be one of clamp, zero/,
  );
  assertPrunefiError(() => parseProtections('clip:bound=1'), 'UNKNOWN_NAME', /bound/);
  assertPrunefiError(() => parseProtections('secded72:2'), 'USAGE', /key=value/);
  assertPrunefiError(() => checkProtections('secded72'), 'FAULT_CONFIG', /a list/);
  assert.deepEqual(checkProtections([{ name: 'secded72' }]), [
    { name: 'secded72', interleave: 1, due: 'zero' },
  ]);
});
