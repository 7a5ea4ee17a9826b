/**
 * The weight memory of a model: every parameter of `faultLayers` (Conv/Gemm/MatMul weights and
 * biases, embeddings, norm scales, tokens) encoded in a number format and laid out in a storage format, as words that faults hit. Applying faults
 * yields the decoded elements that changed, which is all the evaluator needs: unchanged memory
 * never reaches the runtime.
 */
import { PrunefiError } from '../core/errors.js';
import type { Graph } from '../onnx/ir.js';
import { quantizedWeights } from '../onnx/quant.js';
import { numel, type Tensor, tensor } from '../onnx/tensor.js';
import { FAULT_TYPES } from './fault-types.js';
import { faultLayers } from './layers.js';
import { FLOAT32, NUMBER_FORMATS, type NumberFormat, type WordFormat } from './number-formats.js';
import { type DecodeCounts, decodeCodes, protectTensor } from './protect/apply.js';
import { checkProtections, PROTECTIONS } from './protect/registry.js';
import { parseProtectRegions } from './protect/scope.js';
import type { MemoryCode, ProtectSpec, ValueGuard } from './protect/types.js';
import {
  graphValue,
  initializerOf,
  type QuantizedSource,
  type QuantizedWords,
  quantizedInitializers,
  quantizedWords,
} from './quantized.js';
import {
  DENSE,
  type Region,
  type RegionName,
  STORAGE_FORMATS,
  type StorageFormat,
} from './storage-formats.js';

/** One fault: a word of a region of a stored tensor, and what happens to its bits. */
export interface Fault {
  /** Initializer name (= PyTorch parameter name for exported models). */
  tensor: string;
  /** Memory region; 'values' for the weights themselves. */
  region: RegionName;
  /** Word index within the region (for dense values: the flat element index). */
  index: number;
  /** Lowest bit the fault touches (0 = least significant). */
  bit: number;
  /** Fault type name (see FAULT_TYPES). */
  type: string;
  /** Number of adjacent bits for multi-bit types (default 1). */
  length?: number;
}

/**
 * The decoded elements of one tensor that a set of faults changed, and the code words its
 * protections corrected or detected (DUE) on the way.
 */
export interface TensorChange extends DecodeCounts {
  tensor: StoredTensor;
  /** Stored words whose bits changed (check words included). */
  wordsChanged: number;
  /** Flat positions whose decoded value changed (bitwise), ascending. */
  positions: Int32Array;
  /** Their new decoded values. */
  values: Float32Array;
  /** The stored words that changed, by region and word index (what a quantized tensor writes into its graph). */
  words: ReadonlyMap<RegionName, ReadonlyMap<number, number>>;
}

/** Options choosing how weights sit in memory. */
export interface MemoryOptions {
  /** Number format name (default 'float32'). */
  numberFormat?: string;
  /** Storage format name for weights (default 'dense'); biases are always stored dense. */
  storage?: string;
  /** Whether int8 scales are part of the fault space (default false; they are stored either way). */
  faultScales?: boolean;
  /** Protections of every stored tensor (see `PROTECTIONS`; default none). */
  protect?: readonly ProtectSpec[];
}

