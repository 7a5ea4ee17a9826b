/**
 * ONNX protobuf <-> IR. Uses protobufjs with the official onnx.proto schema (vendored in
 * schema/, compiled to src/onnx/onnx-schema.ts). Only this module knows protobuf field names.
 */
import protobuf from 'protobufjs';
import { PrunefiError } from '../core/errors.js';
import type { Attribute, Graph, Model, Node, ValueInfo } from './ir.js';
import { ONNX_SCHEMA } from './onnx-schema.js';
import {
  type DType,
  dtypeSize,
  isPacked4,
  numel,
  type Tensor,
  tensorBytes,
  tensorFromBytes,
  unpackNibbles,
} from './tensor.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType('onnx.ModelProto');

// TensorProto.DataType numbers from onnx.proto.
const DTYPE_CODES: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
  uint4: 21,
  int4: 22,
};
const CODE_DTYPES = new Map<number, DType>(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k as DType]));
const ONNX_TYPE_NAMES: Record<number, string> = {
  8: 'string',
  14: 'complex64',
  15: 'complex128',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  23: 'float4e2m1',
};

/** The ONNX DataType number of a dtype. */
export function dtypeCode(dtype: DType): number {
  return DTYPE_CODES[dtype];
}

/** The dtype of an ONNX DataType number; unsupported types are a clear error naming `what`. */
export function dtypeFromCode(code: number, what: string): DType {
  const d = CODE_DTYPES.get(code);
  if (!d) {
    const name = ONNX_TYPE_NAMES[code] ?? `data type ${code}`;
    throw new PrunefiError(
      'ONNX_UNSUPPORTED',
      `${what} has element type ${name}, which prunefi does not support`,
    );
  }
  return d;
}

// Decoded protobuf messages are loosely typed; these interfaces name what we read.
type Long = { low: number; high: number; toNumber(): number };
type Int = number | Long;
interface StringEntry {
  key?: string;
  value?: string;
}
interface TensorP {
  dims?: Int[];
  data_type?: number;
  name?: string;
  doc_string?: string;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: Int[];
  double_data?: number[];
  uint64_data?: Int[];
  string_data?: Uint8Array[];
  external_data?: StringEntry[];
  data_location?: number;
  segment?: unknown;
}
interface AttrP {
  name?: string;
  type?: number;
  f?: number;
  i?: Int;
  s?: Uint8Array;
  t?: TensorP;
  g?: GraphP;
  floats?: number[];
  ints?: Int[];
  strings?: Uint8Array[];
  doc_string?: string;
  ref_attr_name?: string;
}
interface NodeP {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttrP[];
  doc_string?: string;
}
interface DimP {
  dim_value?: Int;
  dim_param?: string;
}
interface ValueInfoP {
  name?: string;
  doc_string?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: DimP[] } } };
}
interface GraphP {
  node?: NodeP[];
  name?: string;
  initializer?: TensorP[];
  sparse_initializer?: unknown[];
  doc_string?: string;
  input?: ValueInfoP[];
  output?: ValueInfoP[];
  value_info?: ValueInfoP[];
}
interface ModelP {
  ir_version?: Int;
  opset_import?: { domain?: string; version?: Int }[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int;
  doc_string?: string;
  graph?: GraphP;
  metadata_props?: StringEntry[];
  functions?: unknown[];
}

const toNum = (v: Int | undefined): number =>
  v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();
/** A 64-bit protobuf integer as a BigInt, exactly (toNum rounds beyond 2^53). */
const toBigInt = (v: Int, unsigned: boolean): bigint => {
  if (typeof v === 'number') return BigInt(v);
  const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits);
};
const utf8 = new TextDecoder();
const utf8e = new TextEncoder();

/** Reads the bytes of an external-data tensor; supplied by the file loader. */
export type ExternalReader = (
  location: string,
  offset: number,
  length: number | undefined,
  tensor: string,
) => Uint8Array;

