/** Helpers shared by the ONNX core and model zoo tests: deterministic inputs and bitwise output checks. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { Model } from '../../src/onnx/ir.js';
import { type Tensor, tensor } from '../../src/onnx/tensor.js';
import { createSession, type SessionOptions } from '../../src/runtime/session.js';
import { tempDir } from '../helpers/paths.js';

/** A fresh temporary folder, removed when test `t` ends (model copies run to tens of MB). */
export function scratchDir(t: TestContext): string {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A float32 NCHW input whose values x[i] = ((i·7919) mod 257)/64 − 2 are exact in float32, so the
 * PyTorch fixture generator (make-torch-reference.py) computes the very same tensor.
 */
export function patternInput(dims: readonly number[]): Tensor<'float32'> {
  const n = dims.reduce((a, d) => a * d, 1);
  return tensor(
    'float32',
    dims,
    Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 257) / 64 - 2),
  );
}

/**
 * Runs a model (or ONNX bytes) once, single-threaded, and returns its first output. Graph
 * optimizations default to off: they cost seconds per ResNet session (Conv+BatchNorm fusion,
 * layout transforms) and comparisons between two runs hold at any level as long as both use it.
 */
export async function runOnce(
  model: Model | Uint8Array,
  feeds: Record<string, Tensor>,
  optimization: SessionOptions['optimization'] = 'disabled',
): Promise<Tensor> {
  const session = await createSession(model, { threads: 1, optimization });
  try {
    const out = await session.run(feeds);
    return out[session.outputNames[0]!]!;
  } finally {
    await session.release();
  }
}

/** Asserts two float32 tensors are bit-identical (same dims, same 32-bit patterns). */
export function assertBitIdentical(actual: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(actual.dims, expected.dims, `${what}: dims`);
  const a = new Uint32Array(actual.data.buffer, actual.data.byteOffset, actual.data.length);
  const e = new Uint32Array(expected.data.buffer, expected.data.byteOffset, expected.data.length);
  for (let i = 0; i < e.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${what}: element ${i} differs: ${actual.data[i]} vs ${expected.data[i]}`);
  }
}
