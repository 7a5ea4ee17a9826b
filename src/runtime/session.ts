/**
 * The one module that imports onnxruntime-node (as transformers.js confines its runtime to
 * backends/onnx.js). Everything else hands it prunefi tensors and an in-memory model.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { errorMessage, PrunefiError } from '../core/errors.js';
import type { Model } from '../onnx/ir.js';
import { encodeModel } from '../onnx/proto.js';
import type { DataTypeMap, DType, Tensor } from '../onnx/tensor.js';

/** Where sessions run. `cuda` needs onnxruntime-node installed with its CUDA binaries. */
export type Device = 'cpu' | 'cuda';

/** Options for `createSession`. */
export interface SessionOptions {
  /** Intra-op threads (default: one per CPU the process may use, `os.availableParallelism()`). */
  threads?: number;
  device?: Device;
  /** Graph optimization level (default 'all'). 'disabled' helps when comparing against naive math. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Write ONNX Runtime's per-op profile (a Chrome-trace JSON named `<prefix>_<date>.json` in the
   * working folder) when the session ends (`endProfiling`). For performance work only.
   */
  profile?: string;
  /** ONNX Runtime's memory-pattern planning (default true); an option so benchmarks can compare. */
  memoryPattern?: boolean;
  /**
   * ONNX Runtime's CPU memory arena (default true). Each session's arena keeps the peak of every
   * run it made and never returns it, so a process holding many sessions (a campaign's suffix
   * sessions) turns off the arena to free each run's buffers when the run ends.
   */
  memoryArena?: boolean;
}

/** The device names accepted by `--device`. */
export const DEVICES: readonly Device[] = ['cpu', 'cuda'];

/** Parses a `--device` value. */
export function parseDevice(value: string): Device {
  if (value === 'cpu' || value === 'cuda') return value;
  throw new PrunefiError('USAGE', `--device must be one of ${DEVICES.join(', ')}, got '${value}'`);
}

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
  // onnxruntime-node 1.30 rejects int4/uint4 tensors ("Tensor.type is not supported"): they go in
  // as the same integers in int8/uint8 (see `widenPackedInputs`).
  int4: 'int8',
  uint4: 'uint8',
};

/** The container onnxruntime-node takes a 4-bit input in: the same integers, one per byte. */
const WIDER: Partial<Record<DType, DType>> = { int4: 'int8', uint4: 'uint8' };

/**
 * The model with its int4/uint4 graph inputs declared int8/uint8, and the 4-bit initializers read
 * beside them (a DequantizeLinear's zero point must have its input's type) widened the same way:
 * what the graph computes is unchanged, since DequantizeLinear decodes (q - zero point) * scale
 * from the integers alone. Other models are returned as they are.
 */
function widenPackedInputs(model: Model): Model {
  const g = model.graph;
  const packed = new Set(g.inputs.filter((v) => WIDER[v.elemType]).map((v) => v.name));
  if (packed.size === 0) return model;
  const initializers = new Map(g.initializers);
  for (const n of g.nodes) {
    if (!n.inputs.some((i) => packed.has(i))) continue;
    for (const i of n.inputs) {
      const t = initializers.get(i);
      const wide = t && WIDER[t.dtype];
      if (wide) initializers.set(i, { dtype: wide, dims: t.dims, data: t.data });
    }
  }
  const inputs = g.inputs.map((v) =>
    packed.has(v.name) ? { ...v, elemType: WIDER[v.elemType] ?? v.elemType } : v,
  );
  return { ...model, graph: { ...g, inputs, initializers } };
}

function toOrt(name: string, t: Tensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type)
    throw new PrunefiError(
      'RUNTIME',
      `input '${name}' has dtype ${t.dtype}, which onnxruntime-node cannot take as a tensor`,
    );
  // int4/uint4 data is already one integer per byte (Int8Array/Uint8Array): fed as int8/uint8.
  return new ort.Tensor(type, t.data as ort.Tensor.DataTypeMap[typeof type], t.dims as number[]);
}

function fromOrt(t: ort.Tensor): Tensor {
  const dtype = t.type as DType;
  if (!(dtype in ORT_TYPES))
    throw new PrunefiError(
      'RUNTIME',
      `the runtime returned a ${t.type} tensor, which prunefi does not handle`,
    );
  return { dtype, dims: [...t.dims], data: t.data as DataTypeMap[DType] };
}

/** A loaded model ready to run. Call `release()` when done: sessions hold native memory. */
export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model. `outputs` restricts which outputs are computed (default: all). */
  run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>>;
  /** Stops profiling and writes the profile file (sessions created with `profile`). */
  endProfiling(): void;
  release(): Promise<void>;
}

/**
 * Creates a session from an in-memory model (serialized with its tensors inline) or ONNX bytes.
 * A failure to load is reported with the runtime's own explanation.
 */
export async function createSession(
  model: Model | Uint8Array,
  options: SessionOptions = {},
): Promise<Session> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(widenPackedInputs(model));
  const device = options.device ?? 'cpu';
  const so: ort.InferenceSession.SessionOptions = {
    executionProviders: device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    graphOptimizationLevel: options.optimization ?? 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    // Errors reach the caller as exceptions (wrapped below); the runtime's own log would print
    // them a second time, and a failed CUDA probe is expected on CPU-only installs.
    logSeverityLevel: device === 'cuda' ? 4 : 3,
  };
  if (options.profile !== undefined) {
    so.enableProfiling = true;
    so.profileFilePrefix = options.profile;
  }
  if (options.memoryPattern !== undefined) so.enableMemPattern = options.memoryPattern;
  if (options.memoryArena !== undefined) so.enableCpuMemArena = options.memoryArena;
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
    }
    so.intraOpNumThreads = options.threads;
  } else {
    // Not ONNX Runtime's own default (0): on the project's 2-core machines it ran every session on
    // one thread (quiet, ResNet18 training step at batch 32: 42.8 ms/img with ORT's default, 41.1
    // with 1 thread, 28.7 with 2).
    so.intraOpNumThreads = availableParallelism();
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, so);
  } catch (err) {
    const msg = errorMessage(err);
    if (device === 'cuda') {
      throw new PrunefiError(
        'DEVICE_UNAVAILABLE',
        `--device cuda failed: ${msg}. The CUDA execution provider needs onnxruntime-node installed with its CUDA binaries (npm install --onnxruntime-node-install=cuda) and a CUDA 12 driver; use --device cpu otherwise`,
        { cause: err },
      );
    }
    throw new PrunefiError('RUNTIME', `ONNX Runtime could not load the model: ${msg}`, { cause: err });
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, outputs) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(k, v);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = outputs ? await session.run(ortFeeds, outputs as string[]) : await session.run(ortFeeds);
      } catch (err) {
        throw new PrunefiError('RUNTIME', `ONNX Runtime failed to run the model: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      const out: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(result)) out[k] = fromOrt(v);
      return out;
    },
    endProfiling: () => session.endProfiling(),
    release: () => session.release(),
  };
}

/** The version of the ONNX Runtime in use (for reports and benchmark records). */
export function runtimeVersion(): string {
  return ort.env.versions.common ?? 'unknown';
}