function tensorFromProto(t: TensorP, readExternal: ExternalReader | undefined): Tensor {
  const name = t.name ?? '';
  const dtype = dtypeFromCode(t.data_type ?? 0, `tensor '${name}'`);
  const dims = (t.dims ?? []).map(toNum);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new PrunefiError(
      'ONNX_INVALID',
      `tensor '${name}' has dims [${dims.join(', ')}], which are not sizes (non-negative integers); the file is corrupt`,
    );
  }
  if (t.segment)
    throw new PrunefiError(
      'ONNX_UNSUPPORTED',
      `tensor '${name}' is segmented, which prunefi does not support`,
    );
  if (t.data_location === 1) {
    const ext = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = ext.get('location');
    if (!location || !readExternal) {
      throw new PrunefiError(
        'ONNX_INVALID',
        `tensor '${name}' stores its data externally${location ? ` in '${location}'` : ' with no location'}; load the model from its file so the data file can be found`,
      );
    }
    const length = ext.has('length') ? externalInt(ext, 'length', name) : undefined;
    const offset = ext.has('offset') ? externalInt(ext, 'offset', name) : 0;
    return rawTensor(name, dtype, dims, readExternal(location, offset, length, name));
  }
  if (t.raw_data && t.raw_data.byteLength > 0) return rawTensor(name, dtype, dims, t.raw_data);
  return tensorFromTypedFields(name, dtype, dims, t);
}

/** An external-data key that must be a byte count (ONNX writes them as decimal strings). */
function externalInt(ext: Map<string, string>, key: string, tensor: string): number {
  const text = ext.get(key) ?? '';
  const v = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(v)) {
    throw new PrunefiError(
      'ONNX_INVALID',
      `tensor '${tensor}' has external-data ${key} ${JSON.stringify(text)}, which is not a byte count; the file is corrupt`,
    );
  }
  return v;
}

/** A tensor from its raw little-endian bytes, whose length must be what the dims and type need. */
function rawTensor(name: string, dtype: DType, dims: number[], bytes: Uint8Array): Tensor {
  // int4 and uint4 are packed two elements per byte.
  const n = numel(dims);
  const need = isPacked4(dtype) ? Math.ceil(n / 2) : n * dtypeSize(dtype);
  if (bytes.byteLength !== need) {
    throw new PrunefiError(
      'ONNX_INVALID',
      `tensor '${name}' has ${bytes.byteLength} bytes of data but its dims [${dims.join(', ')}] (${dtype}) need ${need}; the file is corrupt`,
    );
  }
  return tensorFromBytes(dtype, dims, bytes);
}

function tensorFromTypedFields(name: string, dtype: DType, dims: number[], t: TensorP): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const check = (len: number): void => {
    if (len !== n) {
      throw new PrunefiError(
        'ONNX_INVALID',
        `tensor '${name}' has ${len} values but its dims [${dims.join(', ')}] need ${n}; the file is corrupt`,
      );
    }
  };
  switch (dtype) {
    case 'float32':
      check(t.float_data?.length ?? 0);
      return { dtype, dims, data: Float32Array.from(t.float_data ?? []) };
    case 'float64':
      check(t.double_data?.length ?? 0);
      return { dtype, dims, data: Float64Array.from(t.double_data ?? []) };
    case 'int64':
      check(t.int64_data?.length ?? 0);
      return { dtype, dims, data: BigInt64Array.from((t.int64_data ?? []).map((v) => toBigInt(v, false))) };
    case 'uint64':
    case 'uint32':
      check(t.uint64_data?.length ?? 0);
      if (dtype === 'uint32')
        return { dtype, dims, data: Uint32Array.from((t.uint64_data ?? []).map(toNum)) };
      return { dtype, dims, data: BigUint64Array.from((t.uint64_data ?? []).map((v) => toBigInt(v, true))) };
    case 'int4':
    case 'uint4': {
      // int32_data carries int4/uint4 packed two per entry, like raw_data (ONNX IR spec).
      const src = t.int32_data ?? [];
      check(src.length === Math.ceil(n / 2) ? n : src.length * 2);
      return { dtype, dims, data: unpackNibbles(dtype, src, n) } as Tensor;
    }
    default: {
      // int32_data carries every type of 32 bits or less, one element per entry (ONNX IR spec).
      const src = t.int32_data ?? [];
      check(src.length);
      const Ctor = {
        int32: Int32Array,
        int16: Int16Array,
        int8: Int8Array,
        uint16: Uint16Array,
        uint8: Uint8Array,
        bool: Uint8Array,
        float16: Uint16Array,
        bfloat16: Uint16Array,
      }[dtype];
      return { dtype, dims, data: Ctor.from(src) } as Tensor;
    }
  }
}

