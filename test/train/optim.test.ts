/**
 * Optimizers and schedules against PyTorch 1.13 (fixture test/fixtures/train/optim_schedules.json,
 * made by make_optim_fixture.py): four SGD (momentum, Nesterov, dampening, weight decay) and
 * AdamW steps on a fixed parameter with fixed gradients, and the learning rate (and one-cycle's
 * momentum) at every step of OneCycleLR, CosineAnnealingLR and StepLR.
 *
 * Tolerances: the updates are float32 on both sides with the same operation order, so they agree
 * to a few ulps (atol 2e-7 at parameter magnitudes ≤ 3; AdamW's sqrt and division are
 * correctly rounded in both). Schedules are double-precision formulas: PyTorch's cosine uses a
 * recursive form, ours the closed form, which differ by accumulated rounding only (rtol 1e-9).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AdamW, type Optimizer, Sgd } from '../../src/train/optim.js';
import { schedules } from '../../src/train/schedule.js';
import { assertClose } from '../helpers/assert.js';
import { REPO } from '../helpers/paths.js';

interface Fixture {
  tool: string;
  p0: number[];
  grads: number[][];
  optimizers: Record<string, { cfg: Record<string, number | boolean>; after: number[][] }>;
  schedules: Record<string, { cfg: Record<string, number>; lr: number[]; momentum?: number[] }>;
}

const fx = JSON.parse(
  readFileSync(join(REPO, 'test/fixtures/train/optim_schedules.json'), 'utf8'),
) as Fixture;

function make(name: string, c: Record<string, number | boolean>): Optimizer {
  const n = (k: string) => c[k] as number | undefined;
  if (name === 'adamw') {
    return new AdamW({
      lr: n('lr')!,
      weightDecay: n('weight_decay')!,
      beta1: n('beta1')!,
      beta2: n('beta2')!,
      eps: n('eps')!,
    });
  }
  return new Sgd({
    lr: n('lr')!,
    momentum: n('momentum') ?? 0,
    weightDecay: n('weight_decay') ?? 0,
    dampening: n('dampening') ?? 0,
    nesterov: c.nesterov === true,
  });
}

test('SGD and AdamW steps match PyTorch', () => {
  assert.match(fx.tool, /^PyTorch 1\.13/);
  for (const [name, o] of Object.entries(fx.optimizers)) {
    const opt = make(name, o.cfg);
    const p = Float32Array.from(fx.p0);
    o.after.forEach((expected, k) => {
      opt.update('p', p, Float32Array.from(fx.grads[k]!), { lr: o.cfg.lr as number });
      opt.endStep();
      assertClose(p, expected, { atol: 2e-7 }, `${name} after step ${k + 1}`);
    });
  }
});

test('SGD with momentum is bit-identical to the element-wise float32 formula over many steps', () => {
  const f = Math.fround;
  for (const [wd, damp] of [
    [0, 0],
    [5e-4, 0],
    [5e-4, 0.1],
  ] as const) {
    const n = 1000;
    const p = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const ref = p.slice();
    const buf = new Float32Array(n);
    const opt = new Sgd({ lr: 0.05, momentum: 0.9, weightDecay: wd, dampening: damp });
    for (let k = 0; k < 5; k++) {
      const g = Float32Array.from({ length: n }, (_, i) => Math.cos(i * (k + 1)));
      opt.update('p', p, g, { lr: 0.05 });
      opt.endStep();
      for (let i = 0; i < n; i++) {
        const d = wd === 0 ? g[i]! : f(g[i]! + f(wd * ref[i]!));
        buf[i] = k === 0 ? d : f(f(0.9 * buf[i]!) + f(f(1 - damp) * d));
        ref[i] = f(ref[i]! - f(0.05 * buf[i]!));
      }
      assert.deepEqual(p, ref, `weight decay ${wd}, dampening ${damp}, step ${k + 1}`);
    }
  }
});

test('one-cycle, cosine and step schedules match PyTorch step by step', () => {
  for (const [name, s] of Object.entries(fx.schedules)) {
    const sched = schedules.get(name).create({
      lr: s.cfg.lr!,
      momentum: 0.9,
      totalSteps: s.cfg.totalSteps!,
      stepsPerEpoch: s.cfg.stepsPerEpoch ?? 1,
      ...(s.cfg.stepEpochs !== undefined ? { stepEpochs: s.cfg.stepEpochs, gamma: s.cfg.gamma! } : {}),
    });
    const hyper = s.lr.map((_, t) => sched(t));
    assertClose(
      hyper.map((h) => h.lr),
      s.lr,
      { rtol: 1e-9 },
      `${name} lr`,
    );
    if (name === 'onecycle')
      assertClose(
        hyper.map((h) => h.momentum!),
        s.momentum!,
        { rtol: 1e-9 },
        'onecycle momentum',
      );
  }
});

test('warm-up ramps linearly before the schedule proper; bad settings are RangeErrors', () => {
  const s = schedules.get('cosine').create({ lr: 0.1, totalSteps: 10, stepsPerEpoch: 5, warmupSteps: 4 });
  assertClose(
    [0, 1, 2, 3, 4].map((t) => s(t).lr),
    [0.025, 0.05, 0.075, 0.1, 0.1],
    { rtol: 1e-12 },
    'warm-up then cosine start',
  );
  assert.throws(
    () => schedules.get('step').create({ lr: 0.1, totalSteps: 10, stepsPerEpoch: 5, warmupSteps: -1 }),
    RangeError,
  );
  assert.throws(() => new Sgd({ lr: 0.1, nesterov: true }), RangeError);
  assert.throws(() => new AdamW({ lr: -1 }), RangeError);
});

test('masked optimizer state is zeroed and stays zero', () => {
  for (const opt of [new Sgd({ lr: 0.1, momentum: 0.9 }), new AdamW({ lr: 0.01 })] as Optimizer[]) {
    const p = Float32Array.from([1, 2, 3, 4]);
    opt.update('w', p, Float32Array.from([1, 1, 1, 1]), { lr: 0.1 });
    opt.maskState('w', Uint8Array.from([1, 0, 1, 0]));
    for (const [, b] of opt.state().buffers) assert.deepEqual([b[1], b[3]], [0, 0], opt.kind);
  }
});

test('one-cycle with a one-step rise gives finite rates (PyTorch divides by zero there)', () => {
  // Two steps, the first the whole warm-up: the rise phase has no span.
  const sched = schedules
    .get('onecycle')
    .create({ lr: 0.01, momentum: 0.9, totalSteps: 2, stepsPerEpoch: 2, warmupSteps: 1 });
  const lrs = [0, 1].map((t) => sched(t).lr);
  assert.ok(lrs.every(Number.isFinite), `rates ${lrs.join(', ')}`);
  assert.equal(lrs[0], 0.01, 'the one-step rise ends at the peak');
  assert.ok(lrs[1]! < 1e-7, 'and the last step is at the floor');
});
