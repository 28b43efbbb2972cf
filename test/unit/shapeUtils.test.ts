/**
 * The shape rules of shared/blocks/shapeUtils.ts, table by table. Expected values are Keras 3's
 * (`compute_output_shape` of the layer, batch left out); the block tests check the same rules
 * end to end against real Keras.
 */
import { describe, expect, it } from 'vitest';
import {
  broadcastShapes,
  concatenatedShape,
  convOutputLength,
  convTransposeOutputLength,
  flattenedShape,
  formatShape,
  formatShapeCompact,
  poolOutputLength,
  reshapedShape,
  sampleAxis,
  shapeSize,
  upsampledLength,
  type Padding,
} from '../../shared/blocks/shapeUtils.js';
import type { Dim, Shape } from '../../shared/blocks/types.js';

describe('convolution and pooling lengths', () => {
  it.each<[Dim, number, Padding, number, number, Dim]>([
    [28, 3, 'valid', 1, 1, 26],
    [28, 3, 'same', 1, 1, 28],
    [28, 3, 'valid', 2, 1, 13],
    [28, 3, 'same', 2, 1, 14],
    [27, 3, 'same', 2, 1, 14],
    [10, 3, 'valid', 1, 2, 6],
    [10, 3, 'causal', 1, 2, 10],
    [2, 3, 'valid', 1, 1, 0],
    [null, 3, 'valid', 1, 1, null],
  ])('conv n=%s k=%s %s s=%s d=%s → %s', (n, k, padding, s, d, out) => expect(convOutputLength(n, k, padding, s, d)).toBe(out));

  it.each<[Dim, number, 'valid' | 'same', number, Dim]>([
    [28, 2, 'valid', 2, 14],
    [27, 2, 'valid', 2, 13],
    [27, 2, 'same', 2, 14],
    [5, 3, 'valid', 1, 3],
    [null, 2, 'valid', 2, null],
  ])('pool n=%s pool=%s %s s=%s → %s', (n, pool, padding, s, out) => expect(poolOutputLength(n, pool, padding, s)).toBe(out));

  it.each<[Dim, number, Padding, number, Dim]>([
    [7, 3, 'valid', 2, 15],
    [7, 3, 'same', 2, 14],
    [7, 1, 'valid', 2, 14],
    [null, 3, 'same', 2, null],
  ])('transposed conv n=%s k=%s %s s=%s → %s', (n, k, padding, s, out) => expect(convTransposeOutputLength(n, k, padding, s)).toBe(out));

  it('upsampling multiplies, variable stays variable', () => {
    expect(upsampledLength(7, 2)).toBe(14);
    expect(upsampledLength(null, 2)).toBeNull();
  });
});

describe('flatten', () => {
  it.each<[Shape, Shape | null]>([
    [[26, 26, 32], [21632]],
    [[10], [10]],
    [[5, null], null],
  ])('%j → %j', (input, out) => expect(flattenedShape(input)).toEqual(out));
  it('sizes', () => {
    expect(shapeSize([2, 3, 4])).toBe(24);
    expect(shapeSize([2, null])).toBeNull();
  });
});

describe('reshape', () => {
  it.each<[Shape, number[], ReturnType<typeof reshapedShape>]>([
    [[784], [28, 28, 1], { shape: [28, 28, 1] }],
    [[784], [-1, 28], { shape: [28, 28] }],
    [[4, 6], [-1], { shape: [24] }],
    [[null, 8], [-1, 4], { shape: [null, 4] }],
    [[null, 8], [4, 4], { problem: 'needs-inferred-axis' }],
    [[10], [-1, 3], { problem: 'not-divisible', size: 10, known: 3 }],
    [[10], [2, 4], { problem: 'size-mismatch', size: 10, known: 8 }],
    [[10], [-1, -1], { problem: 'invalid-target' }],
    [[10], [0, 10], { problem: 'invalid-target' }],
    [[10], [], { problem: 'invalid-target' }],
  ])('%j into %j', (input, target, out) => expect(reshapedShape(input, target)).toEqual(out));
});

describe('concatenate', () => {
  it.each<[Shape[], number, ReturnType<typeof concatenatedShape>]>([
    [[[4, 8], [4, 3]], -1, { shape: [4, 11], axis: 1 }],
    [[[4, 8], [2, 8]], 1, { shape: [6, 8], axis: 0 }],
    [[[4, 4, 3], [4, 4, 5], [4, 4, 1]], 3, { shape: [4, 4, 9], axis: 2 }],
    [[[null, 8], [5, 8]], 1, { shape: [null, 8], axis: 0 }],
    [[[4, 8], [4, 3]], -2, { problem: 'mismatch', input: 1, axis: 1, variable: false }],
    [[[null, 8], [5, 3]], -1, { problem: 'mismatch', input: 1, axis: 0, variable: true }],
    [[[4, 8], [8]], -1, { problem: 'rank', input: 1 }],
    [[[4, 8], [4, 8]], 0, { problem: 'axis' }],
    [[[4, 8], [4, 8]], 3, { problem: 'axis' }],
  ])('%j on axis %s', (shapes, axis, out) => expect(concatenatedShape(shapes, axis)).toEqual(out));
});

describe('broadcasting and axes', () => {
  it.each<[Shape, Shape, ReturnType<typeof broadcastShapes>]>([
    [[4, 8], [4, 8], { shape: [4, 8] }],
    [[4, 1], [4, 8], { shape: [4, 8] }],
    [[null, 8], [4, 8], { shape: [null, 8] }],
    [[4, 8], [4, 3], { conflictAxis: 1 }],
    [[4, 8], [8], { conflictAxis: -1 }],
  ])('%j with %j', (a, b, out) => expect(broadcastShapes(a, b)).toEqual(out));

  it.each<[number, number, number | null]>([
    [-1, 3, 2],
    [1, 3, 0],
    [3, 3, 2],
    [0, 3, null],
    [-4, 3, null],
    [4, 3, null],
  ])('Keras axis %s of a rank-%s sample → index %s', (axis, length, out) => expect(sampleAxis(axis, length)).toBe(out));

  it('prints shapes as Keras does', () => {
    expect(formatShape([26, 26, 32])).toBe('(None, 26, 26, 32)');
    expect(formatShape([null, 64])).toBe('(None, None, 64)');
    expect(formatShape([])).toBe('(None,)');
    expect(formatShape(null)).toBe('?');
    // Compact, for wire labels: no batch axis, × between axes, ? for a variable size.
    expect(formatShapeCompact([26, 26, 32])).toBe('26×26×32');
    expect(formatShapeCompact([null, 64])).toBe('?×64');
    expect(formatShapeCompact([10])).toBe('10');
    expect(formatShapeCompact([])).toBe('scalar');
    expect(formatShapeCompact(null)).toBe('?');
  });
});