function attrFromProto(a: AttrP, readExternal: ExternalReader | undefined): Attribute {
  switch (a.type) {
    case 1:
      return { type: 'float', value: a.f ?? 0 };
    case 2:
      return { type: 'int', value: toNum(a.i) };
    case 3:
      // An absent bytes field reads as protobufjs's prototype default, an empty array, not bytes.
      return { type: 'string', value: a.s instanceof Uint8Array ? utf8.decode(a.s) : '' };
    case 4:
      return { type: 'tensor', value: tensorFromProto(a.t ?? {}, readExternal) };
    case 5:
      return { type: 'graph', value: graphFromProto(a.g ?? {}, readExternal) };
    case 6:
      return { type: 'floats', value: [...(a.floats ?? [])] };
    case 7:
      return { type: 'ints', value: (a.ints ?? []).map(toNum) };
    case 8:
      return { type: 'strings', value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    default:
      return { type: 'opaque', value: a };
  }
}

function valueInfoFromProto(v: ValueInfoP): ValueInfo {
  const name = v.name ?? '';
  const tt = v.type?.tensor_type;
  if (!tt)
    throw new PrunefiError(
      'ONNX_UNSUPPORTED',
      `graph value '${name}' is not a tensor; prunefi handles tensor models only`,
    );
  const info: ValueInfo = { name, elemType: dtypeFromCode(tt.elem_type ?? 0, `graph value '${name}'`) };
  if (tt.shape) {
    // protobufjs puts proto2 defaults on the prototype, so presence is an own property.
    info.shape = (tt.shape.dim ?? []).map((d) =>
      Object.hasOwn(d, 'dim_value')
        ? toNum(d.dim_value)
        : Object.hasOwn(d, 'dim_param')
          ? (d.dim_param ?? null)
          : null,
    );
  }
  if (v.doc_string) info.docString = v.doc_string;
  return info;
}

function graphFromProto(g: GraphP, readExternal: ExternalReader | undefined): Graph {
  if ((g.sparse_initializer ?? []).length > 0) {
    throw new PrunefiError(
      'ONNX_UNSUPPORTED',
      `graph '${g.name ?? ''}' has sparse initializers, which prunefi does not support`,
    );
  }
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', tensorFromProto(t, readExternal));
  const nodes: Node[] = (g.node ?? []).map((n) => {
    const attributes: Record<string, Attribute> = {};
    for (const a of n.attribute ?? []) attributes[a.name ?? ''] = attrFromProto(a, readExternal);
    const out: Node = {
      name: n.name ?? '',
      opType: n.op_type ?? '',
      domain: n.domain ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attributes,
    };
    if (n.doc_string) out.docString = n.doc_string;
    return out;
  });
  const graph: Graph = {
    name: g.name ?? '',
    nodes,
    initializers,
    inputs: (g.input ?? []).map(valueInfoFromProto),
    outputs: (g.output ?? []).map(valueInfoFromProto),
    valueInfo: (g.value_info ?? []).filter((v) => v.type?.tensor_type).map(valueInfoFromProto),
  };
  if (g.doc_string) graph.docString = g.doc_string;
  return graph;
}

/**
 * Decodes ONNX bytes into the IR. `source` names the file in error messages; `readExternal`
 * resolves external-data tensors (the file loader supplies it).
 */
export function decodeModel(bytes: Uint8Array, source: string, readExternal?: ExternalReader): Model {
  let m: ModelP;
  try {
    m = ModelProto.decode(bytes) as unknown as ModelP;
  } catch (err) {
    throw new PrunefiError(
      'ONNX_PARSE',
      `${source} is not a readable ONNX model (protobuf decoding failed: ${(err as Error).message}); check that the file is a complete .onnx export`,
      { cause: err },
    );
  }
  if (!m.graph || toNum(m.ir_version) <= 0 || (m.opset_import ?? []).length === 0) {
    throw new PrunefiError(
      'ONNX_PARSE',
      `${source} is not an ONNX model (no ${!m.graph ? 'graph' : toNum(m.ir_version) <= 0 ? 'IR version' : 'opset import'} found); pass a .onnx file exported by PyTorch, ONNX or prunefi`,
    );
  }
  return {
    irVersion: toNum(m.ir_version),
    opsetImports: (m.opset_import ?? []).map((o) => ({ domain: o.domain ?? '', version: toNum(o.version) })),
    producerName: m.producer_name ?? '',
    producerVersion: m.producer_version ?? '',
    domain: m.domain ?? '',
    modelVersion: toNum(m.model_version),
    docString: m.doc_string ?? '',
    metadata: new Map((m.metadata_props ?? []).map((e) => [e.key ?? '', e.value ?? ''])),
    graph: graphFromProto(m.graph, readExternal),
    functions: m.functions ?? [],
  };
}

/** Decides where a tensor's bytes go when saving: inline (undefined) or an external entry. */
export type ExternalWriter = (
  name: string,
  bytes: Uint8Array,
) => { location: string; offset: number; length: number } | undefined;

function tensorToProto(name: string, t: Tensor, writeExternal: ExternalWriter | undefined): TensorP {
  const bytes = tensorBytes(t);
  const p: TensorP = { dims: [...t.dims], data_type: DTYPE_CODES[t.dtype], name };
  const ext = writeExternal?.(name, bytes);
  if (ext) {
    p.data_location = 1;
    p.external_data = [
      { key: 'location', value: ext.location },
      { key: 'offset', value: String(ext.offset) },
      { key: 'length', value: String(ext.length) },
    ];
  } else {
    p.raw_data = bytes;
  }
  return p;
}

function attrToProto(name: string, a: Attribute, writeExternal: ExternalWriter | undefined): AttrP {
  switch (a.type) {
    case 'float':
      return { name, type: 1, f: a.value };
    case 'int':
      return { name, type: 2, i: a.value };
    case 'string':
      return { name, type: 3, s: utf8e.encode(a.value) };
    case 'tensor':
      return { name, type: 4, t: tensorToProto('', a.value, undefined) };
    case 'graph':
      return { name, type: 5, g: graphToProto(a.value, writeExternal) };
    case 'floats':
      return { name, type: 6, floats: a.value };
    case 'ints':
      return { name, type: 7, ints: a.value };
    case 'strings':
      return { name, type: 8, strings: a.value.map((s) => utf8e.encode(s)) };
    case 'opaque':
      return a.value as AttrP;
  }
}

function valueInfoToProto(v: ValueInfo): ValueInfoP {
  const tensorType: { elem_type: number; shape?: { dim: DimP[] } } = { elem_type: DTYPE_CODES[v.elemType] };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) =>
        typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {},
      ),
    };
  }
  const p: ValueInfoP = { name: v.name, type: { tensor_type: tensorType } };
  if (v.docString) p.doc_string = v.docString;
  return p;
}

