/**
 * Realistic synthetic ReportData for the report's tests: several models and pruning methods, BER
 * sweeps with per-trial outcomes, and single-bit sweeps. The fault process mimics float32 weight
 * memory: a trial's accuracy collapses towards chance with each "critical" flip (a high exponent
 * bit of a non-zero weight), whose count is Poisson with mean BER × stored bits × the share of
 * critical bits. Pruned weights are zeros, which a flip barely harms, so sparser variants are
 * more tolerant — the qualitative result of the study being reproduced. All randomness comes from
 * a seeded Rng, so each call with the same options returns the same data.
 */
import { Rng } from '../../src/core/rng.js';
import type { BitSweep, FaultModelInfo, ReportData, TrialOutcome, Variant } from '../../src/report/model.js';

/** One variant to synthesize. */
export interface SynthVariant {
  method: string;
  target: number;
  label: string;
  granularity?: Variant['granularity'];
  clean: number;
  /** Multiplies the rate of critical flips (1 = as dense weights of the same count). */
  susceptibility?: number;
  /** Fraction of parameters removed outright (filter pruning): shrinks params and MACs. */
  removed?: number;
}

/** One base model to synthesize. */
export interface SynthModel {
  name: string;
  params: number;
  macs: number;
  variants: SynthVariant[];
}

/** Options of `syntheticReport`; every field has a realistic default. */
export interface SynthOptions {
  seed?: number;
  models?: SynthModel[];
  bers?: number[];
  trials?: number;
  images?: number;
  /** Trials at the same BER share fault seeds across variants (paired design). Default true. */
  paired?: boolean;
  bitExperiments?: number;
  faultModels?: FaultModelInfo[];
  /** Write `cleanAccuracy` on each sweep (default true). */
  sweepClean?: boolean;
}

export const FLOAT32_DENSE: FaultModelInfo = {
  label: 'float32 dense bit-flip',
  numberFormat: 'float32',
  storageFormat: 'dense',
  faultType: 'bit-flip',
  foldBn: false,
};

export const FLOAT32_CSR: FaultModelInfo = {
  label: 'float32 CSR bit-flip',
  numberFormat: 'float32',
  storageFormat: 'csr',
  faultType: 'bit-flip',
  foldBn: false,
};

/** The default study shape: two CIFAR models, a baseline and five pruned variants each. */
export const DEFAULT_MODELS: SynthModel[] = [
  {
    name: 'resnet18-cifar',
    params: 11_173_962,
    macs: 556_651_520,
    variants: [
      { method: 'none', target: 0, label: 'unpruned', clean: 0.898 },
      { method: 'magnitude-global', target: 0.5, label: 'magnitude (global) 50%', clean: 0.897 },
      { method: 'magnitude-global', target: 0.9, label: 'magnitude (global) 90%', clean: 0.889 },
      { method: 'random', target: 0.5, label: 'random 50%', clean: 0.861, susceptibility: 1.1 },
      {
        method: 'l1-filter',
        target: 0.3,
        label: 'L1 filters 30%',
        clean: 0.884,
        granularity: 'filter',
        removed: 0.3,
        susceptibility: 1.3,
      },
      { method: 'snip', target: 0.9, label: 'SNIP 90%', clean: 0.872, susceptibility: 1.05 },
    ],
  },
  {
    name: 'alexnet-cifar',
    params: 2_472_266,
    macs: 43_833_344,
    variants: [
      { method: 'none', target: 0, label: 'unpruned', clean: 0.77 },
      { method: 'magnitude-global', target: 0.5, label: 'magnitude (global) 50%', clean: 0.768 },
      { method: 'magnitude-global', target: 0.9, label: 'magnitude (global) 90%', clean: 0.742 },
      {
        method: 'l1-filter',
        target: 0.5,
        label: 'L1 filters 50%',
        clean: 0.731,
        granularity: 'filter',
        removed: 0.5,
        susceptibility: 1.8,
      },
    ],
  },
];

function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const l = Math.exp(-mean);
  let k = 0;
  let p = rng.float();
  while (p > l) {
    k++;
    p *= rng.float();
  }
  return k;
}

function binomial(rng: Rng, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (rng.float() < p) k++;
  return k;
}

/** Bits of weight memory a variant occupies under a storage format (float32 values). */
function storedBits(nonzero: number, params: number, format: string): number {
  if (format === 'csr') return nonzero * (32 + 32) + 32 * Math.ceil(params / 512);
  if (format === 'bitmask') return nonzero * 32 + params;
  return params * 32;
}

/** SDC probability of a single flip of `bit` in a float32 weight that is non-zero. */
function bitRate(bit: number): number {
  if (bit === 30) return 0.92;
  if (bit === 31) return 0.012;
  if (bit >= 23) return 0.35 * 0.3 ** (30 - bit);
  return 0.0008 * 1.25 ** (bit - 22);
}

