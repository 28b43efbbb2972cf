/**
 * Image resizing, one rule for the app and both exports: bilinear with half-pixel centres and no
 * antialiasing, exactly as `tf.image.resize(method="bilinear")` (what Keras's
 * `image_dataset_from_directory` runs) and tfjs's `resizeBilinear(x, size, false, true)` compute it,
 * in float32 arithmetic. The aspect ratio is not kept.
 *
 * This file imports nothing: the TypeScript export ships its source (layerloomData.ts).
 */

const f32 = Math.fround;

/** Source rows/columns and weights of one output axis (TensorFlow's compute_interpolation_weights). */
function axisWeights(inSize: number, outSize: number): { lower: Int32Array; upper: Int32Array; lerp: Float32Array } {
  const scale = f32(inSize / outSize);
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const at = f32(f32((i + 0.5) * scale) - 0.5);
    const floor = Math.floor(at);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(at), inSize - 1);
    lerp[i] = f32(at - floor);
  }
  return { lower, upper, lerp };
}

/**
 * Resizes a row-major `height × width × channels` image (any numeric array, e.g. decoded bytes) to
 * `outHeight × outWidth`, returning float32 values on the input's scale (0–255 stays 0–255).
 */
export function resizeBilinearHalfPixel(
  pixels: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  const out = new Float32Array(outHeight * outWidth * channels);
  const ys = axisWeights(height, outHeight);
  const xs = axisWeights(width, outWidth);
  for (let y = 0; y < outHeight; y++) {
    const top = ys.lower[y] * width;
    const bottom = ys.upper[y] * width;
    const dy = ys.lerp[y];
    for (let x = 0; x < outWidth; x++) {
      const left = xs.lower[x];
      const right = xs.upper[x];
      const dx = xs.lerp[x];
      const o = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) {
        const tl = pixels[(top + left) * channels + c];
        const tr = pixels[(top + right) * channels + c];
        const bl = pixels[(bottom + left) * channels + c];
        const br = pixels[(bottom + right) * channels + c];
        const t = f32(tl + f32(f32(tr - tl) * dx));
        const b = f32(bl + f32(f32(br - bl) * dx));
        out[o + c] = f32(t + f32(f32(b - t) * dy));
      }
    }
  }
  return out;
}

/**
 * Colour to grey as TensorFlow decodes a colour PNG with `channels=1` (libpng's rgb_to_gray):
 * `(9798 R + 19235 G + 3735 B) >> 15`, ITU-R BT.601 weights in 15-bit fixed point. Grey stays
 * grey (R = G = B gives back the same value). Applied after decoding to RGB everywhere, JPEG
 * included, so the app and both exports agree.
 */
export function rgbToGrey(rgb: ArrayLike<number>, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = (9798 * rgb[i * 3] + 19235 * rgb[i * 3 + 1] + 3735 * rgb[i * 3 + 2]) >> 15;
  return out;
}
