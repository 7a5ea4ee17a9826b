/**
 * Fault lists as JSON, so the same faults can be replayed later or in another tool and compared
 * outcome by outcome. Two formats are read: prunefi's own (`prunefi-fault-list`, version 1) and
 * the file written by `torch_baseline.py flips` (one float32 bit flip per experiment, given as
 * PyTorch parameter name = ONNX initializer name, flat index and bit).
 */
import { readFileSync } from 'node:fs';
import { atomicWrite } from '../core/atomic.js';
import { PrunefiError } from '../core/errors.js';
import type { Fault, StoredModel } from './memory.js';
import { floatBits } from './number-formats.js';
import type { RegionName } from './storage-formats.js';

/** What another tool measured for an experiment (torch_baseline.py's per-fault outcome). */
export interface ReferenceOutcome {
  sdc: number;
  accuracy: number;
  /** The fault-free value of the flipped weight, as that tool read it. */
  original?: number;
}

/** One experiment of a fault list. */
export interface FaultListExperiment {
  index: number;
  faults: Fault[];
  reference?: ReferenceOutcome;
}

/** A fault list: experiments, plus the memory layout the faults address. */
export interface FaultList {
  /** 'prunefi' or the tool that wrote it ('pytorch' for torch_baseline.py). */
  source: string;
  numberFormat: string;
  storage: string;
  experiments: FaultListExperiment[];
}

const REGIONS: readonly RegionName[] = ['values', 'scales', 'zero-points', 'col-index', 'row-ptr', 'mask'];

function bad(where: string, what: string): PrunefiError {
  return new PrunefiError('FAULT_LIST', `${where}: ${what}`);
}

function int(v: unknown, where: string, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw bad(where, `'${field}' must be an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function parseFault(v: unknown, where: string): Fault {
  if (!v || typeof v !== 'object')
    throw bad(where, `expected an object {tensor, index, bit}, got ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  if (typeof o.tensor !== 'string' || o.tensor === '')
    throw bad(where, `'tensor' must be a tensor name, got ${JSON.stringify(o.tensor)}`);
  const region = o.region ?? 'values';
  if (typeof region !== 'string' || !REGIONS.includes(region as RegionName)) {
    throw bad(where, `'region' must be one of ${REGIONS.join(', ')}, got ${JSON.stringify(o.region)}`);
  }
  const type = o.type ?? 'bit-flip';
  if (typeof type !== 'string')
    throw bad(where, `'type' must be a fault type name, got ${JSON.stringify(type)}`);
  const f: Fault = {
    tensor: o.tensor,
    region: region as RegionName,
    index: int(o.index, where, 'index'),
    bit: int(o.bit, where, 'bit'),
    type,
  };
  if (o.length !== undefined) f.length = int(o.length, where, 'length');
  return f;
}

/**
 * Parses a fault list from its JSON value (either format). Structural problems are FAULT_LIST
 * errors naming the entry; call `checkFaultList` to check the faults against a model.
 */
export function parseFaultList(json: unknown, source: string): FaultList {
  if (!json || typeof json !== 'object') throw bad(source, 'expected a JSON object');
  const o = json as Record<string, unknown>;
  if (Array.isArray(o.fault_list)) {
    return {
      source: 'pytorch',
      numberFormat: 'float32',
      storage: 'dense',
      experiments: o.fault_list.map((e: unknown, i: number) => {
        const where = `${source}: fault_list[${i}]`;
        const f = parseFault(e, where);
        const r = e as Record<string, unknown>;
        const x: FaultListExperiment = { index: i, faults: [f] };
        if (typeof r.sdc === 'number' && typeof r.accuracy === 'number') {
          x.reference = { sdc: r.sdc, accuracy: r.accuracy };
          if (typeof r.original === 'number') x.reference.original = r.original;
        }
        return x;
      }),
    };
  }
  if (o.format !== 'prunefi-fault-list') {
    throw bad(
      source,
      `not a fault list: expected "format": "prunefi-fault-list" or a torch_baseline.py 'fault_list' array, got keys ${Object.keys(o).slice(0, 6).join(', ')}`,
    );
  }
  if (o.version !== 1)
    throw bad(
      source,
      `unsupported fault list version ${JSON.stringify(o.version)} (this prunefi reads version 1)`,
    );
  if (!Array.isArray(o.experiments)) throw bad(source, `'experiments' must be an array`);
  const numberFormat = typeof o.numberFormat === 'string' ? o.numberFormat : 'float32';
  const storage = typeof o.storage === 'string' ? o.storage : 'dense';
  return {
    source: 'prunefi',
    numberFormat,
    storage,
    experiments: o.experiments.map((e: unknown, i: number) => {
      const where = `${source}: experiments[${i}]`;
      if (!e || typeof e !== 'object' || !Array.isArray((e as Record<string, unknown>).faults)) {
        throw bad(where, `expected {index, faults: [...]}`);
      }
      const r = e as Record<string, unknown>;
      return {
        index: r.index === undefined ? i : int(r.index, where, 'index'),
        faults: (r.faults as unknown[]).map((f, j) => parseFault(f, `${where}.faults[${j}]`)),
      };
    }),
  };
}

/** Reads a fault list file (either format). */
export function readFaultList(path: string): FaultList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PrunefiError('FAULT_LIST', `cannot read fault list ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PrunefiError('FAULT_LIST', `fault list ${path} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseFaultList(json, path);
}

/**
 * Checks every fault against a stored model: the memory layout must match the list's, tensors
 * must exist, indices and bits must be in range, and (for torch_baseline.py lists) the original
 * value the other tool flipped must equal this model's, bit for bit.
 */
export function checkFaultList(list: FaultList, model: StoredModel): void {
  if (list.numberFormat !== model.numberFormat.name || list.storage !== model.storage.name) {
    throw new PrunefiError(
      'FAULT_LIST',
      `the fault list addresses ${list.numberFormat}/${list.storage} memory but the model is stored as ${model.numberFormat.name}/${model.storage.name}; pass --number-format ${list.numberFormat} --storage ${list.storage}`,
    );
  }
  for (const e of list.experiments) {
    model.validate(e.faults, `experiment ${e.index}`);
    const orig = e.reference?.original;
    const f = e.faults[0];
    if (orig !== undefined && f) {
      const g = model.tensor(f.tensor).golden[f.index]!;
      if (floatBits(g) !== floatBits(orig)) {
        throw new PrunefiError(
          'FAULT_LIST',
          `experiment ${e.index}: ${f.tensor}[${f.index}] is ${g} in this model but ${orig} in the fault list; the list was made for a different model (or BatchNorm was folded: replay PyTorch lists with --fold-bn=false)`,
        );
      }
    }
  }
}

/** The JSON value of a fault list in prunefi's format. */
export function faultListJson(list: Omit<FaultList, 'source'>): unknown {
  return {
    format: 'prunefi-fault-list',
    version: 1,
    numberFormat: list.numberFormat,
    storage: list.storage,
    experiments: list.experiments.map((e) => ({ index: e.index, faults: e.faults })),
  };
}

/** Writes a fault list file in prunefi's format (atomically). */
export function writeFaultList(path: string, list: Omit<FaultList, 'source'>): void {
  atomicWrite(path, `${JSON.stringify(faultListJson(list), null, 1)}\n`);
}
