/**
 * Selective hardening: from a single-bit campaign's SDCs per (tensor, bit), the parts of the
 * weight memory a memory code should cover, under a budget of check bits, to remove the most
 * expected SDCs; set against covering everything.
 *
 * The model of faults: one bit flip lands uniformly on the stored data bits (every word of every
 * tensor, every bit position), which is what a single-bit sweep samples: at bit b, each
 * experiment flips bit b of a uniformly drawn word. Check bits the code adds take flips too, but
 * a single flip of a check bit is harmless under every code here, so SDCs per flip of the data
 * bits are the figure to reduce. An experiment is an SDC when any image's top-1 class differs
 * from the fault-free model's (the campaign summaries' SDC rate).
 */
import { PrunefiError } from '../core/errors.js';
import type { StoredModel } from '../fault/memory.js';
import { hardeningCodes, PROTECTIONS } from '../fault/protect/registry.js';
import { formatProtectRegions } from '../fault/protect/scope.js';
import type { Hardening, ProtectSpec } from '../fault/protect/types.js';
import type { Interval } from '../stats/interval.js';
import { normalCritical } from '../stats/special.js';
import { checkSingleBitSweep } from './predict.js';
import type { CampaignStore } from './store.js';

/** A stored tensor: its name and number of words. */
export interface HardeningTensor {
  name: string;
  words: number;
}

/** The experiments of a single-bit sweep that hit bit `bit` of tensor `tensor`, and their SDCs. */
export interface HardeningCell {
  tensor: string;
  bit: number;
  experiments: number;
  sdc: number;
}

/** What hardening reads from a single-bit sweep. */
export interface HardeningTable {
  /** Bits per word (every tensor's). */
  wordBits: number;
  tensors: HardeningTensor[];
  /** Experiments per bit position (index = bit), over every tensor. */
  perBit: number[];
  /** Cells with at least one experiment. */
  cells: HardeningCell[];
}

/** One part of memory the plan covers: bits lo..hi of every word of a tensor. */
export interface HardeningChoice {
  tensor: string;
  bits: [number, number];
  words: number;
  checkBits: number;
  /** Experiments that hit these bits of this tensor, and how many were SDCs. */
  experiments: number;
  sdc: number;
  /** Its part of the expected SDCs per flip that the plan removes. */
  reduction: number;
}

/** A hardening plan and what covering everything would give. */
export interface HardeningPlan {
  /** The memory code (defaults filled in, no region list). */
  spec: ProtectSpec;
  /** What a single flip in covered bits becomes ('zeroed': the reduction is an upper bound). */
  singleBit: 'corrected' | 'zeroed';
  dataBits: number;
  budgetBits: number;
  /** SDCs per uniformly drawn flip of the data bits, unprotected. */
  baseline: Interval;
  chosen: HardeningChoice[];
  checkBits: number;
  /** Expected SDCs per flip the plan removes. */
  reduction: Interval;
  /** The code on every tensor, over the bits its spec covers. */
  everything: { checkBits: number; reduction: Interval };
  /** The plan as `--protect-regions` takes it ('' when nothing fits the budget). */
  regions: string;
  /** Largest number of non-dominated partial plans the exact search kept. */
  states: number;
}

function mismatch(path: string, what: string): PrunefiError {
  return new PrunefiError('CAMPAIGN_CONFIG_MISMATCH', `${path} ${what}`);
}

/**
 * Reads the SDCs per (tensor, bit) of a finished single-bit sweep (see `checkSingleBitSweep`),
 * whose memory `memory` is (built from the campaign's model and memory options: its size must
 * match the stored one). Every tensor must store words of one width, and every bit position
 * needs an experiment.
 */
export function readHardeningTable(store: CampaignStore, memory: StoredModel): HardeningTable {
  const sweep = checkSingleBitSweep(store, 'protect plan');
  const path = store.path;
  if (memory.bits !== sweep.memoryBits)
    throw mismatch(
      path,
      `stored ${sweep.memoryBits} memory bits, but its model stores ${memory.bits} now; use the campaign's own model file`,
    );
  const widths = new Set(memory.tensors.map((t) => t.format.bits));
  if (widths.size !== 1)
    throw mismatch(
      path,
      `stores words of ${[...widths].join(' and ')} bits (weights and biases differ); protect plan needs one word width, as a float number format has`,
    );
  const wordBits = memory.tensors[0]?.format.bits ?? 0;
  const perBit = new Array<number>(wordBits).fill(0);
  const cells = new Map<string, HardeningCell>();
  for (const r of store.records()) {
    const f = r.faults[0];
    if (r.faultCount !== 1 || !f)
      throw mismatch(path, `experiment ${r.index} has ${r.faultCount} faults, not one`);
    memory.tensor(f.tensor, `${path}, experiment ${r.index}`);
    perBit[r.bit] = (perBit[r.bit] ?? 0) + 1;
    const key = `${f.tensor}\u0000${r.bit}`;
    const cell = cells.get(key) ?? { tensor: f.tensor, bit: r.bit, experiments: 0, sdc: 0 };
    cell.experiments++;
    if (r.sdc > 0) cell.sdc++;
    cells.set(key, cell);
  }
  const empty = perBit.indexOf(0);
  if (empty >= 0)
    throw mismatch(
      path,
      `has no experiment at bit ${empty}; every bit needs one ('prunefi campaign resume ${path}' finishes the sweep)`,
    );
  return {
    wordBits,
    tensors: memory.tensors.map((t) => ({ name: t.name, words: t.numel })),
    perBit,
    cells: [...cells.values()],
  };
}

