/**
 * A small builder for ONNX graphs written in TypeScript: the model zoo, the autodiff of the
 * training engine and structured pruning all emit nodes through it, so value and node names stay
 * unique and the graph stays well formed (every node reads only values defined before it).
 *
 * Names follow PyTorch's exporter: a node called `/layer1/layer1.0/conv1/Conv` produces
 * `/layer1/layer1.0/conv1/Conv_output_0`, and a reused base name gets `_1`, `_2`, ... suffixes.
 * Models built here and models exported by PyTorch therefore look alike to every later stage.
 */
import { nth } from '../core/checked.js';
import { PrunefiError } from '../core/errors.js';
import { nameGenerator, topoSort } from './graph.js';
import type { Attribute, Dim, Graph, Model, Node } from './ir.js';
import type { DType, Tensor } from './tensor.js';

/** Options of `GraphBuilder.node`/`op`. */
export interface NodeOptions {
  /** Node name (made unique with a `_N` suffix when taken); default: the op type. */
  name?: string;
  /** Exact output names (must be unused), or how many outputs to name automatically (default 1). */
  outputs?: string[] | number;
  /** Operator domain; default '' (the standard ONNX domain). */
  domain?: string;
}

/** Options of `GraphBuilder.build`. */
export interface ModelOptions {
  /** Default-domain opset version; default 13 (what the shared PyTorch exports use). */
  opset?: number;
  /** ONNX IR version; default 8 (ONNX 1.10+, read by every ONNX Runtime since 1.10). */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** metadata_props entries, in insertion order. */
  metadata?: Record<string, string> | Map<string, string>;
  /** Further opset imports (custom domains). */
  extraOpsets?: { domain: string; version: number }[];
}

/**
 * Accumulates a graph. Create one for a new graph (`new GraphBuilder('lenet5')`) or wrap an
 * existing graph to append to it (`new GraphBuilder(model.graph)`, as autodiff does with a
 * forward graph); in the second case the graph is edited in place.
 */
export class GraphBuilder {
  readonly graph: Graph;
  private readonly unique: (base: string) => string;
  private readonly defined: Set<string>;

  constructor(graphOrName: Graph | string = 'main') {
    this.graph =
      typeof graphOrName === 'string'
        ? { name: graphOrName, nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: [] }
        : graphOrName;
    this.unique = nameGenerator(this.graph);
    this.defined = new Set([...this.graph.initializers.keys(), ...this.graph.inputs.map((v) => v.name)]);
    for (const n of this.graph.nodes) for (const o of n.outputs) if (o) this.defined.add(o);
  }

  /** A name not yet used for any value or node: `base`, else `base_1`, `base_2`, ... */
  fresh(base: string): string {
    return this.unique(base);
  }

  /** Reserves an exact name; a clash is a programming error in the caller. */
  private claim(name: string, what: string): string {
    if (name === '') throw new RangeError(`${what} name must not be empty`);
    const got = this.unique(name);
    if (got !== name)
      throw new RangeError(`${what} name '${name}' is already used in graph '${this.graph.name}'`);
    return name;
  }

  /** Declares a graph input; `shape` may use symbolic dims such as 'batch'. Returns its name. */
  input(name: string, elemType: DType, shape: Dim[]): string {
    this.claim(name, 'input');
    this.graph.inputs.push({ name, elemType, shape: [...shape] });
    this.defined.add(name);
    return name;
  }

  /** Adds a constant tensor under an exact name (PyTorch state_dict names for parameters). */
  initializer(name: string, tensor: Tensor): string {
    this.claim(name, 'initializer');
    this.graph.initializers.set(name, tensor);
    this.defined.add(name);
    return name;
  }

  /**
   * Appends a node and returns its output names. Inputs must already be defined (use '' for an
   * omitted optional input), so the node list stays in topological order by construction.
   */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, Attribute> = {},
    options: NodeOptions = {},
  ): string[] {
    for (const i of inputs) {
      if (i !== '' && !this.defined.has(i)) {
        throw new RangeError(
          `${opType} node reads '${i}', which no input, initializer or earlier node of graph '${this.graph.name}' defines`,
        );
      }
    }
    const name = this.unique(options.name ?? opType);
    const spec = options.outputs ?? 1;
    const outputs =
      typeof spec === 'number'
        ? Array.from({ length: spec }, (_, k) => this.unique(`${name}_output_${k}`))
        : spec.map((o) => this.claim(o, 'output'));
    const n: Node = { name, opType, domain: options.domain ?? '', inputs: [...inputs], outputs, attributes };
    this.graph.nodes.push(n);
    for (const o of outputs) this.defined.add(o);
    return outputs;
  }

  /** `node(...)` for the common single-output case: returns the one output name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, Attribute> = {},
    options: Omit<NodeOptions, 'outputs'> & { output?: string } = {},
  ): string {
    const { output, ...rest } = options;
    return nth(
      this.node(opType, inputs, attributes, {
        ...rest,
        outputs: output === undefined ? 1 : [output],
      }),
      0,
    );
  }

  /** Declares an already defined value as a graph output, with its type and (optional) shape. */
  output(name: string, elemType: DType, shape?: Dim[]): string {
    if (!this.defined.has(name)) {
      throw new RangeError(`graph output '${name}' is not defined in graph '${this.graph.name}'`);
    }
    this.graph.outputs.push(shape ? { name, elemType, shape: [...shape] } : { name, elemType });
    return name;
  }

  /**
   * Wraps the graph in a Model (ir_version 8, opset 13, producer 'prunefi' unless overridden).
   * The graph is checked first: a node reading an undefined value (possible only when a wrapped
   * graph was edited behind the builder's back) or a graph without outputs is an ONNX_INVALID error.
   */
  build(options: ModelOptions = {}): Model {
    if (this.graph.outputs.length === 0) {
      throw new PrunefiError(
        'ONNX_INVALID',
        `graph '${this.graph.name}' has no outputs; declare one with output()`,
      );
    }
    topoSort(this.graph);
    const metadata = options.metadata;
    return {
      irVersion: options.irVersion ?? 8,
      opsetImports: [{ domain: '', version: options.opset ?? 13 }, ...(options.extraOpsets ?? [])],
      producerName: options.producerName ?? 'prunefi',
      producerVersion: options.producerVersion ?? '',
      domain: '',
      modelVersion: 0,
      docString: options.docString ?? '',
      metadata: metadata instanceof Map ? new Map(metadata) : new Map(Object.entries(metadata ?? {})),
      graph: this.graph,
      functions: [],
    };
  }
}
