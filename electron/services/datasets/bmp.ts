/**
 * A small BMP decoder. sharp's prebuilt libvips reads no BMP, so BMP files are decoded here into
 * raw pixels and handed to sharp for resizing. Covers what image tools write: uncompressed 1/4/8-bit
 * palette, 16/24/32-bit (BI_RGB and BI_BITFIELDS), bottom-up and top-down rows. RLE is refused
 * with a message.
 */

/** Decoded pixels, row-major, top row first. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  /** 3 (RGB) or 4 (RGBA, when the file has a real alpha channel). */
  readonly channels: 3 | 4;
  readonly data: Buffer;
}

/** A BMP the decoder cannot read; the message says why. */
export class BmpError extends Error {}

/** Reads only the header: size and whether it has alpha. */
export function bmpInfo(buf: Buffer): { width: number; height: number; channels: 3 | 4 } {
  const h = header(buf);
  return { width: h.width, height: h.height, channels: h.alpha ? 4 : 3 };
}

interface Header {
  width: number;
  height: number;
  topDown: boolean;
  bpp: number;
  compression: number;
  dataOffset: number;
  headerSize: number;
  masks: [number, number, number, number];
  alpha: boolean;
  paletteSize: number;
}

function header(buf: Buffer): Header {
  if (buf.length < 26 || buf.toString('latin1', 0, 2) !== 'BM') throw new BmpError('not a BMP file (no "BM" signature)');
  const dataOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  if (headerSize < 40) throw new BmpError(`old OS/2 BMP header (${headerSize} bytes) is not supported; re-save the image as PNG`);
  if (buf.length < 14 + headerSize) throw new BmpError('truncated header');
  const width = buf.readInt32LE(18);
  const rawHeight = buf.readInt32LE(22);
  const bpp = buf.readUInt16LE(28);
  const compression = buf.readUInt32LE(30);
  const colors = buf.readUInt32LE(46);
  if (width <= 0 || rawHeight === 0 || width > 65535 || Math.abs(rawHeight) > 65535) throw new BmpError(`invalid size ${width}×${rawHeight}`);
  if (compression === 1 || compression === 2) throw new BmpError('RLE-compressed BMP is not supported; re-save the image as PNG');
  if (compression !== 0 && compression !== 3 && compression !== 6) throw new BmpError(`unsupported BMP compression ${compression}; re-save the image as PNG`);
  let masks: [number, number, number, number] = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
  if (compression === 3 || compression === 6) {
    // Masks follow a 40-byte header, or sit inside a V4/V5 header at the same offsets.
    const at = 14 + 40;
    if (buf.length < at + 12) throw new BmpError('truncated bit masks');
    masks = [buf.readUInt32LE(at), buf.readUInt32LE(at + 4), buf.readUInt32LE(at + 8), headerSize >= 56 || compression === 6 ? buf.readUInt32LE(at + 12) : 0];
  } else if (bpp === 32 && headerSize >= 56) {
    masks = [0x00ff0000, 0x0000ff00, 0x000000ff, buf.readUInt32LE(14 + 52)];
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new BmpError(`unsupported ${bpp} bits per pixel`);
  return {
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bpp,
    compression,
    dataOffset,
    headerSize,
    masks,
    alpha: masks[3] !== 0,
    paletteSize: bpp <= 8 ? colors || 1 << bpp : 0,
  };
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Decodes a BMP file's pixels. */
export function decodeBmp(buf: Buffer): RawImage {
  const h = header(buf);
  const channels: 3 | 4 = h.alpha ? 4 : 3;
  const out = Buffer.alloc(h.width * h.height * channels);
  const stride = Math.floor((h.bpp * h.width + 31) / 32) * 4;
  if (h.dataOffset + stride * h.height > buf.length) throw new BmpError('the file is truncated (pixel data missing)');
  const palette = h.paletteSize ? 14 + h.headerSize : 0;
  const shifts = h.masks.map(maskShift);
  for (let y = 0; y < h.height; y++) {
    const row = h.dataOffset + (h.topDown ? y : h.height - 1 - y) * stride;
    for (let x = 0; x < h.width; x++) {
      const o = (y * h.width + x) * channels;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 255;
      if (h.bpp <= 8) {
        const bitPos = x * h.bpp;
        const byte = buf[row + (bitPos >> 3)];
        const idx = (byte >> (8 - h.bpp - (bitPos & 7))) & ((1 << h.bpp) - 1);
        const p = palette + idx * 4;
        if (idx < h.paletteSize && p + 2 < buf.length) {
          b = buf[p];
          g = buf[p + 1];
          r = buf[p + 2];
        }
      } else if (h.bpp === 24) {
        const p = row + x * 3;
        b = buf[p];
        g = buf[p + 1];
        r = buf[p + 2];
      } else {
        const v = h.bpp === 16 ? buf.readUInt16LE(row + x * 2) : buf.readUInt32LE(row + x * 4);
        const ch = shifts.map(({ shift, max }, i) => (max ? Math.round((((v & h.masks[i]) >>> 0) >>> shift) * (255 / max)) : 255));
        [r, g, b, a] = ch;
      }
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (channels === 4) out[o + 3] = a;
    }
  }
  return { width: h.width, height: h.height, channels, data: out };
}
