/**
 * The Explain panel's view of text models: tokens coloured by their attribution (padding left out,
 * sign kept, scaled by the largest), attention heads cut to the text's tokens with token labels,
 * and the whole matrix (padding labelled ·) on request; causal masks keep their zero upper triangle.
 */
import { describe, expect, it } from 'vitest';
import { attentionView, filterGrid, tokenChips } from '../../renderer/panels/explainView.js';
import type { ExplainAttention } from '../../shared/explain/protocol.js';

describe('token attribution chips', () => {
  it('leave out padding, scale by the largest |score| and colour by sign', () => {
    const chips = tokenChips(['rain', 'and', 'wind', '', ''], [2, -0.5, -4, 9, 9]);
    expect(chips.map((c) => [c.token, c.position, c.weight])).toEqual([
      ['rain', 0, 0.5],
      ['and', 1, -0.125],
      ['wind', 2, -1],
    ]);
    expect(chips[0].colour).toBe('rgba(255, 140, 40, 0.425)');
    expect(chips[2].colour).toBe('rgba(80, 150, 255, 0.850)');
    expect(tokenChips(['a'], [0])[0].weight).toBe(0);
  });
});

describe('attention heads', () => {
  // 2 heads × 4 queries × 4 keys; head 1 causal (zero upper triangle).
  const weights = [
    ...[0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.25, 0.25, 0.7, 0.1, 0.1, 0.1, 0.4, 0.3, 0.2, 0.1],
    ...[1, 0, 0, 0, 0.5, 0.5, 0, 0, 0.2, 0.3, 0.5, 0, 0.1, 0.2, 0.3, 0.4],
  ];
  const map: ExplainAttention = { layer: 'mha', block: 'mha', heads: 2, queryLength: 4, keyLength: 4, weights, causal: false };

  it('cut to the text’s tokens, labelled by them', () => {
    const v = attentionView(map, ['sunny', 'day', '', ''], false);
    expect(v.size).toBe(2);
    expect(v.hidden).toBe(2);
    expect(v.labels).toEqual(['sunny', 'day']);
    expect(Array.from(v.heads[0].weights)).toEqual([0.1, 0.2, 0.25, 0.25].map(Math.fround));
    expect(v.heads[0].peak).toBeCloseTo(0.25);
    expect(v.heads[0].low).toBeCloseTo(0.1);
    expect(Array.from(v.heads[1].weights)).toEqual([1, 0, 0.5, 0.5]);
  });

  it('the whole matrix with padding shown as ·; numbered positions without tokens', () => {
    const v = attentionView(map, ['sunny', 'day', '', ''], true);
    expect(v.size).toBe(4);
    expect(v.hidden).toBe(0);
    expect(v.labels).toEqual(['sunny', 'day', '·', '·']);
    // The causal head's upper triangle stays 0.
    for (let r = 0; r < 4; r++) for (let c = r + 1; c < 4; c++) expect(v.heads[1].weights[r * 4 + c]).toBe(0);
    expect(attentionView(map, null, false).labels).toEqual(['0', '1', '2', '3']);
  });
});

describe('first-layer conv filters', () => {
  it('one tile per filter, scaled around 0 by the largest |value|; RGB kernels in colour', () => {
    // (kh 1, kw 2, in 1, out 2): filter 0 = [-2, 2], filter 1 = [0, 1]; Keras layout ((y·kw + x)·in + c)·out + f.
    const grey = filterGrid([1, 2, 1, 2], [-2, 0, 2, 1]);
    expect({ width: grey.width, height: grey.height, columns: grey.columns }).toEqual({ width: 5, height: 1, columns: 2 });
    const px = (i: number) => Array.from(grey.pixels.slice(i * 4, i * 4 + 4));
    expect(px(0)).toEqual([0, 0, 0, 255]);
    expect(px(1)).toEqual([255, 255, 255, 255]);
    expect(px(2)).toEqual([0, 0, 0, 0]); // the gap between tiles
    expect(px(3)).toEqual([128, 128, 128, 255]);
    expect(px(4)).toEqual([191, 191, 191, 255]);
    const rgb = filterGrid([1, 1, 3, 1], [1, -1, 0]);
    expect(Array.from(rgb.pixels)).toEqual([255, 0, 128, 255]);
  });
});
