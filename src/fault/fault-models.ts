/**
 * Fault models: how many faults an experiment gets and where. Positions are drawn uniformly over
 * the *targeted stored bits* (the concatenation of every targeted word's targeted bits), so a
 * smaller memory (structured pruning, a sparse format, a narrower number format) takes fewer
 * faults at a given bit error rate. Every draw takes an `Rng`, so an experiment replays from
 * (campaign seed, experiment index).
 */
import { PrunefiError } from '../core/errors.js';
import { Registry, type RegistryEntry } from '../core/registry.js';
import type { Rng } from '../core/rng.js';
import { FAULT_TYPES } from './fault-types.js';
import type { Fault, StoredModel, StoredTensor } from './memory.js';
import type { Region, RegionName } from './storage-formats.js';

/** Regions that only `faultScales` puts in the fault space: scales and zero points. */
const QUANT_PARAMS: ReadonlySet<RegionName> = new Set(['scales', 'zero-points']);

/** Which stored bits a fault model may hit. Every field narrows the space; absent = everything. */
export interface Targeting {
  /** Layer names ('layer4.1.conv2'); a trailing '*' matches a prefix ('layer4.*'). */
  layers?: string[];
  /** Weights, biases or both. */
  roles?: ('weight' | 'bias')[];
  /**
   * Memory regions (default: all but scales and zero points, which need `faultScales`, and
   * protections' check words, which only fault models that hit every stored bit take by default).
   */
  regions?: RegionName[];
  /** Inclusive range of bit positions within a word, e.g. [23, 30] for float32 exponents. */
  bits?: [number, number];
  /** Only value words whose fault-free decoded value lies in [min, max]. */
  valueRange?: [number, number];
}

/** The parameters of one experiment's faults. */
export interface FaultSpec {
  /** Fault model name: 'exact-k' or 'ber'. */
  model: string;
  /** Faults per experiment (exact-k). */
  k?: number;
  /** Probability that each targeted bit is hit (ber), in (0, 1). */
  ber?: number;
  /** Fault type name (default 'bit-flip'). */
  type?: string;
  /** Adjacent bits per fault for 'burst' (default 2). */
  length?: number;
  targeting?: Targeting;
}

interface Segment {
  tensor: StoredTensor;
  region: Region;
  /** Eligible word indices, or null for every word of the region. */
  words: Int32Array | null;
  count: number;
  /** Lowest start bit and number of start bits per word. */
  bitLo: number;
  slots: number;
}

function matchLayer(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/**
 * The set of targeted fault positions (word × start bit) of a stored model. Positions of check
 * words (protections) come after every data position, so a protected memory's data positions are
 * numbered as the unprotected memory's: a draw that walks positions in order (BER) hits the same
 * data bits with the same seed, and only continues into the check bits.
 */
export class FaultSpace {
  readonly model: StoredModel;
  readonly type: string;
  readonly length: number;
  private readonly segments: Segment[];
  private readonly cumulative: Float64Array;
  /** Number of fault positions (targeted bits, or burst start bits). */
  readonly size: number;

  /**
   * `checkWords`: whether an untargeted region list includes the protections' check words (the
   * BER model, which hits every stored bit); a targeting that lists regions says it itself.
   */
  constructor(
    model: StoredModel,
    targeting: Targeting = {},
    type = 'bit-flip',
    length?: number,
    checkWords = false,
  ) {
    const ft = FAULT_TYPES.get(type);
    this.model = model;
    this.type = type;
    this.length = ft.multiBit ? (length ?? 2) : 1;
    if (!Number.isInteger(this.length) || this.length < 1) {
      throw new RangeError(`burst length must be a positive integer, got ${length}`);
    }
    const t = targeting;
    if (t.layers) {
      const names = model.layers.map((l) => l.name);
      for (const p of t.layers) {
        if (!names.some((n) => matchLayer(n, [p]))) {
          throw new PrunefiError(
            'FAULT_CONFIG',
            `layer '${p}' matches no stored layer; layers are ${names.join(', ')}`,
          );
        }
      }
    }
    if (t.bits) {
      const [lo, hi] = t.bits;
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo || hi > 31) {
        throw new PrunefiError(
          'FAULT_CONFIG',
          `bit range [${lo}, ${hi}] is invalid; give integers 0 <= lo <= hi < ${model.wordBits} (the ${model.weightFormat.name} word width)`,
        );
      }
      if (lo >= model.wordBits && !(t.regions ?? []).some((r) => r !== 'values')) {
        throw new PrunefiError(
          'FAULT_CONFIG',
          `bit range [${lo}, ${hi}] is outside the ${model.wordBits}-bit words of ${model.weightFormat.name}; bits run 0..${model.wordBits - 1}`,
        );
      }
    }
    const regions = t.regions ?? null;
    const skip = (r: Region): boolean =>
      regions
        ? !regions.includes(r.name)
        : (QUANT_PARAMS.has(r.name) && !model.faultScales) || (!!r.check && !checkWords);
    this.segments = [];
    // Data regions first, then check words: see the class comment.
    for (const check of [false, true])
      for (const layer of model.layers) {
        if (t.layers && !matchLayer(layer.name, t.layers)) continue;
        for (const tensor of layer.tensors) {
          if (t.roles && !t.roles.includes(tensor.role)) continue;
          for (const region of tensor.regions) {
            if (!!region.check !== check || skip(region)) continue;
            if (t.valueRange && region.name !== 'values') continue;
            const lo = t.bits ? t.bits[0] : 0;
            const hi = Math.min(t.bits ? t.bits[1] : 31, region.bits - 1);
            const slots = hi - lo + 1 - (this.length - 1);
            if (slots <= 0) continue;
            let words: Int32Array | null = null;
            if (t.valueRange) words = valueWords(tensor, region, t.valueRange);
            const count = words ? words.length : region.words.length;
            if (count === 0) continue;
            this.segments.push({ tensor, region, words, count, bitLo: lo, slots });
          }
        }
      }
    this.cumulative = new Float64Array(this.segments.length + 1);
    this.segments.forEach((s, i) => {
      this.cumulative[i + 1] = this.cumulative[i]! + s.count * s.slots;
    });
    this.size = this.cumulative[this.segments.length]!;
    if (this.size === 0) {
      throw new PrunefiError(
        'FAULT_CONFIG',
        `the targeting ${JSON.stringify(targeting)} selects no stored bits of this model (${model.weightFormat.name}, ${model.storage.name}); widen the layer, bit or value range`,
      );
    }
  }

  /** The fault at position `p` in [0, size). */
  at(p: number): Fault {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cumulative[mid]! <= p) lo = mid;
      else hi = mid - 1;
    }
    const s = this.segments[lo]!;
    const off = p - this.cumulative[lo]!;
    const w = Math.floor(off / s.slots);
    const f: Fault = {
      tensor: s.tensor.name,
      region: s.region.name,
      index: s.words ? s.words[w]! : w,
      bit: s.bitLo + (off - w * s.slots),
      type: this.type,
    };
    if (this.length > 1) f.length = this.length;
    return f;
  }
}