/** Builds a ReportData from `opts` (see SynthOptions for the defaults). */
export function syntheticReport(opts: SynthOptions = {}): ReportData {
  const rng = Rng.seeded(opts.seed ?? 7);
  const models = opts.models ?? DEFAULT_MODELS;
  const bers = opts.bers ?? [1e-8, 3e-8, 1e-7, 3e-7, 1e-6, 3e-6, 1e-5];
  const trials = opts.trials ?? 20;
  const images = opts.images ?? 1000;
  const paired = opts.paired ?? true;
  const fms = opts.faultModels ?? [FLOAT32_DENSE];
  const chance = 0.1;
  const variants: Variant[] = [];
  const data: ReportData = {
    title: 'Synthetic pruning vs fault tolerance study',
    question:
      'Does pruning change how well a network tolerates bit flips in its weight memory, and which pruning method gives the most fault-tolerant model at what cost?',
    dataset: { name: 'cifar10 (synthetic)', split: 'test', classes: 10, faultImages: images },
    provenance: {
      prunefiVersion: '0.1.0',
      onnxruntimeVersion: '1.30.0',
      nodeVersion: 'v20.20.2',
      platform: 'linux x64',
      cpus: '2 × synthetic CPU',
      command: 'prunefi study --preset synthetic',
      config: { preset: 'synthetic', bers, trials, images, paired },
      configHash: 'sha256:0123456789abcdef',
      seeds: { study: opts.seed ?? 7, faults: 1234 },
      durations: [
        { step: 'train', seconds: 1204.5 },
        { step: 'prune + fine-tune', seconds: 3302.25 },
        { step: 'BER campaigns', seconds: 8120 },
        { step: 'single-bit campaigns', seconds: 2210.75 },
      ],
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T04:07:17.500Z',
    },
    variants,
    berSweeps: [],
    bitSweeps: [],
  };
  for (const m of models) {
    for (const sv of m.variants) {
      const removed = sv.removed ?? 0;
      const params = Math.round(m.params * (1 - removed));
      const unstructured =
        sv.granularity === undefined ? sv.method !== 'none' : sv.granularity === 'unstructured';
      const sparsity = unstructured ? sv.target : 0;
      const nonzero = Math.round(params * (1 - sparsity));
      const cleanCorrect = Math.round(sv.clean * 10000);
      const v: Variant = {
        id: `${m.name}/${sv.method}@${sv.target}`,
        model: m.name,
        method: sv.method,
        label: sv.label,
        granularity: sv.granularity ?? (sv.method === 'none' ? 'none' : 'unstructured'),
        target: sv.target,
        sparsity,
        params,
        nonzeroParams: nonzero,
        macs: Math.round(m.macs * (1 - removed)),
        memoryBits: Object.fromEntries(
          ['dense', 'csr', 'bitmask'].map((f) => [f, storedBits(nonzero, params, f)]),
        ),
        cleanAccuracy: cleanCorrect / 10000,
        cleanCorrect,
        cleanTotal: 10000,
      };
      if (sv.method !== 'none') {
        v.accuracyBeforeFinetune = Math.max(chance, sv.clean - 0.1 * sv.target);
        v.finetuneEpochs = 5;
      }
      variants.push(v);
      for (const fm of fms) {
        const vr = rng.split('ber', v.id, fm.label);
        const bits = storedBits(nonzero, params, fm.storageFormat);
        // Critical bits: high exponent bits of non-zero weights (index/metadata bits of sparse formats
        // are critical too, modelled by the same share).
        const critShare = ((1 - sparsity) * (1 / 32) * 0.95 * (sv.susceptibility ?? 1) * params * 32) / bits;
        const clean = sv.clean + 0.004 * vr.normal();
        data.berSweeps.push({
          variantId: v.id,
          faultModel: fm,
          images,
          ...(opts.sweepClean === false ? {} : { cleanAccuracy: Math.round(clean * images) / images }),
          points: bers.map((ber, bi) => ({
            ber,
            trials: Array.from({ length: trials }, (_, t): TrialOutcome => {
              const seed = paired ? 1000 * bi + t : 1000 * bi + t + 1_000_000 * (variants.length + 1);
              const tr = vr.split('trial', seed);
              const crit = poisson(tr, ber * bits * critShare);
              let acc = clean + 0.002 * tr.normal();
              for (let k = 0; k < crit; k++) acc = chance + (acc - chance) * 0.6 * tr.float();
              acc = Math.round(Math.min(1, Math.max(0, acc)) * images) / images;
              const lost = Math.max(0, Math.round((clean - acc) * images));
              return {
                accuracy: acc,
                sdc: Math.min(images, Math.round(lost * 1.15)),
                criticalSdc: lost,
                nonFinite: crit > 0 && tr.float() < 0.15 ? Math.round(images * 0.9) : 0,
                faults: poisson(tr, ber * bits),
                seed,
              };
            }),
          })),
        });
        data.bitSweeps.push(
          bitSweep(
            rng.split('bits', v.id, fm.label),
            v,
            fm,
            images,
            opts.bitExperiments ?? 300,
            sv.susceptibility ?? 1,
          ),
        );
      }
    }
  }
  return data;
}