function graphToProto(g: Graph, writeExternal: ExternalWriter | undefined): GraphP {
  const p: GraphP = {
    name: g.name,
    node: g.nodes.map((n) => {
      const np: NodeP = {
        input: n.inputs,
        output: n.outputs,
        name: n.name,
        op_type: n.opType,
        attribute: Object.entries(n.attributes).map(([k, a]) => attrToProto(k, a, writeExternal)),
      };
      if (n.domain) np.domain = n.domain;
      if (n.docString) np.doc_string = n.docString;
      return np;
    }),
    initializer: [...g.initializers].map(([name, t]) => tensorToProto(name, t, writeExternal)),
    input: g.inputs.map(valueInfoToProto),
    output: g.outputs.map(valueInfoToProto),
    value_info: g.valueInfo.map(valueInfoToProto),
  };
  if (g.docString) p.doc_string = g.docString;
  return p;
}

/** Encodes the IR as ONNX bytes; `writeExternal` may move large tensors to a side file. */
export function encodeModel(model: Model, writeExternal?: ExternalWriter): Uint8Array {
  const m: ModelP = {
    ir_version: model.irVersion,
    opset_import: model.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    producer_name: model.producerName,
    producer_version: model.producerVersion,
    domain: model.domain,
    model_version: model.modelVersion,
    doc_string: model.docString,
    graph: graphToProto(model.graph, writeExternal),
    metadata_props: [...model.metadata].map(([key, value]) => ({ key, value })),
    functions: model.functions,
  };
  return ModelProto.encode(m as unknown as protobuf.Message).finish();
}