const bitsView = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** The working copy of a graph initializer (a float32 weight, or a quantized weight's integers, scales, zero points). */
function workData(work: ReadonlyMap<string, Tensor>, name: string): Float32Array {
  const t = work.get(name);
  if (!t) throw new Error(`no working copy of initializer '${name}'`);
  return t.data as Float32Array;
}

/** Regions that decode values rather than locate them (the rest are a storage format's indices). */
const DECODING_REGIONS: ReadonlySet<RegionName> = new Set(['values', 'scales', 'zero-points']);

/** One weight or bias tensor as it sits in memory. */
export class StoredTensor {
  readonly name: string;
  readonly layer: string;
  readonly role: 'weight' | 'bias';
  readonly dims: readonly number[];
  readonly rows: number;
  readonly cols: number;
  readonly format: WordFormat;
  readonly storage: StorageFormat;
  /** Value words first, then scales and zero points (scaled formats), then index regions. */
  readonly regions: readonly Region[];
  /** The decoded fault-free values: what the golden model computes with. */
  readonly golden: Float32Array;
  /** Flat position of each fault-free value word (null for dense: word k is element k). */
  readonly valuePositions: Int32Array | null;
  /** Where the model stores this tensor as integers (QDQ or QOperator); undefined for a float tensor. */
  readonly quantized: QuantizedSource | undefined;
  /** The scale (and zero point) index of each element. */
  readonly scaleOf: (i: number) => number;
  /** Memory codes on the value words, in decoding order, and guards on the decoded weights. */
  private readonly codes: readonly MemoryCode[];
  private readonly guards: readonly ValueGuard[];

  /**
   * A float32 initializer `t` encoded in `format` (per-channel scales along `outAxis`), or, with
   * `quantized`, the model's own integer words (then `t` gives the dims and `format` is unused).
   */
  constructor(
    name: string,
    layer: string,
    role: 'weight' | 'bias',
    t: Tensor,
    outAxis: number,
    format: NumberFormat,
    storage: StorageFormat,
    quantized?: QuantizedWords,
    protect: readonly ProtectSpec[] = [],
  ) {
    if (t.dtype !== 'float32' && !quantized) {
      throw new PrunefiError(
        'ONNX_UNSUPPORTED',
        `initializer '${name}' is ${t.dtype}; fault injection reads float32 models (convert the model to float32 and choose the stored format with --number-format)`,
      );
    }
    if (quantized && storage !== DENSE) {
      throw new PrunefiError(
        'FAULT_CONFIG',
        `quantized weight '${name}' is stored dense by its model; storage '${storage.name}' over integer words is not supported yet (use --storage dense)`,
      );
    }
    this.name = name;
    this.layer = layer;
    this.role = role;
    this.dims = [...t.dims];
    const n = numel(t.dims);
    this.rows = t.dims.length > 1 ? t.dims[0]! : 1;
    this.cols = n / Math.max(this.rows, 1);
    this.storage = storage;
    this.quantized = quantized?.source;
    // A graph protection (Ranger) acts on activations, whatever stores the weights.
    if (quantized && protect.some((p) => PROTECTIONS.get(p.name).stage !== 'graph')) {
      throw new PrunefiError(
        'USAGE',
        `protections (--protect) guard float number formats; '${name}' is stored as the model's own quantized integers (${quantized.source.values.name}), which are not supported yet: run the quantized model without --protect (or with ranger alone)`,
      );
    }
    let enc: { words: Uint32Array; scales?: Uint32Array; zeroPoints?: Uint32Array };
    if (quantized) {
      this.format = quantized.source.values;
      this.scaleOf = quantized.source.scaleOf;
      enc = quantized;
    } else {
      this.format = format;
      const axis = t.dims.length > 1 ? outAxis : 0;
      const channels = t.dims.length > 0 ? t.dims[axis]! : 1;
      const stride = numel(t.dims.slice(axis + 1));
      this.scaleOf = (i) => Math.floor(i / stride) % channels;
      const e = format.encode(t.data as Float32Array, channels, this.scaleOf);
      enc = e.scales ? { words: e.words, scales: bitsView(e.scales).slice() } : { words: e.words };
    }
    const zeroWord = (w: number) => this.format.decode(w, 1) === 0;
    const layout = storage.encode(enc.words, this.rows, this.cols, zeroWord);
    const values: Region = { name: 'values', bits: this.format.bits, words: layout.values };
    const regions: Region[] = [values];
    if (enc.scales) regions.push({ name: 'scales', bits: 32, words: enc.scales });
    const zpBits = quantized?.source.zeroPoints?.bits;
    if (enc.zeroPoints && zpBits) regions.push({ name: 'zero-points', bits: zpBits, words: enc.zeroPoints });
    regions.push(...layout.indexRegions);
    this.valuePositions = layout.positions;
    // The golden values are decoded before any guard exists: protections never change them.
    this.codes = [];
    this.guards = [];
    this.golden = this.decode(regions);
    const p = protectTensor(protect, name, values, format, this.golden);
    this.codes = p.codes;
    this.guards = p.guards;
    this.regions = [...regions, ...p.codes.map((c) => c.region)];
  }

  /**
   * The graph initializers this tensor is read from: the float32 weight itself, or a quantized
   * weight's integer, scale and zero-point initializers (what suffix sessions take as inputs).
   */
  get graphInputs(): string[] {
    const q = this.quantized;
    if (!q) return [this.name];
    return this.regions.map((r) => initializerOf(q, r.name));
  }

  /** The graph initializers holding this tensor's fault-free memory (fresh copies). */
  graphTensors(): Map<string, Tensor> {
    if (!this.quantized) return new Map([[this.name, tensor('float32', this.dims, this.golden.slice())]]);
    return quantizedInitializers(this.quantized, this.regions);
  }

  /**
   * Writes a change into `work` (graph initializers as `graphTensors` made them), or with
   * `restore` writes the fault-free values back: decoded floats for a float tensor, the faulty
   * integers, scales and zero points themselves for a quantized one.
   */
  patchGraph(work: ReadonlyMap<string, Tensor>, c: TensorChange, restore: boolean): void {
    const q = this.quantized;
    if (!q) {
      const w = workData(work, this.name);
      const from = restore ? this.golden : c.values;
      c.positions.forEach((p, i) => {
        w[p] = from[restore ? p : i] ?? 0;
      });
      return;
    }
    for (const [region, words] of c.words) {
      const data = workData(work, initializerOf(q, region));
      const golden = this.region(region).words;
      for (const [i, w] of words) data[i] = graphValue(q, region, restore ? (golden[i] ?? w) : w);
    }
  }

  /** The zero point of element `i` under `regions` (0 when the tensor has none). */
  private zeroPointOf(regions: readonly Region[], i: number): number {
    const zp = this.quantized?.zeroPoints;
    if (!zp) return 0;
    return zp.toInt(regions.find((r) => r.name === 'zero-points')?.words[this.scaleOf(i)] ?? 0);
  }

  /** Element count. */
  get numel(): number {
    return this.golden.length;
  }

  /** Total stored bits (all regions). */
  get bits(): number {
    let b = 0;
    for (const r of this.regions) b += r.bits * r.words.length;
    return b;
  }

  /** Stored bits of protections' check words (included in `bits`). */
  get checkBits(): number {
    let b = 0;
    for (const r of this.regions) if (r.check) b += r.bits * r.words.length;
    return b;
  }

  /** A decoded weight after the value guards. */
  private guarded(v: number): number {
    let x = v;
    for (const g of this.guards) x = g.apply(x);
    return x;
  }

  /** The region called `name`; a fault naming a region this tensor lacks is a FAULT_LIST error. */
  region(name: RegionName): Region {
    const r = this.regions.find((x) => x.name === name);
    if (!r) {
      throw new PrunefiError(
        'FAULT_LIST',
        `tensor '${this.name}' (${this.format.name}, ${this.storage.name}) has no '${name}' region; its regions are ${this.regions.map((x) => x.name).join(', ')}`,
      );
    }
    return r;
  }

  /** Decodes (possibly faulty) regions into dense float32 values. */
  decode(regions: readonly Region[]): Float32Array {
    const values = regions[0]!.words;
    const scaleRegion = regions.find((r) => r.name === 'scales');
    const scales = scaleRegion ? new Float32Array(scaleRegion.words.slice().buffer) : undefined;
    const out = new Float32Array(this.rows * this.cols);
    const f = this.format;
    if (this.storage === DENSE) {
      for (let i = 0; i < out.length; i++)
        out[i] = f.decode(values[i]!, scales ? scales[this.scaleOf(i)]! : 1, this.zeroPointOf(regions, i));
      return this.guardAll(out);
    }
    // A position may receive several values after an index fault: the first assigns (keeping the
    // sign of a -0), later ones accumulate as the multiply-add unit would.
    const written = new Uint8Array(out.length);
    const index = regions.filter((r) => !DECODING_REGIONS.has(r.name) && !r.check);
    this.storage.decode(index, values.length, this.rows, this.cols, (pos, k) => {
      const v = f.decode(values[k]!, scales ? scales[this.scaleOf(pos)]! : 1);
      if (written[pos]) out[pos] = out[pos]! + v;
      else {
        out[pos] = v;
        written[pos] = 1;
      }
    });
    return this.guardAll(out);
  }

  private guardAll(out: Float32Array): Float32Array {
    if (this.guards.length)
      out.forEach((v, i) => {
        out[i] = this.guarded(v);
      });
    return out;
  }

  /** Checks a fault against this tensor's memory; errors name the fault's field and the valid range. */
  validate(f: Fault, where: string): void {
    const r = this.region(f.region);
    const type = FAULT_TYPES.get(f.type);
    const length = f.length ?? 1;
    if (!Number.isInteger(f.index) || f.index < 0 || f.index >= r.words.length) {
      throw new PrunefiError(
        'FAULT_LIST',
        `${where}: index ${f.index} is out of range for region '${f.region}' of tensor '${this.name}' (${r.words.length} words: 0..${r.words.length - 1}); check the fault list was made for this model and storage format`,
      );
    }
    if (!Number.isInteger(length) || length < 1 || (!type.multiBit && length !== 1)) {
      throw new PrunefiError(
        'FAULT_LIST',
        `${where}: length ${f.length} is invalid for fault type '${f.type}' (${type.multiBit ? 'a positive integer' : 'only 1'})`,
      );
    }
    if (!Number.isInteger(f.bit) || f.bit < 0 || f.bit + length > r.bits) {
      throw new PrunefiError(
        'FAULT_LIST',
        `${where}: bit ${f.bit}${length > 1 ? ` (length ${length})` : ''} is outside the ${r.bits}-bit words of region '${f.region}' of tensor '${this.name}' (${this.format.name}); bits run 0..${r.bits - length}`,
      );
    }
  }

  /**
   * Applies faults (in order) to a copy of the touched words, decodes them through the memory
   * codes, and returns the decoded elements that changed, or null when no stored word changed (a
   * stuck-at on a bit already at that value).
   */
  apply(faults: readonly Fault[]): TensorChange | null {
    const patched = new Map<RegionName, Map<number, number>>();
    for (const f of faults) {
      const r = this.region(f.region);
      let m = patched.get(f.region);
      if (!m) {
        m = new Map();
        patched.set(f.region, m);
      }
      const old = m.get(f.index) ?? r.words[f.index]!;
      m.set(f.index, FAULT_TYPES.get(f.type).apply(old, f.bit, f.length ?? 1));
    }
    let wordsChanged = 0;
    for (const [name, m] of patched) {
      const words = this.region(name).words;
      for (const [i, w] of m) {
        if (w === words[i]) m.delete(i);
        else wordsChanged++;
      }
      if (m.size === 0) patched.delete(name);
    }
    if (wordsChanged === 0) return null;
    const counts = decodeCodes(this.codes, this.regions[0]?.words ?? new Uint32Array(0), patched);
    if (patched.size === 0)
      return {
        tensor: this,
        wordsChanged,
        positions: new Int32Array(0),
        values: new Float32Array(0),
        words: patched,
        ...counts,
      };
    const valuesOnly = patched.size === 1 && patched.has('values');
    if (valuesOnly) return this.valueChange(patched.get('values')!, wordsChanged, counts, patched);
    const regions = this.regions.map((r) => {
      const m = patched.get(r.name);
      if (!m) return r;
      const words = r.words.slice();
      for (const [i, w] of m) words[i] = w;
      return { name: r.name, bits: r.bits, words };
    });
    return this.diff(this.decode(regions), wordsChanged, counts, patched);
  }

  private valueChange(
    m: Map<number, number>,
    wordsChanged: number,
    counts: DecodeCounts,
    words: TensorChange['words'],
  ): TensorChange {
    const scales = this.regions.find((r) => r.name === 'scales');
    const pos: number[] = [];
    const vals: number[] = [];
    const gb = bitsView(this.golden);
    const one = new Float32Array(1);
    const oneBits = bitsView(one);
    for (const [k, w] of [...m].sort((a, b) => a[0] - b[0])) {
      const p = this.valuePositions ? this.valuePositions[k]! : k;
      const c = this.scaleOf(p);
      one[0] = this.guarded(
        this.format.decode(w, scales ? bitsToFloat(scales.words[c]!) : 1, this.zeroPointOf(this.regions, p)),
      );
      if (oneBits[0] === gb[p]) continue;
      pos.push(p);
      vals.push(one[0]!);
    }
    const order = pos.map((_, i) => i).sort((a, b) => pos[a]! - pos[b]!);
    return {
      tensor: this,
      wordsChanged,
      positions: Int32Array.from(order, (i) => pos[i]!),
      values: Float32Array.from(order, (i) => vals[i]!),
      words,
      ...counts,
    };
  }

  private diff(
    decoded: Float32Array,
    wordsChanged: number,
    counts: DecodeCounts,
    words: TensorChange['words'],
  ): TensorChange {
    const a = bitsView(decoded);
    const g = bitsView(this.golden);
    const pos: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] !== g[i]) pos.push(i);
    return {
      tensor: this,
      wordsChanged,
      positions: Int32Array.from(pos),
      values: Float32Array.from(pos, (i) => decoded[i]!),
      words,
      ...counts,
    };
  }
}

