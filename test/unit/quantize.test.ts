/**
 * Weight quantization equals the reference bit for bit: float16 bits equal numpy's
 * `astype(np.float16)` (IEEE round-to-nearest-even, subnormals, overflow), and uint8 bytes, scale
 * and min equal the TensorFlow.js converter's algorithm (tensorflowjs/quantization.py, written out
 * below in numpy because the converter package is not installable here). tfjs's own
 * `io.decodeWeights` then dequantizes them within half a step. One Python process for the file.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { float16Bits, quantizeValues, quantizeWeightData, uint8Range } from '../../shared/codegen/quantize.js';

/** Deterministic values with every case that matters: ties, subnormals, overflow, constant arrays. */
function cases(): Record<string, number[]> {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const f32 = (v: number) => Math.fround(v);
  const mixed = Array.from({ length: 500 }, () => f32(rand() * 0.3));
  return {
    mixed,
    positive: mixed.map((v) => f32(Math.abs(v) + 0.01)),
    negative: mixed.map((v) => f32(-Math.abs(v) - 0.5)),
    constant: [0.25, 0.25, 0.25],
    zeros: [0, 0, 0, 0],
    wide: [-3, 1e-3, 2.5, 0, 7.75, -0.001],
    halfEdges: [1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -26, 65504, 65520, 70000, -65519, 6.1e-5, 1e-8, -1e-8].map(f32),
  };
}

const PYTHON = `
import json, sys
import numpy as np
cases = json.load(sys.stdin)
def uint8(data):
    # The converter: min/max per weight; constant -> zeros, scale 1; else affine range nudged so 0 is exact.
    lo = data.min().astype(np.float64); hi = data.max().astype(np.float64)
    if lo == hi:
        return np.zeros_like(data, dtype=np.uint8), 1.0, float(lo)
    scale = (hi - lo) / 255
    if lo <= 0 <= hi:
        zero = np.round((0 - lo) / scale)
        lo = -zero * scale
        hi = 255 * scale + lo
    q = np.round((data.clip(lo, hi) - lo) / scale).astype(np.uint8)
    return q, float(scale), float(lo)
out = {}
for name, values in cases.items():
    a = np.array(values, dtype=np.float32)
    q, scale, lo = uint8(a) if np.all(np.isfinite(a)) else (None, None, None)
    out[name] = {
        'float16': a.astype(np.float16).view(np.uint16).tolist(),
        'uint8': None if q is None else {'bytes': q.tolist(), 'scale': scale, 'min': lo},
    }
print(json.dumps(out))
`;

const py = spawnSync('python3', ['-c', PYTHON], { input: JSON.stringify(cases()), encoding: 'utf8' });
const numpyMissing = py.status !== 0 && /No module named 'numpy'|ENOENT|not found/.test(`${py.stderr ?? ''}${String(py.error ?? '')}`);
const reference = py.status === 0 ? (JSON.parse(py.stdout) as Record<string, { float16: number[]; uint8: { bytes: number[]; scale: number; min: number } | null }>) : null;

describe.skipIf(numpyMissing)('quantization equals numpy and the tfjs converter (skipped: Python numpy is not installed)', () => {
  it('ran the reference', () => expect(py.status, py.stderr).toBe(0));

  for (const [name, values] of Object.entries(cases())) {
    it(`${name}: float16 bits equal numpy astype(float16)`, () => {
      expect(values.map(float16Bits)).toEqual(reference?.[name].float16);
    });
    const ref = reference?.[name].uint8;
    if (!ref) continue;
    it(`${name}: uint8 bytes, scale and min equal the converter's`, () => {
      const { bytes, quantization } = quantizeValues(Float32Array.from(values), 'uint8');
      expect([...bytes]).toEqual(ref.bytes);
      expect(quantization).toEqual({ dtype: 'uint8', scale: ref.scale, min: ref.min });
    });
  }
});

describe('float16 special values (JSON cannot carry them to the reference)', () => {
  it('keeps the sign of zero, infinities and NaN', () => {
    expect([-0, Infinity, -Infinity].map(float16Bits)).toEqual([0x8000, 0x7c00, 0xfc00]);
    expect(float16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float16Bits(NaN) & 0x3ff).not.toBe(0);
  });
});

describe('tfjs decodes the quantized weights', () => {
  const mixed = Float32Array.from(cases().mixed);
  const ints = Int32Array.from([1, -2, 3]);
  const specs = [
    { name: 'k', shape: [20, 25], dtype: 'float32' as const },
    { name: 'steps', shape: [3], dtype: 'int32' as const },
    { name: 'zero_bias', shape: [4], dtype: 'float32' as const },
  ];
  const raw = new Uint8Array(mixed.byteLength + ints.byteLength + 16);
  raw.set(new Uint8Array(mixed.buffer), 0);
  raw.set(new Uint8Array(ints.buffer), mixed.byteLength);

  it('uint8: within half a step of the float weight, zero exact, int32 untouched', () => {
    const q = quantizeWeightData(specs, raw, 'uint8');
    expect(q.data.byteLength).toBe(500 + 12 + 4);
    expect(q.entries[1]).toEqual(specs[1]);
    const decoded = tf.io.decodeWeights(q.data.buffer as ArrayBuffer, q.entries);
    const k = decoded.k.dataSync();
    const { scale } = uint8Range(mixed);
    // Rounding to the nearest step errs by at most scale/2; float32 storage of q·scale+min adds ~1 ulp.
    for (let i = 0; i < mixed.length; i++) expect(Math.abs(k[i] - mixed[i])).toBeLessThanOrEqual(scale / 2 + 1e-7);
    expect([...decoded.steps.dataSync()]).toEqual([1, -2, 3]);
    expect([...decoded.zero_bias.dataSync()]).toEqual([0, 0, 0, 0]);
    tf.dispose(Object.values(decoded));
  });

  it('float16: within half an ulp of binary16 (relative 2^-11), half the bytes', () => {
    const q = quantizeWeightData(specs, raw, 'float16');
    expect(q.data.byteLength).toBe(1000 + 12 + 8);
    expect((q.entries[0] as { quantization?: unknown }).quantization).toEqual({ dtype: 'float16' });
    const k = tf.io.decodeWeights(q.data.buffer as ArrayBuffer, q.entries).k.dataSync();
    for (let i = 0; i < mixed.length; i++) expect(Math.abs(k[i] - mixed[i])).toBeLessThanOrEqual(Math.max(Math.abs(mixed[i]) * 2 ** -11, 2 ** -25));
  });

  it('refuses weights that are already quantized, naming the weight', () => {
    const q = quantizeWeightData(specs, raw, 'float16');
    expect(() => quantizeWeightData(q.entries, q.data, 'uint8')).toThrow(/Weight k is already quantized \(float16\)/);
  });
});
