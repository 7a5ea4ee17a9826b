/**
 * Worker side of the decode pool: decodes a chunk of images and sends back their planes (RGB, or grey).
 * Errors are sent back as data (the index and message) so the main thread can name the file.
 */
import { parentPort } from 'node:worker_threads';
import { decodeImage } from './decode.js';
import type { ChunkRequest, ChunkResult } from './decode-pool.js';

const port = parentPort;
if (!port) throw new Error('decode-worker must run in a worker thread');

port.on('message', (req: ChunkRequest) => {
  const n = req.offsets.length - 1;
  const planes: Uint8Array[] = [];
  const widths = new Uint32Array(n);
  const heights = new Uint32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    try {
      const img = decodeImage(req.bytes.subarray(req.offsets[i]!, req.offsets[i + 1]!), req.channels);
      planes.push(img.data);
      widths[i] = img.width;
      heights[i] = img.height;
      total += img.data.length;
    } catch (err) {
      const result: ChunkResult = { id: req.id, error: { index: i, message: (err as Error).message } };
      port.postMessage(result);
      return;
    }
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of planes) {
    data.set(p, at);
    at += p.length;
  }
  const result: ChunkResult = { id: req.id, data, widths, heights };
  port.postMessage(result, [
    data.buffer as ArrayBuffer,
    widths.buffer as ArrayBuffer,
    heights.buffer as ArrayBuffer,
  ]);
});