const scratch = new Float32Array(1);
const scratchBits = bitsView(scratch);
function bitsToFloat(b: number): number {
  scratchBits[0] = b;
  return scratch[0]!;
}

/** A stored layer: the parameter tensors of one module (see `faultLayers`). */
export interface StoredLayer {
  name: string;
  /** Index of the first node in `graph.nodes` that reads the layer's tensors. */
  nodeIndex: number;
  /** Index of the Conv/Gemm/MatMul node reading the weight directly, when there is one. */
  computeIndex?: number;
  tensors: StoredTensor[];
}

/**
 * The weight memory of a whole model. Build it from the graph that will run (after BatchNorm
 * folding, when folding), so what is stored is exactly what the model computes with.
 */
export class StoredModel {
  readonly numberFormat: NumberFormat;
  readonly storage: StorageFormat;
  readonly faultScales: boolean;
  /** The protections, checked, defaults filled in, in composition order. */
  readonly protect: readonly ProtectSpec[];
  readonly layers: StoredLayer[];
  readonly tensors: StoredTensor[];
  private readonly byName: Map<string, StoredTensor>;

  constructor(graph: Graph, options: MemoryOptions = {}) {
    this.numberFormat = NUMBER_FORMATS.get(options.numberFormat ?? 'float32');
    this.storage = STORAGE_FORMATS.get(options.storage ?? 'dense');
    this.faultScales = options.faultScales ?? false;
    this.protect = checkProtections(options.protect ?? []);
    this.layers = [];
    this.byName = new Map();
    const quantized = quantizedWeights(graph);
    for (const l of faultLayers(graph)) {
      const tensors: StoredTensor[] = [];
      for (const { name: init, role, outAxis } of l.tensors) {
        // Biases stay dense and, for int8, float32 (accelerators keep them wider than weights).
        const fmt = role === 'bias' && this.numberFormat.scaled ? FLOAT32 : this.numberFormat;
        // A quantized model's integers are stored as the model stores them, whatever the format.
        const q = quantized.get(init);
        const st = new StoredTensor(
          init,
          l.name,
          role,
          graph.initializers.get(init)!,
          outAxis,
          fmt,
          role === 'bias' ? DENSE : this.storage,
          q ? quantizedWords(graph, q) : undefined,
          this.protect,
        );
        this.byName.set(init, st);
        tensors.push(st);
      }
      const layer: StoredLayer = { name: l.name, nodeIndex: l.nodeIndex, tensors };
      if (l.computeIndex !== undefined) layer.computeIndex = l.computeIndex;
      this.layers.push(layer);
    }
    this.tensors = [...this.byName.values()];
    for (const spec of this.protect)
      if (spec.regions !== undefined)
        for (const r of parseProtectRegions(String(spec.regions)))
          this.tensor(r.tensor, `--protect-regions of ${spec.name}`);
  }

