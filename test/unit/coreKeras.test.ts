/**
 * Dense, activations, reshaping, global pooling and position embedding equal real Keras 3 (shapes,
 * parameter counts, outputs; test/helpers/kerasNumeric.ts), and every layer block of the catalog
 * is covered by some Keras case. The coverage check runs without Python: the case list is the
 * project's own.
 */
import { describe, expect, it } from 'vitest';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { describeKerasNumeric } from '../helpers/kerasNumeric.js';
import { CORE_CASES, SEQUENCE_CASES, SPATIAL_CASES } from '../helpers/kerasCases.js';

describeKerasNumeric('core layers equal Keras 3 (shape, parameter count, outputs)', CORE_CASES);

describe('Keras cases', () => {
  it('cover every layer block of the catalog', () => {
    const covered = new Set([...SPATIAL_CASES, ...SEQUENCE_CASES, ...CORE_CASES].map((c) => c.block));
    const layers = BLOCKS.filter((b) => b.role === 'layer').map((b) => b.type);
    expect(layers.filter((t) => !covered.has(t))).toEqual([]);
  });
});
