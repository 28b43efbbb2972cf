import { describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../shared/blocks/types.js';
import { parseParamText } from '../../shared/editing/paramText.js';

const spec = (kind: ParamSpec['kind'], extra: Partial<ParamSpec> = {}): ParamSpec => ({ name: 'p', label: 'P', kind, default: null, help: '', ...extra });

describe('parseParamText', () => {
  it('parses numbers and rejects non-numbers and fractions for ints', () => {
    expect(parseParamText(spec('int'), ' 12 ')).toEqual({ value: 12 });
    expect(parseParamText(spec('float'), '0.5')).toEqual({ value: 0.5 });
    expect(parseParamText(spec('int'), '1.5')).toHaveProperty('error');
    expect(parseParamText(spec('float'), 'abc')).toHaveProperty('error');
    expect(parseParamText(spec('int'), '')).toHaveProperty('error');
    expect(parseParamText(spec('int', { nullable: true }), '')).toEqual({ value: null });
  });

  it('parses tuples, repeating a single size to the tuple length', () => {
    expect(parseParamText(spec('ints', { length: 2 }), '3')).toEqual({ value: [3, 3] });
    expect(parseParamText(spec('ints'), '(3, 5)')).toEqual({ value: [3, 5] });
    expect(parseParamText(spec('ints'), '3x5')).toEqual({ value: [3, 5] });
    expect(parseParamText(spec('ints'), '3, None')).toHaveProperty('error');
    // Axes counted from the end (LayerNormalization's axis): negative numbers.
    expect(parseParamText(spec('ints', { min: -4 }), '-2, -1')).toEqual({ value: [-2, -1] });
  });

  it('parses shapes with None for a variable size', () => {
    expect(parseParamText(spec('shape'), 'None, 28, 1')).toEqual({ value: [null, 28, 1] });
    expect(parseParamText(spec('shape'), '[?, 4]')).toEqual({ value: [null, 4] });
  });

  it('keeps other kinds as typed', () => {
    expect(parseParamText(spec('string'), ' relu ')).toEqual({ value: ' relu ' });
  });
});
