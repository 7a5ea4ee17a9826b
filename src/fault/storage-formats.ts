/**
 * Storage formats: how a weight matrix's value words are laid out in memory, and what an
 * accelerator's decoder makes of that memory once bits in it have flipped. A tensor is viewed
 * as a rows × cols matrix (rows = dims[0], the output filters of a Conv; a 1-D tensor is one row).
 *
 * Decoder semantics after faults (chosen to match a simple hardware decoder, documented here
 * because they decide what an index fault does):
 * - Every stored value is *accumulated* into its decoded position (dense[pos] += value), as a
 *   sparse matrix-vector unit would multiply-add it; two values landing on one column add up.
 * - CSR: row r reads values rowPtr[r] .. rowPtr[r+1]-1. Pointers beyond nnz are clamped to nnz
 *   (the fetch unit stops at the end of the value buffer); a row whose end is before its start is
 *   empty (the loop runs zero times); rows read their ranges independently, so overlapping ranges
 *   read the same values twice. A column index >= cols is dropped (the address check discards
 *   the product), so a flip can move a weight or make it vanish.
 * - bitmask: the i-th set mask bit takes the next packed value; set bits beyond the number of
 *   stored values read nothing (dropped); unused values at the end are ignored. A 0→1 flip thus
 *   shifts every later value of the tensor by one position, the format's known weakness.
 * Index words use the minimal width (ceil(log2(cols)) bits for columns, ceil(log2(nnz+1)) for
 * row pointers), as a compact accelerator would store them; the fault rate is per stored bit.
 */
import { Registry, type RegistryEntry } from '../core/registry.js';

/**
 * The memory regions a stored tensor may have: its values, scales and zero points (int8 and
 * quantized models), sparse indices, and the check words of protections (SEC-DED 'ecc',
 * 'parity', 'tmr' copies).
 */
export const REGION_NAMES = [
  'values',
  'scales',
  'zero-points',
  'col-index',
  'row-ptr',
  'mask',
  'ecc',
  'parity',
  'tmr',
] as const;

/** The name of a memory region (see `REGION_NAMES`). */
export type RegionName = (typeof REGION_NAMES)[number];

/** A region of memory: `words.length` words of `bits` bits each. */
export interface Region {
  readonly name: RegionName;
  readonly bits: number;
  readonly words: Uint32Array;
  /** Check words of a protection, which only its decoder reads. */
  readonly check?: boolean;
}

/** The memory image of one tensor's values in a storage format. */
export interface StoredLayout {
  /** Regions other than the value words (indices, pointers, masks). */
  indexRegions: Region[];
  /** The value words actually stored, in storage order. */
  values: Uint32Array;
  /** Flat element position of each stored value word, fault-free (for fast single-value faults). */
  positions: Int32Array | null;
}

/** A storage format: encoder, and decoder of possibly faulty memory. */
export interface StorageFormat extends RegistryEntry {
  /** Whether zero words are left out of memory (so pruning shrinks it). */
  readonly sparse: boolean;
  /** Lays out `words` (one per element of a rows × cols matrix); `isZero` tells pruned words. */
  encode(words: Uint32Array, rows: number, cols: number, isZero: (word: number) => boolean): StoredLayout;
  /**
   * Decodes memory: calls `emit(position, k)` for every value word k the decoder multiplies into
   * flat position `position`, in decoder order. `regions` are the index regions (maybe faulty).
   */
  decode(
    regions: readonly Region[],
    nValues: number,
    rows: number,
    cols: number,
    emit: (position: number, k: number) => void,
  ): void;
}

/** Bits needed to store integers 0..n-1 (at least 1). */
export function indexBits(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(n, 1))));
}

/**
 * Number of words that are not pruned zeros. Sparse encoders count first so that they fill
 * typed arrays of the right size: pushing a pruned ResNet18's words onto JS arrays and copying
 * them took about half the time of storing the model in CSR or bitmask.
 */
function countNonZero(words: Uint32Array, isZero: (word: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < words.length; i++) if (!isZero(words[i]!)) n++;
  return n;
}

function region(regions: readonly Region[], name: RegionName): Region {
  const r = regions.find((x) => x.name === name);
  if (!r) throw new Error(`storage layout has no '${name}' region`);
  return r;
}

/** dense: every element is stored, zeros of pruned weights included. */
export const DENSE: StorageFormat = {
  name: 'dense',
  description: 'every element stored in order, zeros of pruned weights included',
  reference: '',
  sparse: false,
  encode: (words) => ({ indexRegions: [], values: words.slice(), positions: null }),
  decode(_regions, nValues, _rows, _cols, emit) {
    for (let k = 0; k < nValues; k++) emit(k, k);
  },
};

/** CSR: non-zero values, their column indices, and rows+1 row pointers. */
export const CSR: StorageFormat = {
  name: 'csr',
  description:
    'compressed sparse rows: non-zero values + column indices + row pointers (minimal index widths)',
  reference: 'Han, Mao, Dally 2016, Deep Compression (sparse storage of pruned weights)',
  sparse: true,
  encode(words, rows, cols, isZero) {
    const nnz = countNonZero(words, isZero);
    const values = new Uint32Array(nnz);
    const colIdx = new Uint32Array(nnz);
    const positions = new Int32Array(nnz);
    const rowPtr = new Uint32Array(rows + 1);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0, i = r * cols; c < cols; c++, i++) {
        const w = words[i]!;
        if (isZero(w)) continue;
        values[k] = w;
        colIdx[k] = c;
        positions[k++] = i;
      }
      rowPtr[r + 1] = k;
    }
    return {
      indexRegions: [
        { name: 'col-index', bits: indexBits(cols), words: colIdx },
        { name: 'row-ptr', bits: indexBits(nnz + 1), words: rowPtr },
      ],
      values,
      positions,
    };
  },
  decode(regions, nValues, rows, cols, emit) {
    const col = region(regions, 'col-index').words;
    const ptr = region(regions, 'row-ptr').words;
    for (let r = 0; r < rows; r++) {
      const start = Math.min(ptr[r]!, nValues);
      const end = Math.min(ptr[r + 1]!, nValues);
      for (let k = start; k < end; k++) {
        const c = col[k]!;
        if (c < cols) emit(r * cols + c, k);
      }
    }
  },
};

/** bitmask: one presence bit per element plus the packed non-zero values. */
export const BITMASK: StorageFormat = {
  name: 'bitmask',
  description: '1-bit presence mask per element + packed non-zero values',
  reference: 'Gondimalla et al. 2019, SparTen: A Sparse Tensor Accelerator for Convolutional Neural Networks',
  sparse: true,
  encode(words, _rows, _cols, isZero) {
    const nnz = countNonZero(words, isZero);
    const mask = new Uint32Array(words.length);
    const values = new Uint32Array(nnz);
    const positions = new Int32Array(nnz);
    let k = 0;
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (isZero(w)) continue;
      mask[i] = 1;
      values[k] = w;
      positions[k++] = i;
    }
    return { indexRegions: [{ name: 'mask', bits: 1, words: mask }], values, positions };
  },
  decode(regions, nValues, _rows, _cols, emit) {
    const mask = region(regions, 'mask').words;
    let k = 0;
    for (let i = 0; i < mask.length && k < nValues; i++) {
      if (mask[i]! & 1) emit(i, k++);
    }
  },
};

/** Every storage format, by name. */
export const STORAGE_FORMATS = new Registry<StorageFormat>('storage format', [DENSE, CSR, BITMASK]);
