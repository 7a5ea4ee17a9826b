/**
 * Decodes many images into one uint8 NCHW buffer, on worker threads when there are enough images
 * to pay for them. Workers cost about 1 s of extra CPU in all (start-up, their own JIT warm-up,
 * copies), against ~0.12 ms per 32×32 JPEG: measured on the CIFAR-10 JPEGs with 2 vCPUs under
 * heavy load, 2 workers used 1.26× the CPU of one thread and lost; they only win when cores are
 * free. So the default uses them for large sets only, where the fixed cost is small.
 * Every image must have the size of the first: datasets are not resized.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PrunefiError } from '../core/errors.js';
import { checkAllocation } from '../core/limits.js';
import { decodeImage, type ImageChannels } from './decode.js';

/** One image to decode; `name` is how messages name it (path, or `archive: member`). */
export interface EncodedImage {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Images decoded into one buffer: count × channels × height × width. */
export interface DecodedImages {
  readonly width: number;
  readonly height: number;
  readonly images: Uint8Array;
}

/** Options of `decodeImages`. */
export interface DecodeOptions {
  /**
   * Decoding threads. Default: one per core (at most 4) when there are enough images to pay for
   * the workers, else the calling thread. 1 always decodes on the calling thread.
   */
  threads?: number;
  /** Planes per image: 3 (RGB, the default) or 1 (grey, PIL's `convert('L')`). */
  channels?: ImageChannels;
  onProgress?: (done: number, total: number) => void;
}

/** Message to a decode worker: a chunk of files concatenated, with n + 1 offsets. */
export interface ChunkRequest {
  id: number;
  bytes: Uint8Array;
  offsets: Uint32Array;
  channels: ImageChannels;
}

/** A worker's answer: planes of every image, or the first failure. */
export type ChunkResult =
  | { id: number; data: Uint8Array; widths: Uint32Array; heights: Uint32Array; error?: undefined }
  | { id: number; error: { index: number; message: string } };

const CHUNK = 256;
/** Below this many images the worker start-up costs more than it saves. */
const MIN_FOR_WORKERS = 20000;

function decodeError(name: string, message: string): PrunefiError {
  return new PrunefiError(
    'DATA_DECODE',
    `cannot decode image ${name}: ${message}; remove or replace the file (only JPEG and PNG are read)`,
  );
}

/** Collects planes into the output buffer, checking that every image has the first one's size. */
class Assembler {
  width = -1;
  height = -1;
  images: Uint8Array | undefined;

  constructor(
    private readonly items: readonly EncodedImage[],
    private readonly channels: ImageChannels,
  ) {}

  put(index: number, width: number, height: number, planes: Uint8Array): void {
    if (this.images === undefined) {
      this.width = width;
      this.height = height;
      const bytes = this.items.length * this.channels * width * height;
      checkAllocation('DATA_INVALID', bytes, `${this.items.length} images of ${width}×${height} pixels`);
      this.images = new Uint8Array(bytes);
    } else if (width !== this.width || height !== this.height) {
      throw new PrunefiError(
        'DATA_INVALID',
        `image ${this.items[index]!.name} is ${width}×${height} but the dataset's images are ${this.width}×${this.height}; prunefi does not resize: make all images the same size`,
      );
    }
    this.images.set(planes, index * planes.length);
  }

  result(): DecodedImages {
    return {
      width: Math.max(this.width, 0),
      height: Math.max(this.height, 0),
      images: this.images ?? new Uint8Array(0),
    };
  }
}

function decodeHere(
  items: readonly EncodedImage[],
  channels: ImageChannels,
  options: DecodeOptions,
): DecodedImages {
  const out = new Assembler(items, channels);
  for (let i = 0; i < items.length; i++) {
    let img: ReturnType<typeof decodeImage>;
    try {
      img = decodeImage(items[i]!.bytes, channels);
    } catch (err) {
      throw decodeError(items[i]!.name, (err as Error).message);
    }
    out.put(i, img.width, img.height, img.data);
    if ((i + 1) % CHUNK === 0 || i + 1 === items.length) options.onProgress?.(i + 1, items.length);
  }
  return out.result();
}

function chunkRequest(
  items: readonly EncodedImage[],
  start: number,
  id: number,
  channels: ImageChannels,
): ChunkRequest {
  const end = Math.min(items.length, start + CHUNK);
  const offsets = new Uint32Array(end - start + 1);
  for (let i = start; i < end; i++) offsets[i - start + 1] = offsets[i - start]! + items[i]!.bytes.length;
  const bytes = new Uint8Array(offsets[end - start]!);
  for (let i = start; i < end; i++) bytes.set(items[i]!.bytes, offsets[i - start]!);
  return { id, bytes, offsets, channels };
}

async function decodeInWorkers(
  items: readonly EncodedImage[],
  threads: number,
  channels: ImageChannels,
  options: DecodeOptions,
): Promise<DecodedImages> {
  const out = new Assembler(items, channels);
  const chunks = Math.ceil(items.length / CHUNK);
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      const feed = (w: Worker): void => {
        if (next >= chunks) return;
        const req = chunkRequest(items, next * CHUNK, next, channels);
        next++;
        w.postMessage(req, [req.bytes.buffer as ArrayBuffer, req.offsets.buffer as ArrayBuffer]);
      };
      for (let t = 0; t < Math.min(threads, chunks); t++) {
        const w = new Worker(new URL('./decode-worker.js', import.meta.url));
        workers.push(w);
        w.on('error', reject);
        w.on('message', (r: ChunkResult) => {
          try {
            const start = r.id * CHUNK;
            if (r.error) throw decodeError(items[start + r.error.index]!.name, r.error.message);
            let at = 0;
            for (let i = 0; i < r.widths.length; i++) {
              const len = channels * r.widths[i]! * r.heights[i]!;
              out.put(start + i, r.widths[i]!, r.heights[i]!, r.data.subarray(at, at + len));
              at += len;
            }
            done += r.widths.length;
            options.onProgress?.(done, items.length);
            if (++finished === chunks) resolve();
            else feed(w);
          } catch (err) {
            reject(err);
          }
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out.result();
}

/**
 * Decodes `items` in order into one NCHW uint8 buffer (`options.channels` planes each, default 3).
 * A file that fails to decode is a `PrunefiError('DATA_DECODE')` naming it; an image of another
 * size is `DATA_INVALID`.
 */
export async function decodeImages(
  items: readonly EncodedImage[],
  options: DecodeOptions = {},
): Promise<DecodedImages> {
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
  }
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${channels}`);
  const auto = items.length >= MIN_FOR_WORKERS ? Math.min(availableParallelism(), 4) : 1;
  const threads = options.threads ?? auto;
  if (threads === 1 || items.length === 0) return decodeHere(items, channels, options);
  return decodeInWorkers(items, threads, channels, options);
}
