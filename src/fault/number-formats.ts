/**
 * Number formats: how one weight sits in memory as a word of bits. The model always computes in
 * float32 with the *decoded* value, as an accelerator that stores float16/bfloat16/int8 weights
 * and widens them in its datapath does, so the fault-free ("golden") model of a campaign is the
 * model with its weights rounded to the format.
 */
import { Registry, type RegistryEntry } from '../core/registry.js';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../onnx/tensor.js';

/** What one tensor becomes in a number format: its value words and, for int8, per-channel scales. */
export interface EncodedValues {
  /** One word per element (bit pattern in the low `bits` bits). */
  words: Uint32Array;
  /** Per-output-channel scales (int8 only), already rounded to float32. */
  scales?: Float32Array;
}

/** How a stored word decodes: what a stored tensor needs of its format. */
export interface WordFormat extends RegistryEntry {
  /** Bits per stored value word. */
  readonly bits: number;
  /** Whether the format stores per-channel scale words next to the values (they are faultable). */
  readonly scaled: boolean;
  /**
   * The float32 value of `word` (with its scale, and for integer formats its zero point, as
   * ONNX's DequantizeLinear computes (q − zero point) · scale in float32).
   */
  decode(word: number, scale: number, zeroPoint?: number): number;
}

/** A number format: bit width, encoder, and decoder of one word. */
export interface NumberFormat extends WordFormat {
  /**
   * Encodes a tensor's float values. `channelOf(i)` gives element i's output channel and
   * `channels` their number: only scaled formats use them.
   */
  encode(values: Float32Array, channels: number, channelOf: (i: number) => number): EncodedValues;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE-754 binary32 bit pattern of a number (after rounding to float32). */
export function floatBits(v: number): number {
  f32[0] = v;
  return u32[0]!;
}

/** The float32 value of a 32-bit pattern. */
export function bitsFloat(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

/** float32: the format PyTorch and ONNX models ship in; bit 31 sign, 30..23 exponent, 22..0 mantissa. */
export const FLOAT32: NumberFormat = {
  name: 'float32',
  description: 'IEEE-754 binary32: bit 31 sign, bits 30-23 exponent, bits 22-0 mantissa',
  reference: 'IEEE 754-2019',
  bits: 32,
  scaled: false,
  encode(values) {
    return {
      words: new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    };
  },
  decode: (word) => bitsFloat(word),
};

/** float16: half precision, rounding to nearest even when a model is converted. */
export const FLOAT16: NumberFormat = {
  name: 'float16',
  description: 'IEEE-754 binary16: bit 15 sign, bits 14-10 exponent, bits 9-0 mantissa',
  reference: 'IEEE 754-2019',
  bits: 16,
  scaled: false,
  encode: (values) => ({ words: Uint32Array.from(values, floatToHalf) }),
  decode: (word) => halfToFloat(word & 0xffff),
};

/** bfloat16: the top half of a float32 (same exponent range, 7-bit mantissa). */
export const BFLOAT16: NumberFormat = {
  name: 'bfloat16',
  description: 'brain float: bit 15 sign, bits 14-7 exponent, bits 6-0 mantissa (top half of a float32)',
  reference: 'Kalamkar et al. 2019, A Study of BFLOAT16 for Deep Learning Training',
  bits: 16,
  scaled: false,
  encode: (values) => ({ words: Uint32Array.from(values, floatToBfloat16) }),
  decode: (word) => bfloat16ToFloat(word & 0xffff),
};

/**
 * The scale floor of an all-zero channel: float32 machine epsilon, the floor PyTorch's
 * MinMaxObserver applies, so a pruned channel still has a finite, stored scale.
 */
export const INT8_SCALE_FLOOR = 2 ** -23;

/** Rounds to the nearest integer, ties to even (as torch.round and numpy.round do). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * An integer word as a quantized model stores it: `bits` bits, two's complement when signed.
 * `toInt` reads a word, `toWord` writes one (the low `bits` bits of the integer).
 */
export interface IntegerFormat extends WordFormat {
  /** Two's complement (int8, int4, ...) or unsigned (uint8, uint4, ...). */
  readonly signed: boolean;
  /** The integer a word holds (sign-extended from `bits` when signed). */
  toInt(word: number): number;
  /** The word holding an integer (its low `bits` bits). */
  toWord(value: number): number;
}

function integerFormat(name: string, bits: number, signed: boolean): IntegerFormat {
  const shift = 32 - bits;
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  const toInt = signed ? (w: number) => (w << shift) >> shift : (w: number) => (w & mask) >>> 0;
  return {
    name,
    description: `${signed ? "two's complement" : 'unsigned'} ${bits}-bit integer words decoded as (q - zero point) * scale`,
    reference: 'ONNX DequantizeLinear',
    bits,
    scaled: true,
    signed,
    toInt,
    toWord: (v) => (v & mask) >>> 0,
    // As ONNX Runtime computes it: (q − zp) converted to float32 (exact below 2^24, rounded for
    // int32), times the float32 scale, rounded once (the product of two float32s is exact in a double).
    decode: (word, scale, zeroPoint = 0) => Math.fround(Math.fround(toInt(word) - zeroPoint) * scale),
  };
}

/** The integer words quantized models store their weights in, by ONNX element type. */
export const INTEGER_FORMATS = new Registry<IntegerFormat>('stored integer type', [
  integerFormat('int8', 8, true),
  integerFormat('uint8', 8, false),
  integerFormat('int4', 4, true),
  integerFormat('uint4', 4, false),
  integerFormat('int16', 16, true),
  integerFormat('uint16', 16, false),
  integerFormat('int32', 32, true),
]);

const INT8_WORDS = INTEGER_FORMATS.get('int8');

/**
 * int8 with one symmetric scale per output channel: q = round(w / s) clamped to [-127, 127] with
 * s = max|w| / 127 of the channel; stored as two's complement bytes (a flip can reach -128).
 */
export const INT8: NumberFormat = {
  name: 'int8',
  description:
    "int8 two's complement, symmetric per-output-channel float32 scales (scales faultable on request)",
  reference:
    'Jacob et al. 2018, Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference',
  bits: 8,
  scaled: true,
  encode(values, channels, channelOf) {
    const maxAbs = new Float64Array(channels);
    for (let i = 0; i < values.length; i++) {
      const c = channelOf(i);
      const a = Math.abs(values[i]!);
      if (a > maxAbs[c]!) maxAbs[c] = a;
    }
    const scales = new Float32Array(channels);
    for (let c = 0; c < channels; c++) scales[c] = Math.max(maxAbs[c]! / 127, INT8_SCALE_FLOOR);
    const words = new Uint32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const q = Math.max(-127, Math.min(127, roundHalfEven(values[i]! / scales[channelOf(i)]!)));
      words[i] = q & 0xff;
    }
    return { words, scales };
  },
  decode: INT8_WORDS.decode,
};

/** Every number format, by name. */
export const NUMBER_FORMATS = new Registry<NumberFormat>('number format', [FLOAT32, FLOAT16, BFLOAT16, INT8]);