  /** The stored tensor called `name`; an unknown name is a FAULT_LIST error listing close names. */
  tensor(name: string, where = 'fault'): StoredTensor {
    const t = this.byName.get(name);
    if (!t) {
      const names = [...this.byName.keys()];
      const stem = name.split('.')[0] ?? name;
      const near = names.filter((n) => n.startsWith(stem)).slice(0, 8);
      throw new PrunefiError(
        'FAULT_LIST',
        `${where}: tensor '${name}' is not a stored weight of this model; stored tensors are ${(near.length ? near : names.slice(0, 8)).join(', ')}${names.length > 8 ? ', ...' : ''} (${names.length} in all; see 'prunefi info')`,
      );
    }
    return t;
  }

  /** The layer holding `tensor`. */
  layerOf(tensor: string): StoredLayer {
    const t = this.tensor(tensor);
    return this.layers.find((l) => l.tensors.includes(t))!;
  }

  /** Total stored bits of every tensor (all regions, check words included). */
  get bits(): number {
    return this.tensors.reduce((s, t) => s + t.bits, 0);
  }

  /** Stored bits of the protections' check words (part of `bits`). */
  get checkBits(): number {
    return this.tensors.reduce((s, t) => s + t.checkBits, 0);
  }

  /**
   * The format most weight elements are stored in: the number format, or for a quantized model
   * the integer type of its weights (a partly quantized model: the type holding most elements).
   */
  get weightFormat(): WordFormat {
    const count = new Map<WordFormat, number>();
    for (const t of this.tensors)
      if (t.role === 'weight') count.set(t.format, (count.get(t.format) ?? 0) + t.numel);
    return [...count].sort((a, b) => b[1] - a[1])[0]?.[0] ?? this.numberFormat;
  }

