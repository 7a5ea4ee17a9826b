/**
 * The prepared samples of a campaign (images or a tensor set, and labels) as one byte string, so a
 * worker without the dataset gets exactly the arrays the coordinator prepared. The layout is a
 * magic line, a JSON header (array names, dtypes, dims, byte lengths) and the raw little-endian
 * arrays. Decoding checks every header field and every length: the bytes come from the queue.
 */
import type { ImageInput, SampleInput } from '../campaign/evaluator.js';
import { PrunefiError } from '../core/errors.js';
import { type DType, numel, type Tensor, tensorBytes, tensorFromBytes } from '../onnx/tensor.js';

const MAGIC = 'PRUNEFI-SAMPLES-1\n';

const DTYPES: readonly DType[] = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
];

interface Header {
  /** 'images': one array `x`; 'feeds': arrays by model input name. */
  kind: 'images' | 'feeds';
  arrays: { name: string; dtype: DType; dims: number[]; bytes: number }[];
  /** Labels travel as float64: any integer label (negative = not scored) round-trips exactly. */
  labels: number;
}

/** Encodes a campaign's samples (see the module comment for the layout). */
export function encodeSamples(input: ImageInput | SampleInput): Uint8Array {
  const arrays: [string, Tensor][] = 'x' in input ? [['x', input.x]] : [...input.feeds];
  const labels = Float64Array.from(input.labels);
  const header: Header = {
    kind: 'x' in input ? 'images' : 'feeds',
    arrays: arrays.map(([name, t]) => ({
      name,
      dtype: t.dtype,
      dims: [...t.dims],
      bytes: t.data.byteLength,
    })),
    labels: labels.length,
  };
  const head = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`);
  return Buffer.concat([
    head,
    ...arrays.map(([, t]) => tensorBytes(t)),
    new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength),
  ]);
}

function invalid(why: string): PrunefiError {
  return new PrunefiError('QUEUE', `the queued samples are malformed (${why}); re-run the coordinator`);
}

function parseHeader(text: string): Header {
  let h: unknown;
  try {
    h = JSON.parse(text);
  } catch {
    throw invalid('header is not JSON');
  }
  const o = h as Partial<Header>;
  if (!o || typeof o !== 'object' || (o.kind !== 'images' && o.kind !== 'feeds')) throw invalid('bad kind');
  if (!Array.isArray(o.arrays) || o.arrays.length === 0) throw invalid('no arrays');
  for (const a of o.arrays) {
    if (
      !a ||
      typeof a.name !== 'string' ||
      !DTYPES.includes(a.dtype) ||
      !Array.isArray(a.dims) ||
      !a.dims.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      !Number.isSafeInteger(a.bytes)
    ) {
      throw invalid('bad array entry');
    }
  }
  if (
    o.kind === 'images' &&
    (o.arrays.length !== 1 || o.arrays[0]!.name !== 'x' || o.arrays[0]!.dtype !== 'float32')
  )
    throw invalid('images must be one float32 array');
  if (!Number.isSafeInteger(o.labels) || (o.labels ?? -1) < 0) throw invalid('bad label count');
  return o as Header;
}

/** Decodes `encodeSamples` bytes, checking the header and every length. */
export function decodeSamples(bytes: Uint8Array): ImageInput | SampleInput {
  const magic = Buffer.from(MAGIC);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buf.subarray(0, magic.length).equals(magic)) throw invalid('no PRUNEFI-SAMPLES-1 magic');
  const nl = buf.indexOf(10, magic.length);
  if (nl < 0) throw invalid('no header');
  const header = parseHeader(buf.subarray(magic.length, nl).toString('utf8'));
  let at = nl + 1;
  const take = (n: number): Uint8Array => {
    if (at + n > buf.length) throw invalid('truncated');
    const part = buf.subarray(at, at + n);
    at += n;
    return part;
  };
  const tensors = header.arrays.map((a): [string, Tensor] => {
    try {
      return [a.name, tensorFromBytes(a.dtype, a.dims, take(a.bytes))];
    } catch (err) {
      if (err instanceof PrunefiError) throw err;
      throw invalid(`array ${a.name}: ${(err as Error).message}`);
    }
  });
  const raw = take(header.labels * 8);
  if (at !== buf.length) throw invalid('trailing bytes');
  const labels = new Float64Array(header.labels);
  new Uint8Array(labels.buffer).set(raw);
  if (!labels.every(Number.isInteger)) throw invalid('labels must be integers');
  const first = tensors[0]!;
  if (header.kind === 'images') {
    if (numel(first[1].dims) === 0) throw invalid('no images');
    return { x: first[1] as Tensor<'float32'>, labels };
  }
  return { feeds: new Map(tensors), labels };
}
