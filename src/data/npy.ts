/**
 * A reader of NumPy's .npy format (numpy.lib.format), written from its specification: the magic
 * `\x93NUMPY`, a major and minor version byte, the header length (2 bytes little-endian in
 * version 1.0, 4 bytes in 2.0 and 3.0), then an ASCII (latin-1; UTF-8 from 3.0) Python dict
 * literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a
 * newline, then the raw elements.
 *
 * Only the plain numeric dtypes ONNX models take are accepted (the table below), C order only: a
 * Fortran-order array would have to be transposed, and NumPy writes one only when asked, so the
 * message says how to write it in C order instead.
 */
import { PrunefiError } from '../core/errors.js';
import { type DType, dtypeSize, type Tensor, tensorFromBytes } from '../onnx/tensor.js';

/** NumPy has no 4-bit arrays. */
type NpyType = Exclude<DType, 'int4' | 'uint4'>;

/** The array types prunefi reads, by NumPy type code (kind + item size, byte order aside). */
const NPY_TYPES: Readonly<Record<string, NpyType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** True when the bytes start with the .npy magic string. */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

function invalid(file: string, what: string): PrunefiError {
  return new PrunefiError(
    'DATA_INVALID',
    `${file} is not a .npy file prunefi can read: ${what}; write it with numpy.save (or numpy.savez for several arrays)`,
  );
}

/** The header fields prunefi needs, parsed from the Python dict literal. */
interface Header {
  descr: string;
  fortran: boolean;
  shape: number[];
}

function parseHeader(text: string, file: string): Header {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr) {
    const structured = /['"]descr['"]\s*:\s*\[/.test(text);
    throw structured
      ? new PrunefiError(
          'DATA_INVALID',
          `${file} holds a structured (record) array; save each field as its own array (numpy.savez(file, name=arr['name'], ...))`,
        )
      : invalid(file, `its header has no 'descr' (${JSON.stringify(text.trim())})`);
  }
  if (!fortran || !shape) throw invalid(file, `its header lacks 'fortran_order' or 'shape' (${text.trim()})`);
  const dims = shape![1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+L?$/.test(s) ? Number.parseInt(s, 10) : Number.NaN));
  if (dims.some((d) => !Number.isSafeInteger(d)))
    throw invalid(file, `its shape (${shape![1]}) is not a tuple of sizes`);
  return { descr: descr[1]!, fortran: fortran![1] === 'True', shape: dims };
}

/**
 * Decodes a .npy file into a tensor (elements in C order, native byte order, in a fresh aligned
 * buffer). `file` names the array in messages. Errors are DATA_INVALID PrunefiErrors saying what
 * is wrong and how to write the array instead.
 */
export function parseNpy(bytes: Uint8Array, file: string): Tensor {
  if (!isNpy(bytes)) throw invalid(file, 'it does not start with the .npy magic string \\x93NUMPY');
  const major = bytes[6];
  const minor = bytes[7];
  if (bytes.length < 10 || major === undefined || ![1, 2, 3].includes(major) || minor !== 0) {
    throw invalid(file, `format version ${major}.${minor} is not 1.0, 2.0 or 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw invalid(file, 'it is truncated inside its header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLen > bytes.length) throw invalid(file, 'it is truncated inside its header');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLen),
  );
  const header = parseHeader(text, file);
  const m = /^([<>|=])?([a-z])(\d+)$/.exec(header.descr);
  const dtype = m ? NPY_TYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !dtype) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${file} holds dtype '${header.descr}', which prunefi does not read; convert it to one of ${Object.values(NPY_TYPES).join(', ')} (e.g. arr.astype(numpy.float32)) before saving`,
    );
  }
  if (header.fortran && header.shape.filter((d) => d > 1).length > 1) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${file} is stored in Fortran (column-major) order, which prunefi does not read; save it in C order: numpy.save(file, numpy.ascontiguousarray(arr))`,
    );
  }
  const size = dtypeSize(dtype);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (bytes.length - dataStart < count * size) {
    throw invalid(
      file,
      `its shape (${header.shape.join(', ')}) needs ${count * size} data bytes but it has ${bytes.length - dataStart}; the file is truncated`,
    );
  }
  const data = bytes.subarray(dataStart, dataStart + count * size);
  if (m[1] === '>' && size > 1) {
    // Big-endian: swap each element's bytes in a copy (tensorFromBytes reads little-endian).
    const swapped = data.slice();
    for (let o = 0; o < swapped.length; o += size) swapped.subarray(o, o + size).reverse();
    return tensorFromBytes(dtype, header.shape, swapped);
  }
  // tensorFromBytes copies, so the data's offset in a file (or zip member) need not be aligned.
  return tensorFromBytes(dtype, header.shape, data);
}
