/**
 * What the Explain panel draws for text models and attention blocks, as plain data (no DOM): the
 * tokens coloured by their attribution, and each attention head's query × key matrix cut to the
 * text's own tokens (padding hidden unless asked for).
 */
import type { ExplainAttention } from '../../shared/explain/protocol.js';

/** One token of the explained text and how much it pushes towards (+) or away from (−) the class. */
export interface TokenChip {
  readonly position: number;
  readonly token: string;
  readonly score: number;
  /** score / the largest |score| of the text: −1 … 1. */
  readonly weight: number;
  /** Background colour: orange towards the class, blue away from it, stronger with |weight|. */
  readonly colour: string;
}

/** The tokens (padding left out) with their attribution scores, scaled and coloured. */
export function tokenChips(tokens: readonly string[], scores: readonly number[]): TokenChip[] {
  const shown = tokens.map((token, position) => ({ token, position, score: scores[position] ?? 0 })).filter((t) => t.token !== '');
  const peak = Math.max(0, ...shown.map((t) => Math.abs(t.score)));
  return shown.map((t) => {
    const weight = peak > 0 ? t.score / peak : 0;
    const alpha = (0.85 * Math.abs(weight)).toFixed(3);
    return { ...t, weight, colour: weight >= 0 ? `rgba(255, 140, 40, ${alpha})` : `rgba(80, 150, 255, ${alpha})` };
  });
}

/** One head's weights as drawn: `size` × `size`, row = query, column = key. */
export interface AttentionHeadView {
  readonly head: number;
  /** Row-major `size × size` weights as computed (rows of a cut matrix need not sum to 1). */
  readonly weights: Float32Array;
  /** The largest weight shown, which the colour scale maps to 1. */
  readonly peak: number;
  /** The smallest weight shown, which the colour scale maps to 0 (a nearly uniform head still shows its pattern). */
  readonly low: number;
}

/** An attention block's heads, cut to the positions shown, with a label per position. */
export interface AttentionView {
  readonly size: number;
  readonly labels: readonly string[];
  readonly heads: readonly AttentionHeadView[];
  /** Positions hidden at the end (padding), 0 when all are shown. */
  readonly hidden: number;
}

/**
 * The heads of `map` as square query × key matrices. With `tokens` (a text model) the positions
 * are labelled by their tokens and, unless `showPadding`, cut to the text's tokens (padding comes
 * last); otherwise positions are numbered.
 */
export function attentionView(map: ExplainAttention, tokens: readonly string[] | null, showPadding: boolean): AttentionView {
  const q = map.queryLength;
  const k = map.keyLength;
  const words = tokens && tokens.length === q && q === k ? tokens.filter((t) => t !== '').length : q;
  const size = Math.min(q, k, showPadding || words === 0 ? Math.min(q, k) : words);
  const labels = Array.from({ length: size }, (_, i) => (tokens && tokens.length === q ? tokens[i] || '·' : String(i)));
  const heads = Array.from({ length: map.heads }, (_, h) => {
    const weights = new Float32Array(size * size);
    let peak = 0;
    let low = Infinity;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const w = map.weights[(h * q + r) * k + c];
        weights[r * size + c] = w;
        if (w > peak) peak = w;
        if (w < low) low = w;
      }
    }
    return { head: h, weights, peak, low: size > 0 ? low : 0 };
  });
  return { size, labels, heads, hidden: Math.min(q, k) - size };
}

/** First-layer conv filters laid out as one RGBA image: a tile per filter, 1-pixel gaps. */
export interface FilterGrid {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  /** RGBA pixels (gaps transparent). */
  readonly pixels: Uint8ClampedArray;
}

/**
 * Draws a (kh, kw, in, out) kernel as a grid of `out` tiles of kh × kw: grey for one input
 * channel, colour for three (RGB), otherwise the mean over input channels. Values are scaled
 * symmetrically around 0 by the largest |value|, so 0 is mid-grey in every tile.
 */
export function filterGrid(shape: readonly [number, number, number, number], values: ArrayLike<number>): FilterGrid {
  const [kh, kw, cin, cout] = shape;
  const columns = Math.ceil(Math.sqrt(cout));
  const rows = Math.ceil(cout / columns);
  const width = columns * (kw + 1) - 1;
  const height = rows * (kh + 1) - 1;
  let peak = 0;
  for (let i = 0; i < values.length; i++) peak = Math.max(peak, Math.abs(values[i]));
  const scale = (v: number) => Math.round(255 * (peak > 0 ? 0.5 + v / (2 * peak) : 0.5));
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let f = 0; f < cout; f++) {
    const ox = (f % columns) * (kw + 1);
    const oy = Math.floor(f / columns) * (kh + 1);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        const at = (c: number) => values[((y * kw + x) * cin + c) * cout + f];
        let rgb: [number, number, number];
        if (cin === 3) rgb = [scale(at(0)), scale(at(1)), scale(at(2))];
        else {
          let sum = 0;
          for (let c = 0; c < cin; c++) sum += at(c);
          const g = scale(sum / cin);
          rgb = [g, g, g];
        }
        const p = ((oy + y) * width + ox + x) * 4;
        pixels[p] = rgb[0];
        pixels[p + 1] = rgb[1];
        pixels[p + 2] = rgb[2];
        pixels[p + 3] = 255;
      }
    }
  }
  return { width, height, columns, pixels };
}
