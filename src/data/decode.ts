/**
 * Decodes one JPEG or PNG file to 8-bit RGB planes (CHW), as torchvision's ImageFolder loader does
 * with PIL's `convert('RGB')`: grayscale is replicated to three channels and alpha is dropped.
 * Sequential and progressive JPEGs give PIL's pixels exactly (see jpeg.ts); the rare flavours it
 * leaves out (CMYK, arithmetic coding, 12-bit) go through jpeg-js.
 * Runs in decode workers as well as on the main thread, so it imports nothing heavy.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { checkAllocation, memoryLimit } from '../core/limits.js';
import { decodeJpeg } from './jpeg.js';

/** A decoded image: `data` holds 3 planes of height × width bytes (R, G, B). */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * Bumped whenever decoding can produce different pixels for the same file: it is part of every
 * cache key, so caches made by an older decoder are rebuilt rather than reused.
 */
export const DECODER_VERSION = 3;

/** File extensions treated as images, lower case. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png'];

/** True when a file name has an image extension. */
export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** RGBA (4 bytes per pixel, row-major) to RGB planes. */
function rgbaToPlanes(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(3 * n);
  for (let p = 0, q = 0; p < n; p++, q += 4) {
    out[p] = rgba[q]!;
    out[n + p] = rgba[q + 1]!;
    out[2 * n + p] = rgba[q + 2]!;
  }
  return out;
}

/**
 * Decodes one image by its content (the extension is not trusted). Throws a plain Error with the
 * decoder's explanation; callers wrap it with the file name.
 */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  if (isJpeg(bytes)) {
    // libjpeg-exact for the usual files; jpeg-js for the rare flavours jpeg.ts leaves out.
    const exact = decodeJpeg(bytes);
    if (exact) return exact;
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxMemoryUsageInMB: Math.floor(memoryLimit() / 2 ** 20),
    });
    return { width: img.width, height: img.height, data: rgbaToPlanes(img.data, img.width, img.height) };
  }
  if (isPng(bytes)) {
    // pngjs allocates by the IHDR's 32-bit width and height before inflating anything: up to
    // 8 bytes a pixel of inflated rows (16-bit RGBA), its 4-byte RGBA bitmap, and our 3 planes.
    if (bytes.length >= 24) {
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const pixels = v.getUint32(16) * v.getUint32(20);
      checkAllocation('DATA_DECODE', pixels * 15, `a ${v.getUint32(16)}×${v.getUint32(20)} PNG`);
    }
    const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: img.width, height: img.height, data: rgbaToPlanes(img.data, img.width, img.height) };
  }
  throw new Error('neither a JPEG nor a PNG file (unknown signature)');
}
