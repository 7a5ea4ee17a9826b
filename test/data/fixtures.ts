/**
 * Builders of small dataset fixtures in temp folders: CIFAR-10 binary batches, IDX files, image
 * folders of PNG/JPEG files, and tar archives of them (made with the system `tar`, as users make
 * theirs). Pixel contents are seeded so every test knows the exact bytes it wrote.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { Rng } from '../../src/core/rng.js';

/** Random bytes from a seeded stream. */
export function randomBytes(n: number, seed: number | string): Uint8Array {
  const rng = Rng.seeded(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.u32() & 0xff;
  return out;
}

/** Writes a file, creating its folder. */
export function put(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** CIFAR-10 records: label byte then 3072 planar pixels each. Returns pixels (CHW) and labels. */
export function cifarRecords(
  count: number,
  seed: number,
): { bytes: Uint8Array; images: Uint8Array; labels: Uint8Array } {
  const images = randomBytes(count * 3072, seed);
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 7 + seed) % 10);
  const bytes = new Uint8Array(count * 3073);
  for (let i = 0; i < count; i++) {
    bytes[i * 3073] = labels[i]!;
    bytes.set(images.subarray(i * 3072, (i + 1) * 3072), i * 3073 + 1);
  }
  return { bytes, images, labels };
}

/** An IDX file of unsigned bytes with the given dims. */
export function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  const v = new DataView(head.buffer);
  dims.forEach((d, i) => {
    v.setUint32(4 + 4 * i, d);
  });
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

/** Writes an MNIST-style IDX folder; returns the pixels and labels written per split. */
export function makeIdxFolder(
  dir: string,
  opts: { gzip: boolean; train: number; test: number; side?: number },
): Record<'train' | 'test', { images: Uint8Array; labels: Uint8Array }> {
  const side = opts.side ?? 4;
  const out = {} as Record<'train' | 'test', { images: Uint8Array; labels: Uint8Array }>;
  for (const [split, prefix, n] of [
    ['train', 'train', opts.train],
    ['test', 't10k', opts.test],
  ] as const) {
    const images = randomBytes(n * side * side, `idx-${split}`);
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10);
    const z = (b: Uint8Array): Uint8Array => (opts.gzip ? gzipSync(b) : b);
    const ext = opts.gzip ? '.gz' : '';
    put(join(dir, `${prefix}-images-idx3-ubyte${ext}`), z(idxBytes([n, side, side], images)));
    put(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), z(idxBytes([n], labels)));
    out[split] = { images, labels };
  }
  return out;
}

/**
 * A PNG of the given planes (CHW): three planes make an RGB file, one plane an 8-bit greyscale
 * file (PNG colour type 0, as MNIST-style digit folders are stored).
 */
export function pngBytes(planes: Uint8Array, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  const n = width * height;
  const grey = planes.length === n;
  for (let p = 0; p < n; p++) {
    png.data[4 * p] = planes[p]!;
    png.data[4 * p + 1] = planes[grey ? p : n + p]!;
    png.data[4 * p + 2] = planes[grey ? p : 2 * n + p]!;
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png, grey ? { colorType: 0 } : {});
}

/** A JPEG (jpeg-js encoder) of the given RGB planes. */
export function jpegBytes(planes: Uint8Array, width: number, height: number, quality = 90): Uint8Array {
  const n = width * height;
  const rgba = Buffer.alloc(4 * n);
  for (let p = 0; p < n; p++) {
    rgba[4 * p] = planes[p]!;
    rgba[4 * p + 1] = planes[n + p]!;
    rgba[4 * p + 2] = planes[2 * n + p]!;
    rgba[4 * p + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width, height }, quality).data;
}

/** One image written by `makeImageFolder`. */
export interface WrittenImage {
  readonly path: string;
  readonly cls: string;
  readonly planes: Uint8Array;
}

/**
 * Writes PNG images `root/[split/]<class>/<name>.png` with seeded pixels. Names are given out of
 * order on purpose so the tests see the loader sort them.
 */
export function makeImageFolder(
  root: string,
  opts: { splits?: readonly string[]; classes: readonly string[]; perClass: number; side?: number },
): WrittenImage[] {
  const side = opts.side ?? 4;
  const written: WrittenImage[] = [];
  for (const split of opts.splits ?? ['']) {
    for (const cls of opts.classes) {
      for (let k = opts.perClass - 1; k >= 0; k--) {
        const rel = [split, cls, `${String(k).padStart(4, '0')}.png`].filter((s) => s !== '').join('/');
        const planes = randomBytes(3 * side * side, rel);
        put(join(root, rel), pngBytes(planes, side, side));
        written.push({ path: rel, cls, planes });
      }
    }
  }
  return written;
}

/** Packs `dir`'s contents (the given entries) into an archive with the system tar. */
export function tarDir(dir: string, archive: string, entries: readonly string[], format = 'ustar'): void {
  const z = archive.endsWith('gz') ? ['-z'] : [];
  mkdirSync(dirname(archive), { recursive: true });
  execFileSync('tar', ['-c', ...z, `--format=${format}`, '-f', archive, '-C', dir, ...entries]);
}
