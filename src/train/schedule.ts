/**
 * Learning-rate schedules as pure functions of the global step, so a resumed run needs only the
 * step counter to continue exactly. Semantics follow PyTorch: StepLR stepped per epoch,
 * CosineAnnealingLR stepped per iteration, OneCycleLR (cosine annealing, momentum cycled
 * between 0.95 and 0.85 as its default cycle_momentum=True does). step and cosine accept a
 * linear warm-up: lr·(t+1)/W for the first W steps, the schedule proper starting after them.
 */
import { nth } from '../core/checked.js';
import { Registry, type RegistryEntry } from '../core/registry.js';
import type { StepHyper } from './optim.js';

/** What a schedule needs to know about the run. */
export interface ScheduleConfig {
  /** Peak (one-cycle: maximum) learning rate. */
  lr: number;
  /** Base momentum of the optimizer (returned unchanged except by one-cycle). */
  momentum?: number;
  totalSteps: number;
  stepsPerEpoch: number;
  warmupSteps?: number;
  /** step: decay every `stepEpochs` epochs by `gamma` (default: a third of the epochs, 0.1). */
  stepEpochs?: number;
  gamma?: number;
  /** cosine: final learning rate (default 0). */
  minLr?: number;
}

/** The hyperparameters at each global step. */
export type Schedule = (step: number) => StepHyper;

/** A schedule entry of the `--schedule` registry. */
export interface ScheduleEntry extends RegistryEntry {
  create(config: ScheduleConfig): Schedule;
}

function withWarmup(c: ScheduleConfig, after: (t: number, span: number) => number): Schedule {
  const w = c.warmupSteps ?? 0;
  if (!Number.isInteger(w) || w < 0)
    throw new RangeError(`warmupSteps must be a non-negative integer, got ${w}`);
  return (step) => {
    if (step < w) return { lr: (c.lr * (step + 1)) / w, ...momentumOf(c) };
    return { lr: after(step - w, Math.max(1, c.totalSteps - w)), ...momentumOf(c) };
  };
}

function momentumOf(c: ScheduleConfig): { momentum?: number } {
  return c.momentum === undefined ? {} : { momentum: c.momentum };
}

const annealCos = (start: number, end: number, pct: number): number =>
  end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);

/** torch.optim.lr_scheduler.OneCycleLR with its defaults (two phases, cosine annealing). */
export function oneCycle(
  c: ScheduleConfig & {
    pctStart?: number;
    divFactor?: number;
    finalDivFactor?: number;
    baseMomentum?: number;
    maxMomentum?: number;
  },
): Schedule {
  const total = c.totalSteps;
  const pct = c.pctStart ?? (c.warmupSteps ? c.warmupSteps / total : 0.3);
  const initial = c.lr / (c.divFactor ?? 25);
  const min = initial / (c.finalDivFactor ?? 1e4);
  const baseM = c.baseMomentum ?? 0.85;
  const maxM = c.maxMomentum ?? 0.95;
  const phases = [
    { end: pct * total - 1, lr: [initial, c.lr], m: [maxM, baseM] },
    { end: total - 1, lr: [c.lr, min], m: [baseM, maxM] },
  ];
  return (step) => {
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const p = nth(phases, i);
      if (step <= p.end || i === phases.length - 1) {
        // A phase one step long (a one-step warm-up) has no span: it is at its end at once
        // (PyTorch's OneCycleLR divides by zero there).
        const span = p.end - start;
        const t = span > 0 ? (step - start) / span : 1;
        return {
          lr: annealCos(nth(p.lr, 0), nth(p.lr, 1), t),
          momentum: annealCos(nth(p.m, 0), nth(p.m, 1), t),
        };
      }
      start = p.end;
    }
    throw new Error('unreachable');
  };
}

/** Schedules by name (`--schedule`). */
export const schedules = new Registry<ScheduleEntry>('schedule', [
  {
    name: 'constant',
    description: 'constant learning rate (after the optional warm-up)',
    reference: '',
    create: (c) => withWarmup(c, () => c.lr),
  },
  {
    name: 'step',
    description: 'multiply the learning rate by gamma every stepEpochs epochs (torch StepLR per epoch)',
    reference: '',
    create: (c) => {
      const every = c.stepEpochs ?? Math.max(1, Math.round(c.totalSteps / c.stepsPerEpoch / 3));
      const gamma = c.gamma ?? 0.1;
      return withWarmup(c, (t) => c.lr * gamma ** Math.floor(t / c.stepsPerEpoch / every));
    },
  },
  {
    name: 'cosine',
    description: 'cosine annealing to minLr over the run, per iteration (torch CosineAnnealingLR)',
    reference: 'Loshchilov & Hutter 2017, SGDR',
    create: (c) => withWarmup(c, (t, span) => annealCos(c.lr, c.minLr ?? 0, Math.min(1, t / span))),
  },
  {
    name: 'onecycle',
    description:
      'one-cycle: cosine up to lr over 30% of the run, then down to lr/25e4; momentum 0.95→0.85→0.95',
    reference: 'Smith & Topin 2019, Super-Convergence (torch OneCycleLR)',
    create: (c) => oneCycle(c),
  },
]);
