/**
 * Image class folders: listing, header checks and decoding with sharp (BMP through bmp.ts).
 * Decoding resizes and converts channels to what the model's Input block wants; see the
 * conventions in shared/training/dataset.ts.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { IMAGE_EXTENSIONS } from '../../../shared/training/dataset.js';
import { bmpInfo, decodeBmp } from './bmp.js';

// Many small files: libvips's operation cache would only hold memory, never hit.
sharp.cache(false);

/** True for a file name with an image extension Layerloom reads. */
export function isImageFile(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

/** Size and channels from the file header (fast: no pixel decoding). Throws for unreadable files. */
export async function imageHeader(path: string): Promise<{ width: number; height: number; channels: number }> {
  if (extname(path).toLowerCase() === '.bmp') {
    const fd = await readFile(path);
    return bmpInfo(fd);
  }
  const m = await sharp(path).metadata();
  if (!m.width || !m.height) throw new Error('no image size in the header');
  return { width: m.width, height: m.height, channels: m.channels ?? 3 };
}

/** Target of decoding: the Input block's height, width and channels. */
export interface ImageTarget {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
}

/**
 * Decodes one image into `height × width × channels` bytes (row-major, interleaved channels).
 * Throws with sharp's message for corrupt or truncated files.
 */
export async function decodeImage(path: string, target: ImageTarget): Promise<Uint8Array> {
  let img: Sharp;
  if (extname(path).toLowerCase() === '.bmp') {
    const raw = decodeBmp(await readFile(path));
    img = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  } else {
    // failOn 'error' (not the default 'warning'): a JPEG with a harmless warning still loads,
    // a truncated one fails and is reported.
    img = sharp(path, { failOn: 'error', pages: 1 });
  }
  if (target.channels === 1) img = img.removeAlpha().toColourspace('b-w');
  else if (target.channels === 3) img = img.removeAlpha().toColourspace('srgb');
  else img = img.ensureAlpha().toColourspace('srgb');
  // Keras resizes bilinearly without keeping the aspect ratio; `fill` + `linear` does the same.
  img = img.resize(target.width, target.height, { fit: 'fill', kernel: 'linear' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== target.channels || info.width !== target.width || info.height !== target.height) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${target.width}×${target.height}×${target.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A small PNG thumbnail as a data URL (for the dataset panel). */
export async function thumbnail(path: string, size = 64): Promise<string> {
  let img: Sharp;
  if (extname(path).toLowerCase() === '.bmp') {
    const raw = decodeBmp(await readFile(path));
    img = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  } else img = sharp(path, { pages: 1 });
  const png = await img.resize(size, size, { fit: 'inside', withoutEnlargement: false }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Runs `fn` over `items` with at most `limit` promises in flight, in order of start. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}