function valueWords(tensor: StoredTensor, region: Region, [min, max]: [number, number]): Int32Array {
  const g = tensor.golden;
  const pos = tensor.valuePositions;
  const out: number[] = [];
  for (let k = 0; k < region.words.length; k++) {
    const v = g[pos ? pos[k]! : k]!;
    if (v >= min && v <= max) out.push(k);
  }
  return Int32Array.from(out);
}

/** A fault model: draws one experiment's faults from a fault space. */
export interface FaultModel extends RegistryEntry {
  /** Checks the spec's parameters (RangeError-free: FAULT_CONFIG errors naming the parameter). */
  check(spec: FaultSpec): void;
  sample(space: FaultSpace, spec: FaultSpec, rng: Rng): Fault[];
}

/** Every fault model, by name. */
export const FAULT_MODELS = new Registry<FaultModel>('fault model', [
  {
    name: 'exact-k',
    description: 'exactly k faults per experiment at distinct positions, uniform over the targeted bits',
    reference: 'Leveugle et al. 2009, Statistical fault injection: quantified error and confidence',
    check(spec) {
      const k = spec.k;
      if (k === undefined || !Number.isSafeInteger(k) || k < 1) {
        throw new PrunefiError(
          'FAULT_CONFIG',
          `exact-k needs k, a positive integer number of faults; got ${k}`,
        );
      }
    },
    sample(space, spec, rng) {
      const k = spec.k!;
      if (k > space.size) {
        throw new PrunefiError(
          'FAULT_CONFIG',
          `k = ${k} faults exceed the ${space.size} targeted fault positions; lower k or widen the targeting`,
        );
      }
      const seen = new Set<number>();
      const out: Fault[] = [];
      while (out.length < k) {
        const p = rng.int(space.size);
        if (seen.has(p)) continue;
        seen.add(p);
        out.push(space.at(p));
      }
      return out;
    },
  },
  {
    name: 'ber',
    description: 'each targeted stored bit is hit independently with probability ber (bit error rate)',
    reference: 'Reagen et al. 2018, Ares: a framework for quantifying the resilience of deep neural networks',
    check(spec) {
      const p = spec.ber;
      if (p === undefined || !(p > 0 && p < 1)) {
        throw new PrunefiError(
          'FAULT_CONFIG',
          `the bit error rate must be in (0, 1), a probability per stored bit such as 1e-7; got ${p}`,
        );
      }
    },
    sample(space, spec, rng) {
      // Geometric gaps between hit positions give exactly the independent-Bernoulli draw
      // without visiting every bit.
      const out: Fault[] = [];
      for (let p = rng.geometric(spec.ber!); p < space.size; p += 1 + rng.geometric(spec.ber!))
        out.push(space.at(p));
      return out;
    },
  },
]);

/** Checks a fault spec and returns its fault model. */
export function faultModel(spec: FaultSpec): FaultModel {
  const m = FAULT_MODELS.get(spec.model);
  m.check(spec);
  FAULT_TYPES.get(spec.type ?? 'bit-flip');
  return m;
}

/** Draws one experiment's faults (checks the spec first). */
export function sampleFaults(space: FaultSpace, spec: FaultSpec, rng: Rng): Fault[] {
  return faultModel(spec).sample(space, spec, rng);
}
