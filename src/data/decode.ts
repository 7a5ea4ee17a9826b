/**
 * Decodes one JPEG or PNG file to 8-bit planes (CHW), as torchvision's ImageFolder loader does with
 * PIL: RGB by `convert('RGB')` (grayscale is replicated to three channels, alpha is dropped), or
 * one grey plane by `convert('L')` for models that take one channel.
 * Sequential and progressive JPEGs give PIL's pixels exactly (see jpeg.ts); the rare flavours it
 * leaves out (CMYK, arithmetic coding, 12-bit) go through jpeg-js.
 * Runs in decode workers as well as on the main thread, so it imports nothing heavy.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { checkAllocation, memoryLimit } from '../core/limits.js';
import { decodeJpeg } from './jpeg.js';

/** How many planes an image decodes to: 1 (grey, PIL's `convert('L')`) or 3 (R, G, B). */
export type ImageChannels = 1 | 3;

/** A decoded image: `data` holds 1 or 3 planes of height × width bytes (grey, or R, G, B). */
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
 * RGB planes to one grey plane by ITU-R 601-2 luma in Pillow's fixed point (its `rgb2l`: weights
 * 19595, 38470 and 7471 of 65536, rounded), so the pixels are PIL's `convert('L')` exactly. The
 * weights sum to 65536, so an image that was grey before it was replicated to RGB comes back as it
 * was stored.
 */
export function rgbToGrey(rgb: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    out[p] =
      ((rgb[p] ?? 0) * 19595 + (rgb[pixels + p] ?? 0) * 38470 + (rgb[2 * pixels + p] ?? 0) * 7471 + 0x8000) >>
      16;
  }
  return out;
}

/**
 * Decodes one image by its content (the extension is not trusted) to `channels` planes. Throws a
 * plain Error with the decoder's explanation; callers wrap it with the file name.
 */
export function decodeImage(bytes: Uint8Array, channels: ImageChannels = 3): DecodedImage {
  const rgb = decodeRgb(bytes);
  return channels === 3 ? rgb : { ...rgb, data: rgbToGrey(rgb.data, rgb.width * rgb.height) };
}

function decodeRgb(bytes: Uint8Array): DecodedImage {
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
