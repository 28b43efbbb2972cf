/**
 * The ONNX printer's table covers the block catalog: a block added without its ONNX mapping fails
 * here (and its export would be refused). The pure helpers it relies on are checked on small cases.
 */
import { describe, expect, it } from 'vitest';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { ONNX_MAPPINGS, opsetProblem } from '../../shared/codegen/onnx/index.js';
import { transposeData } from '../../shared/codegen/onnx/graph.js';

describe('ONNX mappings', () => {
  it('exist for every layer block of the catalog, and only for those', () => {
    const layers = BLOCKS.filter((b) => b.role === 'layer').map((b) => b.type).sort();
    expect(layers.filter((t) => !(t in ONNX_MAPPINGS))).toEqual([]);
    expect(Object.keys(ONNX_MAPPINGS).filter((t) => !layers.includes(t))).toEqual([]);
  });

  it('transposes weight arrays as numpy does', () => {
    // [[0, 1, 2], [3, 4, 5]] transposed
    expect([...transposeData(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], [1, 0])]).toEqual([0, 3, 1, 4, 2, 5]);
    // (2, 1, 2) → (2, 2, 1) with perm [2, 0, 1]: out[k][i][j] = in[i][j][k]
    expect([...transposeData(Float32Array.from([0, 1, 2, 3]), [2, 1, 2], [2, 0, 1])]).toEqual([0, 2, 1, 3]);
  });

  it('offers opsets 13 to 21 and names the range otherwise', () => {
    expect(opsetProblem(13)).toBeNull();
    expect(opsetProblem(21)).toBeNull();
    expect(opsetProblem(12)).toMatch(/13 to 21/);
    expect(opsetProblem(17.5)).toMatch(/13 to 21/);
  });
});
