/**
 * Training checkpoints: one file holding the weights (parameters and running statistics), the
 * optimizer state, the position in the run (epoch, step in epoch, global step: the schedule,
 * shuffling and augmentation are pure functions of it and the seed) and a hash of the
 * configuration, so a resume with a different recipe is refused instead of silently diverging.
 * Layout: 'PFCKPT01', a uint32 header length, a JSON header, then little-endian float32 data.
 * Written atomically (temporary file + rename): an interrupted save never corrupts the last one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { atomicWrite } from '../core/atomic.js';
import { PrunefiError } from '../core/errors.js';
import type { OptimizerState } from './optim.js';

const MAGIC = 'PFCKPT01';

/** One epoch's summary in the run history. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss?: number;
  testAccuracy?: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Everything needed to continue a run bit-identically. */
export interface Checkpoint {
  configHash: string;
  /** Epoch to continue in (0-based) and the number of its steps already done. */
  epoch: number;
  step: number;
  globalStep: number;
  history: EpochRecord[];
  weights: Map<string, { dims: readonly number[]; data: Float32Array }>;
  optimizer: OptimizerState;
}

interface Header {
  format: string;
  configHash: string;
  epoch: number;
  step: number;
  globalStep: number;
  history: EpochRecord[];
  optimizer: { kind: string; step: number };
  tensors: { group: 'weight' | 'optimizer'; name: string; dims: number[]; length: number }[];
}

/** Writes a checkpoint atomically. */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  const tensors: Header['tensors'] = [];
  const blobs: Float32Array[] = [];
  for (const [name, w] of c.weights) {
    tensors.push({ group: 'weight', name, dims: [...w.dims], length: w.data.length });
    blobs.push(w.data);
  }
  for (const [name, b] of c.optimizer.buffers) {
    tensors.push({ group: 'optimizer', name, dims: [b.length], length: b.length });
    blobs.push(b);
  }
  const header: Header = {
    format: 'prunefi-train-checkpoint/1',
    configHash: c.configHash,
    epoch: c.epoch,
    step: c.step,
    globalStep: c.globalStep,
    history: c.history,
    optimizer: { kind: c.optimizer.kind, step: c.optimizer.step },
    tensors,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header so the float data starts 4-byte aligned.
  const pad = (4 - ((MAGIC.length + 4 + json.length) % 4)) % 4;
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length + pad);
  const parts: Uint8Array[] = [Buffer.from(MAGIC), len, json, Buffer.alloc(pad, 0x20)];
  for (const b of blobs) parts.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  atomicWrite(path, parts);
}

function bad(path: string, why: string): PrunefiError {
  return new PrunefiError(
    'CHECKPOINT',
    `${path} is not a usable prunefi training checkpoint: ${why}; pass a file written by 'prunefi train --checkpoint'`,
  );
}

/** Reads a checkpoint written by `saveCheckpoint`. */
export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) {
    throw new PrunefiError('CHECKPOINT', `checkpoint ${path} does not exist; check the --resume path`);
  }
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.subarray(0, 8).toString('latin1') !== MAGIC)
    throw bad(path, 'wrong magic bytes');
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw bad(path, 'truncated header');
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8')) as Header;
  } catch (err) {
    throw bad(path, `header is not JSON (${(err as Error).message})`);
  }
  if (header.format !== 'prunefi-train-checkpoint/1') throw bad(path, `unknown format '${header.format}'`);
  const total = header.tensors.reduce((s, t) => s + t.length, 0);
  if (buf.length !== 12 + hlen + total * 4)
    throw bad(path, `expected ${12 + hlen + total * 4} bytes, found ${buf.length}`);
  const data = new Float32Array(total);
  new Uint8Array(data.buffer).set(buf.subarray(12 + hlen));
  const weights = new Map<string, { dims: readonly number[]; data: Float32Array }>();
  const buffers = new Map<string, Float32Array>();
  let o = 0;
  for (const t of header.tensors) {
    const slice = data.slice(o, o + t.length);
    o += t.length;
    if (t.group === 'weight') weights.set(t.name, { dims: t.dims, data: slice });
    else buffers.set(t.name, slice);
  }
  return {
    configHash: header.configHash,
    epoch: header.epoch,
    step: header.step,
    globalStep: header.globalStep,
    history: header.history,
    weights,
    optimizer: { kind: header.optimizer.kind, step: header.optimizer.step, buffers },
  };
}
