/**
 * Loading and saving .onnx files, including external-data tensors (ONNX's convention for
 * models over 2 GB: tensor bytes in a side file next to the model, named by `location`).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { atomicWrite } from '../core/atomic.js';
import { PrunefiError } from '../core/errors.js';
import { checkAllocation } from '../core/limits.js';
import type { Model } from './ir.js';
import { decodeModel, type ExternalWriter, encodeModel } from './proto.js';

/**
 * Reads an ONNX model file. External-data tensors are read from their side files, resolved
 * relative to the model's folder (paths escaping that folder are refused, as onnx.load does).
 */
export function loadModel(path: string): Model {
  if (!existsSync(path)) {
    throw new PrunefiError(
      'MODEL_NOT_FOUND',
      `model file ${path} does not exist; pass an existing .onnx file or zoo:<name> (see 'prunefi models')`,
    );
  }
  if (statSync(path).isDirectory()) {
    throw new PrunefiError('MODEL_NOT_FOUND', `model path ${path} is a folder; pass a .onnx file inside it`);
  }
  const dir = dirname(resolve(path));
  const reader = (
    location: string,
    offset: number,
    length: number | undefined,
    tensor: string,
  ): Uint8Array => {
    const file = normalize(join(dir, location));
    // The separator matters: '../models2/x' from folder 'models' must not pass as inside it.
    if (isAbsolute(location) || !file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) {
      throw new PrunefiError(
        'ONNX_INVALID',
        `tensor '${tensor}' of ${path} points outside the model folder (${location}); move the data file next to the model`,
      );
    }
    if (!existsSync(file)) {
      throw new PrunefiError(
        'ONNX_INVALID',
        `external data file ${file} for tensor '${tensor}' of ${path} is missing; copy it next to the model`,
      );
    }
    const size = statSync(file).size;
    const len = length ?? size - offset;
    if (offset > size || offset + len > size) {
      throw new PrunefiError(
        'ONNX_INVALID',
        `external data file ${file} is too short for tensor '${tensor}' (needs bytes ${offset}..${offset + len}, has ${size}); it is truncated`,
      );
    }
    checkAllocation('ONNX_INVALID', len, `tensor '${tensor}' of ${path} (external data)`);
    const buf = new Uint8Array(len);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, len, offset);
    } finally {
      closeSync(fd);
    }
    return buf;
  };
  return decodeModel(readFileSync(path), path, reader);
}

/** Options for `saveModel`. */
export interface SaveOptions {
  /**
   * Store tensors of at least `threshold` bytes (default 1024) in a side file named `location`
   * (relative to the model's folder) instead of inline.
   */
  externalData?: { location: string; threshold?: number };
}

/**
 * Writes a model. The file appears atomically (written to a temporary name, then renamed), so
 * an interrupted save never leaves a truncated model where a good one was.
 */
export function saveModel(model: Model, path: string, options: SaveOptions = {}): void {
  const ext = options.externalData;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  let writer: ExternalWriter | undefined;
  if (ext) {
    if (isAbsolute(ext.location) || normalize(ext.location).startsWith('..')) {
      throw new RangeError(
        `externalData.location must be a path inside the model folder, got '${ext.location}'`,
      );
    }
    const threshold = ext.threshold ?? 1024;
    writer = (_name, bytes) => {
      if (bytes.byteLength < threshold) return undefined;
      // ONNX's own writer aligns tensors so they can be memory-mapped; do the same.
      const pad = (4096 - (offset % 4096)) % 4096;
      if (pad) chunks.push(new Uint8Array(pad));
      offset += pad;
      const entry = { location: ext.location, offset, length: bytes.byteLength };
      chunks.push(bytes);
      offset += bytes.byteLength;
      return entry;
    };
  }
  const bytes = encodeModel(model, writer);
  if (ext) atomicWrite(join(dirname(path), ext.location), chunks);
  atomicWrite(path, bytes);
}
