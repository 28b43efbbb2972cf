/**
 * Renders the app and document icons from their SVG sources (assets/icons/icon.svg, document.svg)
 * into every file the installers need. Run after editing an SVG: `npm run icons`.
 *
 *   assets/icons/png/<n>x<n>.png   16…1024 (Linux icon set; electron-builder `linux.icon`)
 *   assets/icons/icon.png          1024×1024
 *   assets/icons/icon.ico          16…256 (Windows: exe, installer, taskbar)
 *   assets/icons/icon.icns         16…1024 incl. @2x (macOS app bundle)
 *   assets/icons/document.ico/.icns/.png   the `.layerloom` file icon
 *
 * Sizes of 48 px and below are drawn from a tighter crop without the elements marked
 * `class="detail"`, so they stay legible instead of shrinking the full drawing.
 * Uses sharp (already a dependency); ICO and ICNS containers are written here with PNG entries.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const root = decodeURIComponent(new URL('..', import.meta.url).pathname).replace(/^\/([A-Za-z]:)/, '$1');
const dir = join(root, 'assets', 'icons');

/** Every square size written to png/. */
const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
/** Sizes inside the .ico (256 is the largest Windows uses). */
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
/** ICNS entry types and their pixel sizes (PNG payloads). */
const ICNS_TYPES: readonly (readonly [string, number])[] = [
  ['icp4', 16],
  ['ic11', 32],
  ['icp5', 32],
  ['ic12', 64],
  ['icp6', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];

const SMALL = 48;

/** The SVG for small sizes: tighter viewBox, no fine detail. */
function smallVariant(svg: string): string {
  return svg
    .replace(/viewBox="0 0 1024 1024"/, 'viewBox="72 72 880 880"')
    .replace(/<g class="detail"[^>]*>[\s\S]*?<\/g>/g, '')
    .replace(/<[a-z]+ class="detail"[^>]*\/>/g, '');
}

async function render(svg: string, size: number): Promise<Buffer> {
  const source = size <= SMALL ? smallVariant(svg) : svg;
  // Render at 1024 (or more) and downscale: sharper than rasterising at the small size directly.
  const density = size > 1024 ? Math.ceil((72 * size) / 1024) : 72;
  return sharp(Buffer.from(source), { density })
    .resize(size, size, { kernel: 'lanczos3' })
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
}

/** An ICO file holding PNG images (supported since Windows Vista). */
function icoFile(images: readonly { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e); // 0 means 256
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt8(0, e + 2); // no palette
    header.writeUInt8(0, e + 3);
    header.writeUInt16LE(1, e + 4); // colour planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

/** An ICNS file holding PNG images. */
function icnsFile(entries: readonly { type: string; png: Buffer }[]): Buffer {
  const chunks = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

async function renderAll(svg: string): Promise<Map<number, Buffer>> {
  const sizes = new Set<number>([...PNG_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, s]) => s)]);
  const out = new Map<number, Buffer>();
  for (const size of [...sizes].sort((a, b) => a - b)) out.set(size, await render(svg, size));
  return out;
}

function get(pngs: Map<number, Buffer>, size: number): Buffer {
  const png = pngs.get(size);
  if (!png) throw new Error(`No ${size}px rendering.`);
  return png;
}

async function main(): Promise<void> {
  const app = await renderAll(await readFile(join(dir, 'icon.svg'), 'utf8'));
  await mkdir(join(dir, 'png'), { recursive: true });
  for (const size of PNG_SIZES) await writeFile(join(dir, 'png', `${size}x${size}.png`), get(app, size));
  await writeFile(join(dir, 'icon.png'), get(app, 1024));
  await writeFile(join(dir, 'icon.ico'), icoFile(ICO_SIZES.map((size) => ({ size, png: get(app, size) }))));
  await writeFile(join(dir, 'icon.icns'), icnsFile(ICNS_TYPES.map(([type, size]) => ({ type, png: get(app, size) }))));

  const doc = await renderAll(await readFile(join(dir, 'document.svg'), 'utf8'));
  await writeFile(join(dir, 'document.png'), get(doc, 512));
  await writeFile(join(dir, 'document.ico'), icoFile(ICO_SIZES.map((size) => ({ size, png: get(doc, size) }))));
  await writeFile(join(dir, 'document.icns'), icnsFile(ICNS_TYPES.map(([type, size]) => ({ type, png: get(doc, size) }))));
  console.log(`Icons written to ${dir}`);
}

main().catch((e: Error) => {
  console.error(`makeIcons: ${e.message}`);
  process.exit(1);
});
