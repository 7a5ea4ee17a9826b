import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStudyConfig } from '../../src/study/config.js';
import { StudyEta } from '../../src/study/eta.js';
import { planStudy } from '../../src/study/plan.js';

// Two models: 'a' and 'b', each 1 base + 2 prune + 3 variants × (eval, ber, bits) = 12 steps.
const steps = planStudy(
  parseStudyConfig({
    data: 'mnist',
    models: [
      { name: 'a', source: 'zoo:lenet5' },
      { name: 'b', source: 'zoo:lenet5' },
    ],
    pruning: [{ method: 'magnitude', sparsities: [0.5, 0.9] }],
    faultModels: [{ numberFormat: 'float32', storageFormat: 'dense' }],
    campaigns: { images: 100, ber: { rates: [1e-6], trials: 3 }, singleBit: { perBit: 2 } },
  }),
  (s) => s,
);
const byId = (id: string) => steps.find((s) => s.id === id)!;

test('the rest of a study is the mean duration of finished peers (same kind, same model) per pending step', () => {
  assert.equal(steps.length, 24);
  const eta = new StudyEta(steps);
  const done = new Set<string>();
  const isDone = (s: { id: string }) => done.has(s.id);
  // Nothing timed yet: every later step is counted as not yet timed.
  assert.deepEqual(eta.remainingAfter(0, isDone), { seconds: 0, unestimated: 23 });
  // Model a: its first prune took 100 s and its baseline campaigns 10 s (ber) and 4 s (bits).
  for (const [id, s] of [
    ['base a', 1],
    ['eval a/unpruned', 2],
    ['ber a/unpruned [float32 dense bit-flip]', 10],
    ['bits a/unpruned [float32 dense bit-flip]', 4],
    ['prune a/magnitude@0.5', 100],
  ] as const) {
    eta.record(byId(id), s);
    done.add(id);
  }
  const i = steps.indexOf(byId('prune a/magnitude@0.5'));
  // After it: a's 2 evals (2 s each), 2 ber (10 s), 2 bits (4 s) and 1 prune (100 s) = 132 s;
  // model b's 12 steps have no timed peer on b.
  assert.deepEqual(eta.remainingAfter(i, isDone), { seconds: 132, unestimated: 12 });
  // Once a's other prune is done too (60 s), no prune of 'a' is pending: only its measurements remain.
  eta.record(byId('prune a/magnitude@0.9'), 60);
  done.add('prune a/magnitude@0.9');
  assert.deepEqual(eta.remainingAfter(i, isDone), { seconds: 2 * 2 + 2 * 10 + 2 * 4, unestimated: 12 });
});
