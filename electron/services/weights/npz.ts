/**
 * NumPy `.npz` files: a zip archive (stored, not compressed) of `.npy` arrays, as `numpy.savez`
 * writes them. `np.load(path)` lists the arrays in archive order, which is what the Keras export's
 * `load_weights()` relies on (the arrays are written in `model.get_weights()` order).
 */

/** One array: row-major values and its shape. */
export interface NpyArray {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly data: Float32Array | Int32Array;
}

/** A named array of an archive (`name` without the `.npy` suffix). */
export interface NpzEntry {
  readonly name: string;
  readonly array: NpyArray;
}

const DESCR: Record<NpyArray['dtype'], string> = { float32: '<f4', int32: '<i4' };

/** Encodes one array in NPY format version 1.0 (little-endian, C order). */
export function encodeNpy(array: NpyArray): Uint8Array {
  const size = array.shape.reduce((a, b) => a * b, 1);
  if (size !== array.data.length) {
    throw new Error(`Array of shape (${array.shape.join(', ')}) needs ${size} values, got ${array.data.length}.`);
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${DESCR[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64
  // and ended by a newline, as numpy writes it.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + array.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays are in platform order; every platform Node runs on is little-endian.
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), total);
  return out;
}

/** Decodes an NPY v1/v2 array of float32 or int32 (little-endian, C order). */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new Error('Not an .npy array (bad magic).');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (fortran !== 'False' || shapeText === undefined) throw new Error(`Unsupported .npy header: ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const dataStart = start + headerLength;
  const size = shape.reduce((a, b) => a * b, 1);
  // A copy, aligned at offset 0 of its own buffer. Uint8Array's slice, not the argument's own: a
  // Node Buffer's slice() is a view into shared memory (Node's allocation pool for small reads).
  if (bytes.length < dataStart + size * 4) throw new Error(`Truncated .npy array: shape (${shape.join(', ')}) needs ${size * 4} bytes of data, the file has ${Math.max(0, bytes.length - dataStart)}.`);
  const raw = Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + size * 4);
  if (descr === '<f4') return { shape, dtype: 'float32', data: new Float32Array(raw.buffer, 0, size) };
  if (descr === '<i4') return { shape, dtype: 'int32', data: new Int32Array(raw.buffer, 0, size) };
  throw new Error(`Unsupported .npy dtype ${descr}: only float32 and int32 are read.`);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (zip's checksum). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Writes an `.npz` archive: each entry becomes `NAME.npy`, stored uncompressed, in the given order.
 * File times are fixed (1980-01-01), so the same arrays always give the same bytes. Without Zip64,
 * archives are limited to 4 GiB; a larger model is refused with a message.
 */
export function encodeNpz(entries: readonly NpzEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const { name, array } of entries) {
    if (seen.has(name)) throw new Error(`Two arrays are named "${name}"; names in an .npz must be unique.`);
    seen.add(name);
    const fileName = encoder.encode(`${name}.npy`);
    const data = encodeNpy(array);
    const crc = crc32(data);
    const local = new Uint8Array(30 + fileName.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint16(6, 0x0800, true); // UTF-8 names
    lv.setUint16(8, 0, true); // stored
    lv.setUint16(10, 0, true); // time 00:00
    lv.setUint16(12, 0x21, true); // date 1980-01-01
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, fileName.length, true);
    lv.setUint16(28, 0, true);
    local.set(fileName, 30);
    const central = new Uint8Array(46 + fileName.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true); // made by
    cv.setUint16(6, 20, true); // needed
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, 0, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, fileName.length, true);
    cv.setUint32(42, offset, true);
    central.set(fileName, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
    if (offset > 0xffffffff) throw new Error('The weights exceed 4 GiB, more than an .npz without Zip64 can hold.');
  }
  const centralSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + centralSize + end.length);
  let at = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Reads an `.npz` written without compression (numpy.savez or {@link encodeNpz}), in archive order.
 * Goes by the central directory, so streamed entries (sizes in a data descriptor) and Zip64
 * records, which numpy writes, are read too.
 */
export function decodeNpz(bytes: Uint8Array): NpzEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('Not an .npz archive: no zip directory at its end.');
  let count = view.getUint16(eocd + 10, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if ((count === 0xffff || dirOffset === 0xffffffff) && eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const zip64 = Number(view.getBigUint64(eocd - 12, true));
    count = Number(view.getBigUint64(zip64 + 32, true));
    dirOffset = Number(view.getBigUint64(zip64 + 48, true));
  }
  const entries: NpzEntry[] = [];
  let at = dirOffset;
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error('Corrupt .npz archive: bad zip directory entry.');
    const method = view.getUint16(at + 10, true);
    let size = view.getUint32(at + 20, true);
    let uncompressed = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // Zip64 extra field: the 0xFFFFFFFF values above, in this order, as 8-byte numbers.
    for (let e = at + 46 + nameLength; e < at + 46 + nameLength + extraLength; ) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let f = e + 4;
        if (uncompressed === 0xffffffff) {
          uncompressed = Number(view.getBigUint64(f, true));
          f += 8;
        }
        if (size === 0xffffffff) {
          size = Number(view.getBigUint64(f, true));
          f += 8;
        }
        if (local === 0xffffffff) local = Number(view.getBigUint64(f, true));
      }
      e += 4 + len;
    }
    if (method !== 0) throw new Error(`${name} is compressed (numpy.savez_compressed); only stored archives are read.`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    entries.push({ name: name.replace(/\.npy$/, ''), array: decodeNpy(bytes.subarray(dataStart, dataStart + size)) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
