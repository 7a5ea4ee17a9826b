/**
 * The in-memory ONNX graph IR. It mirrors ONNX's ModelProto closely enough that
 * save(load(file)) is lossless for everything prunefi touches, but holds initializers as typed
 * arrays and attributes as tagged values so passes can edit graphs without protobuf details.
 */
import { PrunefiError } from '../core/errors.js';
import type { DType, Tensor } from './tensor.js';

/** A dimension: a fixed size, a symbolic name (like 'N'), or unknown. */
export type Dim = number | string | null;

/** Element type and (optional) shape of a graph value. */
export interface ValueInfo {
  name: string;
  elemType: DType;
  /** Absent when the model does not declare a shape. */
  shape?: Dim[];
  docString?: string;
}

/** Attribute values, tagged with their ONNX attribute type. */
export type Attribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  /** Attribute kinds prunefi never edits (sparse tensors, type protos): kept as decoded protobuf. */
  | { type: 'opaque'; value: unknown };

/** One operator application. Empty strings in `inputs` mark omitted optional inputs. */
export interface Node {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
  docString?: string;
}

/** A computation graph; `nodes` are kept in topological order. */
export interface Graph {
  name: string;
  nodes: Node[];
  /** Constant tensors by name, in file order. */
  initializers: Map<string, Tensor>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Shapes of intermediate values, when the file declares them. */
  valueInfo: ValueInfo[];
  docString?: string;
}

/** An operator set the model imports; domain '' is the default ONNX domain. */
export interface OpsetImport {
  domain: string;
  version: number;
}

/** A whole model file. */
export interface Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  /** metadata_props, in file order. prunefi records provenance (method, seed, parent hash) here. */
  metadata: Map<string, string>;
  graph: Graph;
  /** Model-local functions, passed through untouched. */
  functions: unknown[];
}

/** The default-domain opset version of a model (0 when it imports none). */
export function onnxOpset(model: Model): number {
  return model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

/** A new node with the given attributes (attribute helpers below keep call sites short). */
export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, Attribute> = {},
  name = '',
): Node {
  return { name, opType, domain: '', inputs, outputs, attributes };
}

/** An INT attribute. */
export const attrInt = (value: number): Attribute => ({ type: 'int', value });
/** A FLOAT attribute. */
export const attrFloat = (value: number): Attribute => ({ type: 'float', value });
/** An INTS attribute. */
export const attrInts = (value: number[]): Attribute => ({ type: 'ints', value });
/** A FLOATS attribute. */
export const attrFloats = (value: number[]): Attribute => ({ type: 'floats', value });
/** A STRING attribute. */
export const attrString = (value: string): Attribute => ({ type: 'string', value });
/** A TENSOR attribute. */
export const attrTensor = (value: Tensor): Attribute => ({ type: 'tensor', value });

/** A wrongly typed attribute comes from the file (a hand-edited or damaged model), not from code. */
function wrongAttribute(n: Node, name: string, type: string, expected: string): PrunefiError {
  return new PrunefiError(
    'ONNX_INVALID',
    `attribute '${name}' of node '${n.name}' (${n.opType}) is ${type}, expected ${expected}; the model file is malformed: export it again`,
  );
}

/** An INT attribute's value, or `fallback` when absent; a wrongly typed attribute is an error. */
export function getInt(n: Node, name: string, fallback: number): number {
  const a = n.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'int') throw wrongAttribute(n, name, a.type, 'int');
  return a.value;
}

/** A FLOAT attribute's value, or `fallback`. */
export function getFloat(n: Node, name: string, fallback: number): number {
  const a = n.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'float') throw wrongAttribute(n, name, a.type, 'float');
  return a.value;
}

/** An INTS attribute's value, or `fallback`. */
export function getInts(n: Node, name: string, fallback: number[]): number[] {
  const a = n.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'ints') throw wrongAttribute(n, name, a.type, 'ints');
  return a.value;
}

/** A STRING attribute's value, or `fallback`. */
export function getString(n: Node, name: string, fallback: string): string {
  const a = n.attributes[name];
  if (!a) return fallback;
  if (a.type !== 'string') throw wrongAttribute(n, name, a.type, 'string');
  return a.value;
}