/**
 * The expected SDCs per flip that covering `sdc[b]` of bit b's SDC experiments removes:
 * (1/B) Σ_b sdc[b]/N_b, each bit a stratum of N_b uniform draws. Its interval is normal on that
 * stratified sum over the bits `covered` says are (partly) covered, each bit's proportion
 * Agresti–Coull adjusted, (x + z²/2)/(N + z²), in the variance, so a covered part that showed no
 * SDC still carries its sampling uncertainty.
 */
function stratified(
  sdc: readonly number[],
  covered: (bit: number) => boolean,
  table: HardeningTable,
  confidence: number,
): Interval {
  const z = normalCritical(confidence);
  const b = table.wordBits;
  let estimate = 0;
  let variance = 0;
  sdc.forEach((x, bit) => {
    const n = table.perBit[bit] ?? 0;
    if (n === 0 || !covered(bit)) return;
    estimate += x / n / b;
    const q = (x + (z * z) / 2) / (n + z * z);
    variance += (q * (1 - q)) / (n + z * z) / (b * b);
  });
  const h = z * Math.sqrt(variance);
  return {
    estimate,
    lower: Math.max(0, estimate - h),
    upper: Math.min(1, estimate + h),
    confidence,
    method: 'normal on the bit-stratified sum (Agresti–Coull adjusted variances)',
  };
}

interface Option {
  lo: number;
  hi: number;
  cost: number;
  /** Expected SDCs per flip it removes. */
  value: number;
}

/** A partial plan over the first tensors: its cost, value, and how it was reached. */
interface State {
  cost: number;
  value: number;
  prev: number;
  option: number;
}

/**
 * A tensor's candidate covers: for a 'word' code its whole coverage; for a 'range' code, per
 * width, the contiguous range within the coverage that removes the most (cost depends only on
 * width, so any other range of that width is dominated). Covers that remove nothing are dropped.
 */
function options(
  h: Hardening,
  spec: ProtectSpec,
  words: number,
  wordBits: number,
  [lo, hi]: [number, number],
  value: readonly number[],
): Option[] {
  const sum = (a: number, b: number): number => {
    let s = 0;
    for (let bit = a; bit <= b; bit++) s += value[bit] ?? 0;
    return s;
  };
  const out: Option[] = [];
  const widths = h.covers === 'word' ? [hi - lo + 1] : [];
  if (h.covers === 'range')
    for (let w = 1; w <= Math.min(hi - lo + 1, h.maxBits ?? wordBits); w++) widths.push(w);
  for (const w of widths) {
    let best: Option | undefined;
    for (let a = lo; a + w - 1 <= hi; a++) {
      const v = sum(a, a + w - 1);
      if (!best || v > best.value) best = { lo: a, hi: a + w - 1, cost: 0, value: v };
    }
    if (!best || best.value <= 0) continue;
    best.cost = h.checkBits(spec, words, wordBits, best.lo, best.hi);
    out.push(best);
  }
  return out;
}

/**
 * Plans selective hardening of `table`'s memory with the memory code `spec` (one `PROTECTIONS`
 * entry that declares its `hardening`) under `budgetBits` check bits: each tensor gets at most
 * one contiguous range of bits within the spec's coverage (whole words for SEC-DED and parity),
 * chosen to maximise the expected SDCs per flip removed (Σ over covered (tensor, bit) of its SDC
 * rate × its share of the data bits). The choice is exact: a multiple-choice knapsack solved by
 * dynamic programming over tensors on the Pareto front of (check bits, SDCs removed), which never
 * holds more states than there are distinct sums of SDC counts (at most the sweep's SDC
 * experiments + 1 when every bit has as many experiments), whatever the budget. The reduction's
 * interval is computed on the same data that chose the plan, so it is optimistic for the
 * plan chosen (the cells that looked worst); a sweep with another seed measures it afresh.
 */
