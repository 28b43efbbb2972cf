/**
 * The shared data-preparation rules on their own (fast, no Python): the resize equals tfjs's
 * resizeBilinear with half-pixel centres (which calls the same rule as tf.image.resize), code point
 * order is Python's sorted() order, and the split keeps its documented guarantees. The parity with
 * the exports is proven in dataParity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { resizeBilinearHalfPixel } from '../../shared/training/resize.js';
import { compareCodePoints, seededRandom, stratifiedSplit } from '../../shared/training/split.js';

await tf.setBackend('cpu');

describe('shared data preparation', () => {
  it('resizes as tfjs resizeBilinear(…, alignCorners false, halfPixelCenters true), up and down', () => {
    const random = seededRandom(5);
    for (const [h, w, c, oh, ow] of [
      [11, 17, 3, 16, 20],
      [30, 40, 4, 16, 20],
      [9, 9, 1, 28, 28],
      [48, 64, 3, 7, 5],
      [28, 28, 1, 28, 28],
      [1, 1, 3, 4, 4],
    ]) {
      const pixels = Uint8Array.from({ length: h * w * c }, () => Math.floor(random() * 256));
      const ours = resizeBilinearHalfPixel(pixels, h, w, c, oh, ow);
      const want = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(pixels, [h, w, c], 'float32'), [oh, ow], false, true).dataSync());
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(ours[i] - want[i]));
      // tfjs's pure-JS kernel rounds its coordinates in float64 (up to 5e-4 of 255 apart); against
      // TensorFlow's own kernel (tf.image.resize, tfjs-node) dataParity.test.ts measures 0.
      expect(worst, `${h}×${w}×${c} → ${oh}×${ow}`).toBeLessThanOrEqual(1e-3);
    }
  });

  it('orders strings by code point, as Python sorts them (not by UTF-16 unit)', () => {
    const names = ['b', 'a', '\u{1F600}', '\uFF21', 'A', 'é', ''];
    // U+FF21 (one UTF-16 unit) sorts before U+1F600 (a surrogate pair) by code point.
    expect([...names].sort(compareCodePoints)).toEqual(['', 'A', 'a', 'b', 'é', '\uFF21', '\u{1F600}']);
    expect([...names].sort()).not.toEqual([...names].sort(compareCodePoints));
  });

  it('splits per class, half-up rounding as Math.round, at least one and never all of a class', () => {
    const labels = [0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2];
    const { train, validation } = stratifiedSplit(labels.length, 0.5, 3, labels);
    const count = (ids: Int32Array, k: number) => Array.from(ids).filter((i) => labels[i] === k).length;
    // 5 × 0.5 = 2.5 → 3 (Python's round() would give 2); 2 × 0.5 = 1; 10 × 0.5 = 5.
    expect([count(validation, 0), count(validation, 1), count(validation, 2)]).toEqual([3, 1, 5]);
    expect(train.length + validation.length).toBe(labels.length);
    expect(Array.from(validation)).toEqual(Array.from(validation).sort((a, b) => a - b));
    expect(Array.from(stratifiedSplit(labels.length, 0.5, 3, labels).validation)).toEqual(Array.from(validation));
  });
});