function bitSweep(
  rng: Rng,
  v: Variant,
  fm: FaultModelInfo,
  images: number,
  perBit: number,
  susc: number,
): BitSweep {
  const nz = 1 - v.sparsity;
  const counts = (n: number, p: number) => {
    const sdcExperiments = binomial(rng, n, Math.min(1, p));
    const criticalExperiments = binomial(rng, sdcExperiments, 0.8);
    return {
      experiments: n,
      sdcExperiments,
      criticalExperiments,
      sdcImages: sdcExperiments * Math.round(images * 0.3),
    };
  };
  const byBit = Array.from({ length: 32 }, (_, bit) => ({
    bit,
    ...counts(perBit, nz * susc * bitRate(bit) + (bit === 30 ? 0.01 : 0)),
  }));
  const layers = ['conv1', 'layer1.0.conv1', 'layer2.0.conv1', 'layer3.0.conv1', 'layer4.0.conv2', 'fc'];
  const shares = [0.002, 0.02, 0.08, 0.2, 0.68, 0.018];
  const totalBits = v.memoryBits[fm.storageFormat] ?? v.params * 32;
  const overall = byBit.reduce((s, b) => s + b.sdcExperiments, 0) / (perBit * 32);
  const byLayer = layers.map((layer, i) => {
    const sp = Math.min(0.99, v.sparsity * (i === 0 ? 0.3 : i === 4 ? 1.05 : 0.95));
    return {
      layer,
      sparsity: sp,
      storedBits: Math.round(totalBits * shares[i]!),
      ...counts(
        Math.max(20, Math.round(perBit * 32 * shares[i]!)),
        overall * (i === 0 ? 2.5 : i === 5 ? 1.6 : 1) * ((1 - sp) / Math.max(0.01, nz)),
      ),
    };
  });
  const sum = (k: 'experiments' | 'sdcExperiments' | 'criticalExperiments' | 'sdcImages') =>
    byBit.reduce((s, b) => s + b[k], 0);
  return {
    variantId: v.id,
    faultModel: fm,
    images,
    byBit,
    byLayer,
    total: {
      experiments: sum('experiments'),
      sdcExperiments: sum('sdcExperiments'),
      criticalExperiments: sum('criticalExperiments'),
      sdcImages: sum('sdcImages'),
    },
  };
}

/** One variant of a constructed report: its mean accuracy at each BER and the trial spread. */
export interface ConstructedVariant {
  method: string;
  target: number;
  label?: string;
  clean: number;
  means: number[];
  /** Half-range of the trial values around each mean (0 = every trial equals the mean). */
  spread?: number;
  /** Trial values follow this fixed pattern in [-1, 1] (default: evenly spaced, symmetric). */
  pattern?: number[];
}

/**
 * A report with exactly known numbers, for tests whose right answer is computed by hand: trial
 * accuracies are mean + spread × pattern[t] (the default pattern is symmetric, so each point's
 * mean is exactly `means[i]`). With `paired`, trial t carries seed t at every BER in every
 * variant; otherwise each variant gets its own seeds.
 */
export function constructedReport(opts: {
  bers: number[];
  trials?: number;
  paired?: boolean;
  model?: string;
  variants: ConstructedVariant[];
}): ReportData {
  const base = syntheticReport({ models: [], bitExperiments: 0 });
  const trials = opts.trials ?? 10;
  const model = opts.model ?? 'net';
  const even = Array.from({ length: trials }, (_, t) => (trials === 1 ? 0 : -1 + (2 * t) / (trials - 1)));
  base.variants = opts.variants.map((v) => ({
    id: `${model}/${v.method}@${v.target}`,
    model,
    method: v.method,
    label: v.label ?? (v.method === 'none' ? 'unpruned' : `${v.method} ${Math.round(v.target * 100)}%`),
    granularity: v.method === 'none' ? 'none' : 'unstructured',
    target: v.target,
    sparsity: v.target,
    params: 1000,
    nonzeroParams: Math.round(1000 * (1 - v.target)),
    macs: 5000,
    memoryBits: { dense: 32000 },
    cleanAccuracy: v.clean,
    cleanCorrect: Math.round(v.clean * 10000),
    cleanTotal: 10000,
  }));
  base.berSweeps = opts.variants.map((v, i) => ({
    variantId: base.variants[i]!.id,
    faultModel: FLOAT32_DENSE,
    images: 1000,
    cleanAccuracy: v.clean,
    points: opts.bers.map((ber, b) => ({
      ber,
      trials: Array.from({ length: trials }, (_, t) => ({
        accuracy: v.means[b]! + (v.spread ?? 0) * (v.pattern ?? even)[t]!,
        sdc: 0,
        criticalSdc: 0,
        nonFinite: 0,
        faults: 1,
        seed: opts.paired === false ? 1000 * i + t : t,
      })),
    })),
  }));
  base.bitSweeps = [];
  return base;
}
