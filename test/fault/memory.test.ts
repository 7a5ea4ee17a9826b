/**
 * Weight memory, fault spaces and fault models on the tiny model: what is stored, what a fault
 * changes (exactly), targeting, BER and exact-k draws, replay from (seed, index), and every
 * bad-input error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.js';
import { FaultSpace, sampleFaults } from '../../src/fault/fault-models.js';
import { foldBatchNorm } from '../../src/fault/fold-bn.js';
import { type Fault, StoredModel } from '../../src/fault/memory.js';
import { floatBits } from '../../src/fault/number-formats.js';
import { createSession } from '../../src/runtime/session.js';
import { assertClose, assertPrunefiError } from '../helpers/assert.js';
import { tinyImages, tinyResnet } from './tiny.js';

const folded = (): StoredModel => new StoredModel(foldBatchNorm(tinyResnet()).model.graph);
const flipAt = (tensor: string, index: number, bit: number, type = 'bit-flip'): Fault => ({
  tensor,
  region: 'values',
  index,
  bit,
  type,
});

test('BatchNorm folding removes BN nodes and keeps outputs within float32 rounding', async () => {
  const model = tinyResnet();
  const { model: f, folded: names } = foldBatchNorm(model);
  assert.equal(names.length, 2);
  assert.equal(f.graph.nodes.filter((n) => n.opType === 'BatchNormalization').length, 0);
  assert.ok(f.graph.initializers.has('conv1.bias') && f.graph.initializers.has('conv2.bias'));
  assert.equal(
    model.graph.nodes.filter((n) => n.opType === 'BatchNormalization').length,
    2,
    'input untouched',
  );
  const { x } = tinyImages(20);
  const a = await createSession(model, { optimization: 'disabled' });
  const b = await createSession(f, { optimization: 'disabled' });
  const ya = (await a.run({ input: x })).logits!.data as Float32Array;
  const yb = (await b.run({ input: x })).logits!.data as Float32Array;
  // Folding rounds W·s once to float32 instead of applying s to the conv output: a relative
  // change of ~1e-7 per term, amplified by at most a few through two convs of 36 terms.
  assertClose(yb, ya, { atol: 1e-5, rtol: 1e-5 }, 'folded logits');
  await a.release();
  await b.release();
});

test('stored model: weights and biases of every Conv/Gemm, float32 dense = 32 bits per element', () => {
  const m = folded();
  assert.deepEqual(
    m.tensors.map((t) => `${t.layer}:${t.name}:${t.role}`),
    [
      'conv1:conv1.weight:weight',
      'conv1:conv1.bias:bias',
      'conv2:conv2.weight:weight',
      'conv2:conv2.bias:bias',
      'fc:fc.weight:weight',
      'fc:fc.bias:bias',
    ],
  );
  const elements = 4 * 2 * 9 + 4 + 4 * 4 * 9 + 4 + 12 + 3;
  assert.equal(m.bits, 32 * elements);
  const dense16 = new StoredModel(foldBatchNorm(tinyResnet()).model.graph, { numberFormat: 'float16' });
  assert.equal(dense16.bits, 16 * elements);
});

test('a flip changes exactly one decoded weight to the exact flipped value', () => {
  const m = folded();
  const w = m.tensor('conv2.weight');
  const g = w.golden[5]!;
  const { wordsChanged, changes } = m.apply([flipAt('conv2.weight', 5, 30)]);
  assert.equal(wordsChanged, 1);
  assert.equal(changes.length, 1);
  assert.deepEqual([...changes[0]!.positions], [5]);
  assert.equal(floatBits(changes[0]!.values[0]!), (floatBits(g) ^ 0x40000000) >>> 0);
});

test('stuck-at on a bit that already holds the value changes no stored word', () => {
  const m = folded();
  const g = floatBits(m.tensor('fc.weight').golden[0]!);
  const sign = g >>> 31;
  const same = m.apply([flipAt('fc.weight', 0, 31, sign ? 'stuck-at-1' : 'stuck-at-0')]);
  assert.deepEqual(same, { wordsChanged: 0, changes: [], corrected: 0, detected: 0 });
  const other = m.apply([flipAt('fc.weight', 0, 31, sign ? 'stuck-at-0' : 'stuck-at-1')]);
  assert.equal(other.wordsChanged, 1);
  assert.equal(other.changes[0]!.values[0], -m.tensor('fc.weight').golden[0]!);
  // Two flips of the same bit cancel: words are compared after every fault is applied.
  assert.equal(m.apply([flipAt('fc.weight', 0, 3), flipAt('fc.weight', 0, 3)]).wordsChanged, 0);
  const burst = m.apply([{ ...flipAt('fc.weight', 0, 4, 'burst'), length: 3 }]);
  assert.equal(floatBits(burst.changes[0]!.values[0]!), (g ^ 0x70) >>> 0);
});

test('CSR memory is smaller for a pruned layer and index faults move weights', () => {
  const graph = foldBatchNorm(tinyResnet()).model.graph;
  const csr = new StoredModel(graph, { storage: 'csr' });
  const t = csr.tensor('conv2.weight');
  assert.equal(t.region('values').words.length, 144 - 36, 'the pruned filter is not stored');
  assert.equal(t.region('col-index').bits, 6); // 36 columns
  assert.equal(t.region('row-ptr').bits, 7); // pointers 0..108
  assert.ok(csr.bits < new StoredModel(graph).bits);
  // Value word 0 of row 0 sits at column 0; flipping index bit 0 moves it to column 1, where it
  // adds to the weight stored there.
  const r = csr.apply([{ tensor: 'conv2.weight', region: 'col-index', index: 0, bit: 0, type: 'bit-flip' }]);
  const c = r.changes[0]!;
  assert.deepEqual([...c.positions], [0, 1]);
  assert.equal(c.values[0], 0);
  assert.equal(c.values[1], Math.fround(t.golden[0]! + t.golden[1]!));
  // A row-pointer fault into the pruned filter's row (row 1 is empty: ptr[1] = ptr[2] = 36).
  const rp = csr.apply([{ tensor: 'conv2.weight', region: 'row-ptr', index: 2, bit: 0, type: 'bit-flip' }]);
  // ptr[2]: 36 → 37: row 1 reads value 36 (row 2's first, column 0), row 2 loses it.
  assert.deepEqual([...rp.changes[0]!.positions], [36, 72]);
});

test('int8 memory stores scales; a scale fault changes its whole channel; scales are targeted on request', () => {
  const graph = foldBatchNorm(tinyResnet()).model.graph;
  const m = new StoredModel(graph, { numberFormat: 'int8' });
  const t = m.tensor('conv1.weight');
  assert.equal(t.region('scales').words.length, 4);
  assert.equal(m.tensor('conv1.bias').format.name, 'float32', 'biases stay float32');
  const r = m.apply([{ tensor: 'conv1.weight', region: 'scales', index: 2, bit: 30, type: 'bit-flip' }]);
  assert.deepEqual(
    [...r.changes[0]!.positions],
    Array.from({ length: 18 }, (_, i) => 36 + i).filter((i) => t.golden[i] !== 0),
  );
  const without = new FaultSpace(m, { layers: ['conv1'], roles: ['weight'] });
  assert.equal(without.size, 72 * 8);
  const withScales = new FaultSpace(new StoredModel(graph, { numberFormat: 'int8', faultScales: true }), {
    layers: ['conv1'],
    roles: ['weight'],
  });
  assert.equal(withScales.size, 72 * 8 + 4 * 32);
});

test('fault spaces: targeting by layer, bit range and value range', () => {
  const m = folded();
  assert.equal(new FaultSpace(m).size, m.bits);
  assert.equal(new FaultSpace(m, { layers: ['fc'] }).size, 15 * 32);
  assert.equal(new FaultSpace(m, { layers: ['conv*'], bits: [30, 30] }).size, 72 + 4 + 144 + 4);
  const big = new FaultSpace(m, { layers: ['fc'], roles: ['weight'], valueRange: [0.3, 10] });
  const expected = [...m.tensor('fc.weight').golden].filter((v) => v >= 0.3 && v <= 10).length;
  assert.equal(big.size, expected * 32);
  for (let p = 0; p < big.size; p += 7) {
    const f = big.at(p);
    assert.ok(m.tensor(f.tensor).golden[f.index]! >= 0.3);
  }
  const burst = new FaultSpace(m, { layers: ['fc'], bits: [0, 7] }, 'burst', 3);
  assert.equal(burst.size, 15 * 6, 'a 3-bit burst has 6 start positions in bits 0..7');
});

test('exact-k and BER draws replay from (seed, index) and match their expectations', () => {
  const m = folded();
  const space = new FaultSpace(m);
  const seed = Rng.seeded(42);
  const a = sampleFaults(space, { model: 'exact-k', k: 3 }, seed.split('experiment', 7));
  const b = sampleFaults(space, { model: 'exact-k', k: 3 }, Rng.seeded(42).split('experiment', 7));
  assert.deepEqual(a, b);
  assert.equal(new Set(a.map((f) => `${f.tensor}/${f.index}/${f.bit}`)).size, 3, 'distinct positions');
  assert.notDeepEqual(a, sampleFaults(space, { model: 'exact-k', k: 3 }, seed.split('experiment', 8)));
  // BER: the number of hits is Binomial(size, p); over 400 draws its mean is within 4 standard
  // errors of size·p (a fixed seed makes this deterministic; the bound says it is not luck).
  const p = 2e-3;
  let total = 0;
  for (let i = 0; i < 400; i++)
    total += sampleFaults(space, { model: 'ber', ber: p }, seed.split('ber', i)).length;
  const mean = total / 400;
  const sd = Math.sqrt((space.size * p * (1 - p)) / 400);
  assert.ok(Math.abs(mean - space.size * p) < 4 * sd, `mean ${mean} vs ${space.size * p}`);
});

test('bad input: unknown tensor, index out of range, bit outside the width, BER outside (0,1), bad k', () => {
  const m = folded();
  assertPrunefiError(
    () => m.apply([flipAt('conv9.weight', 0, 0)]),
    'FAULT_LIST',
    /tensor 'conv9.weight' is not a stored weight/,
    /conv1.weight/,
  );
  assertPrunefiError(
    () => m.apply([flipAt('fc.weight', 12, 0)]),
    'FAULT_LIST',
    /index 12 is out of range .*\(12 words: 0\.\.11\)/,
  );
  assertPrunefiError(
    () => m.apply([flipAt('fc.weight', 0, 32)]),
    'FAULT_LIST',
    /bit 32 is outside the 32-bit words .* bits run 0..31/,
  );
  const half = new StoredModel(foldBatchNorm(tinyResnet()).model.graph, { numberFormat: 'float16' });
  assertPrunefiError(
    () => half.apply([flipAt('fc.weight', 0, 16)]),
    'FAULT_LIST',
    /outside the 16-bit words .*float16/,
  );
  assertPrunefiError(
    () => m.apply([{ ...flipAt('fc.weight', 0, 0), region: 'mask' }]),
    'FAULT_LIST',
    /has no 'mask' region/,
  );
  assertPrunefiError(
    () => m.apply([flipAt('fc.weight', 0, 0, 'zap')]),
    'UNKNOWN_NAME',
    /unknown fault type 'zap'/,
  );
  const space = new FaultSpace(m);
  for (const ber of [0, 1, -1e-3, 2]) {
    assertPrunefiError(
      () => sampleFaults(space, { model: 'ber', ber }, Rng.seeded(1)),
      'FAULT_CONFIG',
      /bit error rate must be in \(0, 1\)/,
    );
  }
  assertPrunefiError(
    () => sampleFaults(space, { model: 'exact-k', k: 0 }, Rng.seeded(1)),
    'FAULT_CONFIG',
    /positive integer/,
  );
  assertPrunefiError(
    () =>
      sampleFaults(
        new FaultSpace(m, { layers: ['fc'], bits: [0, 0] }),
        { model: 'exact-k', k: 16 },
        Rng.seeded(1),
      ),
    'FAULT_CONFIG',
    /k = 16 faults exceed the 15 targeted/,
  );
  assertPrunefiError(
    () => new FaultSpace(m, { layers: ['conv7'] }),
    'FAULT_CONFIG',
    /layer 'conv7' matches no stored layer/,
  );
  assertPrunefiError(
    () => new FaultSpace(half, { bits: [16, 20] }),
    'FAULT_CONFIG',
    /outside the 16-bit words of float16/,
  );
  assertPrunefiError(
    () => new FaultSpace(m, { valueRange: [100, 200] }),
    'FAULT_CONFIG',
    /selects no stored bits/,
  );
});