  /**
   * The name a report gives this memory's format: the number format, or for a model that stores
   * quantized weights their integer type marked as the model's own ('int8 (model)').
   */
  get formatLabel(): string {
    return this.tensors.some((t) => t.quantized)
      ? `${this.weightFormat.name} (model)`
      : this.numberFormat.name;
  }

  /**
   * The widest value word of any weight: the bit positions a single-bit sweep covers (a quantized
   * model's 8 int8 bits, not its float32 biases' 32).
   */
  get wordBits(): number {
    const weights = this.tensors.filter((t) => t.role === 'weight');
    return Math.max(0, ...(weights.length ? weights : this.tensors).map((t) => t.format.bits));
  }

  /**
   * The fault-free memory as the graph's initializers: decoded float32 weights, and quantized
   * weights' integers, scales and zero points as the model stores them.
   */
  goldenInitializers(): Map<string, Tensor> {
    return new Map(this.tensors.flatMap((t) => [...t.graphTensors()]));
  }

  /** Validates every fault (naming `where` and the fault's position in errors). */
  validate(faults: readonly Fault[], where = 'fault list'): void {
    faults.forEach((f, i) => {
      this.tensor(f.tensor, `${where}, fault ${i}`).validate(f, `${where}, fault ${i}`);
    });
  }

  /**
   * Applies faults: `wordsChanged` counts stored words whose bits changed (0 = the experiment has
   * no effect and needs no inference), `changes` the tensors whose decoded values changed,
   * `corrected` and `detected` the code words the protections corrected or found uncorrectable.
   */
  apply(faults: readonly Fault[]): { wordsChanged: number; changes: TensorChange[] } & DecodeCounts {
    this.validate(faults);
    const byTensor = new Map<string, Fault[]>();
    for (const f of faults) {
      const list = byTensor.get(f.tensor);
      if (list) list.push(f);
      else byTensor.set(f.tensor, [f]);
    }
    const changes: TensorChange[] = [];
    let wordsChanged = 0;
    let corrected = 0;
    let detected = 0;
    for (const [name, fs] of byTensor) {
      const c = this.tensor(name).apply(fs);
      if (!c) continue;
      wordsChanged += c.wordsChanged;
      corrected += c.corrected;
      detected += c.detected;
      if (c.positions.length > 0) changes.push(c);
    }
    return { wordsChanged, changes, corrected, detected };
  }
}