export function planHardening(
  table: HardeningTable,
  spec: ProtectSpec,
  budgetBits: number,
  confidence = 0.95,
): HardeningPlan {
  const p = PROTECTIONS.get(spec.name);
  const h = p.hardening;
  if (!h)
    throw new PrunefiError(
      'FAULT_CONFIG',
      `protection ${spec.name} is not a memory code that covers chosen bits; protect plan takes ${hardeningCodes().join(', ')}`,
    );
  if (!Number.isFinite(budgetBits) || budgetBits < 0)
    throw new RangeError(`budgetBits must be a number of bits >= 0, got ${budgetBits}`);
  const { regions: _regions, ...base } = spec;
  const code = base as ProtectSpec;
  const singleBit = h.singleBit(code);
  if (!singleBit)
    throw new PrunefiError(
      'FAULT_CONFIG',
      `${spec.name} with these options only flags single errors, so covering bits removes no SDC; use due=zero`,
    );
  const B = table.wordBits;
  const coverage = h.coverage(code, B);
  const [clo, chi] = coverage;
  if (clo < 0 || chi >= B)
    throw new PrunefiError(
      'FAULT_CONFIG',
      `${spec.name} covers bits ${clo}..${chi}, outside the ${B}-bit words of this memory`,
    );
  const cellsOf = new Map<string, HardeningCell[]>();
  for (const c of table.cells) cellsOf.set(c.tensor, [...(cellsOf.get(c.tensor) ?? []), c]);
  const removedPerBit = (t: string): number[] => {
    const v = new Array<number>(B).fill(0);
    for (const c of cellsOf.get(t) ?? []) v[c.bit] = c.sdc / (table.perBit[c.bit] ?? 1) / B;
    return v;
  };

  // The Pareto front of (cost, value) after each tensor with candidates; equal values within
  // `eps` (float sums of the same counts in another order) count as one.
  const eps = 1e-12;
  const layers: { tensor: HardeningTensor; options: Option[]; states: State[] }[] = [];
  let front: State[] = [{ cost: 0, value: 0, prev: -1, option: -1 }];
  let states = 1;
  for (const tensor of table.tensors) {
    const opts = options(h, code, tensor.words, B, coverage, removedPerBit(tensor.name)).filter(
      (o) => o.cost <= budgetBits,
    );
    if (opts.length === 0) continue;
    const cand: State[] = [];
    front.forEach((s, j) => {
      cand.push({ cost: s.cost, value: s.value, prev: j, option: -1 });
      opts.forEach((o, k) => {
        if (s.cost + o.cost <= budgetBits)
          cand.push({ cost: s.cost + o.cost, value: s.value + o.value, prev: j, option: k });
      });
    });
    cand.sort((a, b) => a.cost - b.cost || b.value - a.value);
    const next: State[] = [];
    for (const s of cand) if (s.value > (next.at(-1)?.value ?? -1) + eps) next.push(s);
    front = next;
    states = Math.max(states, front.length);
    layers.push({ tensor, options: opts, states: front });
  }

  const chosen: HardeningChoice[] = [];
  let at = front.length - 1;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    const s = layer?.states[at];
    if (!layer || !s) break;
    const o = layer.options[s.option];
    if (o) {
      const cells = (cellsOf.get(layer.tensor.name) ?? []).filter((c) => c.bit >= o.lo && c.bit <= o.hi);
      chosen.push({
        tensor: layer.tensor.name,
        bits: [o.lo, o.hi],
        words: layer.tensor.words,
        checkBits: o.cost,
        experiments: cells.reduce((n, c) => n + c.experiments, 0),
        sdc: cells.reduce((n, c) => n + c.sdc, 0),
        reduction: o.value,
      });
    }
    at = s.prev;
  }
  chosen.reverse();

  const sdcPerBit = (keep: (c: HardeningCell) => boolean): number[] => {
    const out = new Array<number>(B).fill(0);
    for (const c of table.cells) if (keep(c)) out[c.bit] = (out[c.bit] ?? 0) + c.sdc;
    return out;
  };
  const byTensor = new Map(chosen.map((c) => [c.tensor, c.bits]));
  const covered = (c: HardeningCell): boolean => {
    const bits = byTensor.get(c.tensor);
    return !!bits && c.bit >= bits[0] && c.bit <= bits[1];
  };
  const inCoverage = (bit: number): boolean => bit >= clo && bit <= chi;
  return {
    spec: code,
    singleBit,
    dataBits: table.tensors.reduce((s, t) => s + t.words * B, 0),
    budgetBits,
    baseline: stratified(
      sdcPerBit(() => true),
      () => true,
      table,
      confidence,
    ),
    chosen,
    checkBits: chosen.reduce((s, c) => s + c.checkBits, 0),
    reduction: stratified(
      sdcPerBit(covered),
      (bit) => chosen.some((c) => bit >= c.bits[0] && bit <= c.bits[1]),
      table,
      confidence,
    ),
    everything: {
      checkBits: table.tensors.reduce((s, t) => s + h.checkBits(code, t.words, B, clo, chi), 0),
      reduction: stratified(
        sdcPerBit((c) => inCoverage(c.bit)),
        inCoverage,
        table,
        confidence,
      ),
    },
    regions: formatProtectRegions(
      chosen.map((c) => (h.covers === 'word' ? { tensor: c.tensor } : { tensor: c.tensor, bits: c.bits })),
    ),
    states,
  };
}
