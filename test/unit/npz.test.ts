import { describe, expect, it } from 'vitest';
import { decodeNpz, encodeNpz } from '../../electron/services/weights/npz.js';

describe('.npz weights', () => {
  const entries = [
    { name: 'dense/kernel', array: { shape: [2, 3], dtype: 'float32' as const, data: new Float32Array([1, 2, 3, 4, 5, 6]) } },
    { name: 'ids', array: { shape: [2], dtype: 'int32' as const, data: new Int32Array([7, -8]) } },
  ];

  it('read back from a Node Buffer that shares the allocation pool (a small file read into memory)', () => {
    // Buffer.from of a small array lands inside Node's shared pool, at a non-zero offset; Buffer's
    // own slice() shares that memory, so values used to be read from the wrong place in the pool.
    const pooled = Buffer.from(encodeNpz(entries));
    expect(pooled.byteOffset).toBeGreaterThan(0);
    const back = decodeNpz(pooled);
    expect(back.map((e) => e.name)).toEqual(['dense/kernel', 'ids']);
    expect([...back[0].array.data]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...back[1].array.data]).toEqual([7, -8]);
  });

  it('read back from a view into a larger buffer', () => {
    const bytes = encodeNpz(entries);
    const padded = new Uint8Array(bytes.length + 13);
    padded.set(bytes, 13);
    expect([...decodeNpz(padded.subarray(13))[0].array.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
