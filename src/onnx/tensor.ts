/**
 * Tensors as ONNX Runtime types them: a dtype name, the matching typed array and dims. float16
 * and bfloat16 are stored as their raw 16-bit patterns (Uint16Array) because JavaScript has no
 * native half type on Node 20; `toFloat32` decodes them. int4 and uint4 hold one element per
 * array entry (Int8Array / Uint8Array) so every pass indexes them like any tensor; ONNX files and
 * ONNX Runtime pack them two per byte, low nibble first, and `tensorBytes` / `tensorFromBytes`
 * pack and unpack at that boundary.
 */

/** Element types prunefi reads and writes. */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'int4'
  | 'uint4';

/** The typed array that holds each dtype's data (as in onnxruntime's `Tensor.DataTypeMap`). */
export interface DataTypeMap {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  int4: Int8Array;
  uint4: Uint8Array;
}

/** A dense tensor. `data.length` always equals the product of `dims`. */
export interface Tensor<T extends DType = DType> {
  readonly dtype: T;
  readonly dims: readonly number[];
  readonly data: DataTypeMap[T];
}

type TypedArrayCtor = { new (n: number): DataTypeMap[DType]; readonly BYTES_PER_ELEMENT: number };

const CTORS: Record<DType, TypedArrayCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  int4: Int8Array,
  uint4: Uint8Array,
};

/** Whether a dtype is stored two elements per byte (int4, uint4). */
export const isPacked4 = (dtype: DType): dtype is 'int4' | 'uint4' => dtype === 'int4' || dtype === 'uint4';

/** Bits per element of a dtype as ONNX stores it (4 for int4/uint4). */
export function dtypeBits(dtype: DType): number {
  return isPacked4(dtype) ? 4 : CTORS[dtype].BYTES_PER_ELEMENT * 8;
}

/** Packs int4/uint4 elements two per byte, low nibble first (ONNX IR), an odd count padded with 0. */
export function packNibbles(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  Array.from(values).forEach((v, i) => {
    out[i >> 1] = (out[i >> 1] ?? 0) | ((v & 0xf) << ((i & 1) * 4));
  });
  return out;
}

/** Unpacks `n` int4 (sign-extended) or uint4 elements from bytes packed two per byte. */
export function unpackNibbles(
  dtype: 'int4' | 'uint4',
  bytes: ArrayLike<number>,
  n: number,
): Int8Array | Uint8Array {
  const out = dtype === 'int4' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const nib = ((bytes[i >> 1] ?? 0) >> ((i & 1) * 4)) & 0xf;
    out[i] = dtype === 'int4' ? (nib << 28) >> 28 : nib;
  }
  return out;
}

/** Bytes per element of a dtype (in memory: int4/uint4 take one byte per element here). */
export function dtypeSize(dtype: DType): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A zero-filled tensor. */
export function zeros<T extends DType>(dtype: T, dims: readonly number[]): Tensor<T> {
  return { dtype, dims: [...dims], data: new CTORS[dtype](numel(dims)) as DataTypeMap[T] };
}

/**
 * A tensor over the given data; checks that the element count matches the dims so a wrong
 * shape fails here, not deep inside the runtime.
 */
export function tensor<T extends DType>(dtype: T, dims: readonly number[], data: DataTypeMap[T]): Tensor<T> {
  const n = numel(dims);
  if (data.length !== n) {
    throw new RangeError(`tensor data has ${data.length} elements but dims [${dims.join(', ')}] need ${n}`);
  }
  return { dtype, dims: [...dims], data };
}

/** A float32 tensor from plain numbers (convenient in tests and graph builders). */
export function f32(dims: readonly number[], values: ArrayLike<number>): Tensor<'float32'> {
  return tensor('float32', dims, Float32Array.from(values));
}

/** An int64 tensor from plain numbers (ONNX shape operands are int64). */
export function i64(dims: readonly number[], values: ArrayLike<number>): Tensor<'int64'> {
  return tensor('int64', dims, BigInt64Array.from(Array.from(values, (v) => BigInt(v))));
}

/** A deep copy (new data buffer). */
export function cloneTensor<T extends DType>(t: Tensor<T>): Tensor<T> {
  return { dtype: t.dtype, dims: [...t.dims], data: t.data.slice() as DataTypeMap[T] };
}

/** A view of the tensor's bytes (little-endian, as ONNX raw_data stores them; int4/uint4 packed, a copy). */
export function tensorBytes(t: Tensor): Uint8Array {
  if (isPacked4(t.dtype)) return packNibbles(t.data as Int8Array);
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** A tensor over a copy of little-endian raw bytes (copied so the result is aligned). */
export function tensorFromBytes<T extends DType>(
  dtype: T,
  dims: readonly number[],
  bytes: Uint8Array,
): Tensor<T> {
  const size = dtypeSize(dtype);
  const n = numel(dims);
  const need = isPacked4(dtype) ? Math.ceil(n / 2) : n * size;
  if (bytes.byteLength !== need) {
    throw new RangeError(
      `raw data of ${bytes.byteLength} bytes does not fit a ${dtype} tensor of dims [${dims.join(', ')}] (${need} bytes)`,
    );
  }
  if (isPacked4(dtype))
    return { dtype, dims: [...dims], data: unpackNibbles(dtype, bytes, n) as DataTypeMap[T] };
  const buf = new ArrayBuffer(n * size);
  new Uint8Array(buf).set(bytes);
  const Ctor = CTORS[dtype] as unknown as { new (b: ArrayBuffer): DataTypeMap[T] };
  return { dtype, dims: [...dims], data: new Ctor(buf) };
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE-754 binary16 bit pattern → number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * number → IEEE-754 binary16 bit pattern, rounding to nearest even (as numpy and PyTorch do).
 * The number is first rounded to float32: exact for values read from a Float32Array (every use in
 * prunefi), but a double lying between two float32 values may round differently from numpy's
 * direct float64 → float16 conversion.
 */
export function floatToHalf(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/** bfloat16 bit pattern → number (exact: bfloat16 is the top half of a float32). */
export function bfloat16ToFloat(b: number): number {
  u32Scratch[0] = (b & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** number → bfloat16 bit pattern, rounding to nearest even; NaN stays a quiet NaN. */
export function floatToBfloat16(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Any numeric tensor's values as float32 (float16/bfloat16 decoded, integers converted). */
export function toFloat32(t: Tensor): Float32Array {
  switch (t.dtype) {
    case 'float32':
      return t.data as Float32Array;
    case 'float16':
      return Float32Array.from(t.data as Uint16Array, halfToFloat);
    case 'bfloat16':
      return Float32Array.from(t.data as Uint16Array, bfloat16ToFloat);
    case 'int64':
    case 'uint64':
      return Float32Array.from(t.data as BigInt64Array, (v) => Number(v));
    default:
      return Float32Array.from(t.data as ArrayLike<number>);
  }
}

/** An int64/int32 tensor's values as plain numbers (for shapes, axes and indices). */
export function toNumbers(t: Tensor): number[] {
  if (t.dtype === 'int64' || t.dtype === 'uint64')
    return Array.from(t.data as BigInt64Array, (v) => Number(v));
  return Array.from(t.data as ArrayLike<number>);
}
