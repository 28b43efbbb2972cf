/**
 * Image class folders: listing, header checks and decoding with sharp (BMP through bmp.ts).
 * Decoding resizes and converts channels to what the model's Input block wants; see the
 * conventions in shared/training/dataset.ts.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { IMAGE_EXTENSIONS } from '../../../shared/training/dataset.js';
import { resizeBilinearHalfPixel, rgbToGrey } from '../../../shared/training/resize.js';
import { bmpInfo, decodeBmp } from './bmp.js';
import { fileTypeName } from './csv.js';

// Many small files: libvips's operation cache would only hold memory, never hit.
sharp.cache(false);

/** True for a file name with an image extension Layerloom reads. */
export function isImageFile(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

/** Why an image file cannot be used: `code` for the report, `message` in words. */
export class ImageFileError extends Error {
  constructor(
    readonly code: 'unreadable' | 'empty' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'ImageFileError';
  }
}

/** Longest wait for one image file's bytes (a drive that stopped answering). */
const READ_TIMEOUT_MS = 30_000;

/**
 * Reads an image file's bytes. Opens it non-blocking and checks it is a regular file before
 * reading (a named pipe would block a thread forever), and gives up on a read that stalls.
 * Fails with an ImageFileError whose message names the file system's own error code.
 */
export async function readImageFile(path: string, timeoutMs = READ_TIMEOUT_MS): Promise<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ImageFileError('unreadable', `reading stalled for over ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([readChecked(path), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

async function readChecked(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'ENOENT' ? 'the file is gone' : err.message;
    throw new ImageFileError('unreadable', `cannot be read (${err.code ?? 'error'}: ${what})`);
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new ImageFileError('unreadable', `${fileTypeName(s)}, not a regular file`);
    if (s.size === 0) throw new ImageFileError('empty', 'empty file (0 bytes)');
    try {
      return await handle.readFile();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new ImageFileError('unreadable', `cannot be read (${err.code ?? 'error'}: ${err.message})`);
    }
  } finally {
    await handle.close();
  }
}

/**
 * A decoder's error as one clean line. libvips keeps one error buffer for the whole process, so
 * the text of a failure can repeat lines or carry another file's message; callers that need a
 * file's own reason re-run it alone (see {@link imageHeaderAlone}).
 */
export function decoderMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  let out = '';
  for (const piece of text.split('\n').map((l) => l.trim())) {
    // libvips appends each error line again for every caller: keep a line only once.
    if (piece && !out.includes(piece)) out = out ? `${out}; ${piece}` : piece;
  }
  // libvips says "Unknown error" when a file's pixel data stops early (its header is whole).
  if (out === '' || /^unknown error$/i.test(out)) return 'the pixel data is damaged or cut short (the header reads fine; the decoder gave no reason)';
  return out.endsWith(':') ? `${out} no details from the decoder (the file is probably truncated or not the format its name says)` : out;
}

/** Size and channels from the file header (fast: no pixel decoding). Throws ImageFileError. */
export async function imageHeader(path: string): Promise<{ width: number; height: number; channels: number }> {
  const buf = await readImageFile(path);
  try {
    if (extname(path).toLowerCase() === '.bmp') return bmpInfo(buf);
    const m = await sharp(buf).metadata();
    if (!m.width || !m.height) throw new Error('no image size in the header');
    return { width: m.width, height: m.height, channels: m.channels ?? 3 };
  } catch (e) {
    throw new ImageFileError('corrupt', `corrupt or not really an image: ${decoderMessage(e)}`);
  }
}

let alone: Promise<unknown> = Promise.resolve();

/** Runs `fn` with no other call of this function in flight, so its decoder error is its own. */
export function runAlone<T>(fn: () => Promise<T>): Promise<T> {
  const run = alone.then(fn, fn);
  alone = run.catch(() => undefined);
  return run;
}

/** {@link imageHeader} run alone: a failure's message is this file's, not a neighbour's. */
export function imageHeaderAlone(path: string): Promise<{ width: number; height: number; channels: number }> {
  return runAlone(() => imageHeader(path));
}

/** Target of decoding: the Input block's height, width and channels. */
export interface ImageTarget {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
}

/**
 * Decodes one image to `height × width × channels` values 0–255 (row-major, interleaved channels):
 * the bytes themselves when the image already has the target size, else float32 values resized by
 * {@link resizeBilinearHalfPixel} (the rule of tf.image.resize, shared with the exports).
 * Throws with the decoder's message for corrupt or truncated files.
 */
export async function decodeImage(path: string, target: ImageTarget): Promise<Uint8Array | Float32Array> {
  return decodeImageBytes(await readImageFile(path), extname(path).toLowerCase() === '.bmp', target);
}

/** {@link decodeImage} of bytes already read (`bmp`: they are a BMP file, which libvips cannot read). */
export async function decodeImageBytes(buf: Buffer, bmp: boolean, target: ImageTarget): Promise<Uint8Array | Float32Array> {
  let img: Sharp;
  if (bmp) {
    const raw = decodeBmp(buf);
    img = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  } else {
    // failOn 'error' (not the default 'warning'): a JPEG with a harmless warning still loads,
    // a truncated one fails and is reported.
    img = sharp(buf, { failOn: 'error', pages: 1 });
  }
  // Grey comes from RGB by TensorFlow's rule (rgbToGrey), not libvips's b-w conversion, which
  // differs by up to 26 levels on colour images.
  if (target.channels === 4) img = img.ensureAlpha().toColourspace('srgb');
  else img = img.removeAlpha().toColourspace('srgb');
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  const decoded = target.channels === 1 ? 3 : target.channels;
  if (info.channels !== decoded) throw new Error(`decoded to ${info.channels} channel(s), expected ${decoded}`);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const pixels = target.channels === 1 ? rgbToGrey(bytes, info.width * info.height) : bytes;
  if (info.width === target.width && info.height === target.height) return pixels;
  // Resized here, not by libvips: its bilinear kernel does not sample at half-pixel centres as
  // tf.image.resize (Keras) and tfjs's resizeBilinear(…, halfPixelCenters) do.
  return resizeBilinearHalfPixel(pixels, info.height, info.width, target.channels, target.height, target.width);
}

/** A small PNG thumbnail as a data URL (for the dataset panel). */
export async function thumbnail(path: string, size = 64): Promise<string> {
  let img: Sharp;
  const buf = await readImageFile(path);
  if (extname(path).toLowerCase() === '.bmp') {
    const raw = decodeBmp(buf);
    img = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  } else img = sharp(buf, { pages: 1 });
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
