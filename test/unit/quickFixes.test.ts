/**
 * Quick fixes, headless: each is offered for its problem, verified (the problem goes away, no new
 * error), and does what its title says.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import type { DiagnosticCode } from '../../shared/analysis/diagnostics.js';
import { quickFixesFor, type QuickFix } from '../../shared/editing/quickFixes.js';
import { checkConnection } from '../../shared/editing/connectCheck.js';
import { emptyDocument, type GraphEdge, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode } from '../../shared/graph/operations.js';
import type { ParamValue } from '../../shared/blocks/types.js';

type Spec = [id: string, type: string, params?: Record<string, ParamValue>];

function graph(nodes: Spec[], wires: [string, string, string?][]): ProjectDocument {
  let doc = emptyDocument('fixes');
  for (const [id, type, params] of nodes) doc = addNode(doc, type, { x: 0, y: 0 }, { id, ...(params ? { params } : {}) }).doc;
  const edges: GraphEdge[] = wires.map(([source, target, port], i) => ({ id: `e${i}`, source, sourcePort: 'out', target, targetPort: port ?? 'in' }));
  return { ...doc, edges };
}

function fixesFor(doc: ProjectDocument, code: DiagnosticCode, nodeId: string): QuickFix[] {
  const analysis = analyzeGraph(doc);
  const d = analysis.diagnostics.find((x) => x.code === code && x.nodeId === nodeId);
  if (!d) throw new Error(`no ${code} on ${nodeId}: ${analysis.diagnostics.map((x) => `${x.code}@${x.nodeId}`).join(', ')}`);
  return quickFixesFor(doc, analysis, d);
}

const ids = (fixes: readonly QuickFix[]): string[] => fixes.map((f) => f.id);

describe('quick fixes', () => {
  it('a 30×30 kernel on 28×28: shrink it to 28×28 (not only pad a 150k-param kernel)', () => {
    const doc = graph(
      [['i', 'Input', { shape: [28, 28, 1] }], ['c', 'Conv2D', { filters: 32, kernel_size: [30, 30] }], ['g', 'GlobalAveragePooling2D'], ['o', 'Output']],
      [['i', 'c'], ['c', 'g'], ['g', 'o']],
    );
    const fixes = fixesFor(doc, 'LL009', 'c');
    const shrink = fixes.find((f) => f.id === 'shrink-kernel_size');
    expect(shrink?.title).toBe('Shrink Kernel size to 28×28');
    const after = analyzeGraph(shrink?.doc ?? doc);
    expect(after.valid).toBe(true);
    expect(after.nodes.get('c')?.shape).toEqual([1, 1, 32]);
    expect(ids(fixes)).toContain('padding-same');
  });

  it('a pool larger than its input (with Conv1D, an int) shrinks to fit', () => {
    const doc = graph([['i', 'Input', { shape: [4, 3] }], ['p', 'MaxPooling1D', { pool_size: 6 }], ['f', 'Flatten'], ['o', 'Output']], [['i', 'p'], ['p', 'f'], ['f', 'o']]);
    const shrink = fixesFor(doc, 'LL009', 'p').find((f) => f.id === 'shrink-pool_size');
    expect(shrink?.doc.nodes.find((n) => n.id === 'p')?.params.pool_size).toBe(4);
  });

  it('an LSTM fed a flat vector: insert Reshape to (64, 1)', () => {
    const doc = graph([['i', 'Input', { shape: [64] }], ['l', 'LSTM', { units: 8 }], ['o', 'Output']], [['i', 'l'], ['l', 'o']]);
    const fix = fixesFor(doc, 'LL012', 'l').find((f) => f.id.startsWith('insert-reshape'));
    expect(fix?.title).toBe('Insert Reshape to (64, 1)');
    const after = analyzeGraph(fix?.doc ?? doc);
    expect(after.valid).toBe(true);
    expect(after.nodes.get('l')?.inputShapes[0]).toEqual([64, 1]);
  });

  it('a Conv2D fed 784 values: Reshape to (28, 28, 1) is offered', () => {
    const doc = graph(
      [['i', 'Input', { shape: [784] }], ['c', 'Conv2D', { filters: 4, kernel_size: [3, 3] }], ['g', 'GlobalAveragePooling2D'], ['o', 'Output']],
      [['i', 'c'], ['c', 'g'], ['g', 'o']],
    );
    const fixes = fixesFor(doc, 'LL007', 'c');
    expect(fixes.map((f) => f.title)).toContain('Insert Reshape to (28, 28, 1)');
  });

  it('a block that leads nowhere can be deleted', () => {
    const doc = graph([['i', 'Input', { shape: [8] }], ['d', 'Dense'], ['x', 'Dense'], ['o', 'Output']], [['i', 'd'], ['d', 'o'], ['i', 'x']]);
    const fix = fixesFor(doc, 'LL005', 'x').find((f) => f.id === 'delete-orphan');
    expect(fix?.doc.nodes.map((n) => n.id)).toEqual(['i', 'd', 'o']);
    expect(fix?.doc.edges.some((e) => e.source === 'x' || e.target === 'x')).toBe(false);
  });

  it('reuses the Flatten a feature map already feeds instead of stacking a second one', () => {
    const doc = graph(
      [['i', 'Input', { shape: [8, 8, 2] }], ['f', 'Flatten'], ['a', 'Dense', { units: 4 }], ['b', 'Dense', { units: 4 }], ['m', 'Concatenate'], ['o', 'Output']],
      [['i', 'f'], ['f', 'a'], ['i', 'b'], ['a', 'm', 'in0'], ['b', 'm', 'in1'], ['m', 'o']],
    );
    const analysis = analyzeGraph(doc);
    const d = analysis.diagnostics.find((x) => x.code === 'LL008' && x.nodeId === 'b');
    if (!d) throw new Error(analysis.diagnostics.map((x) => x.code).join());
    const fixes = quickFixesFor(doc, analysis, d);
    expect(ids(fixes)).toEqual(['reuse-flatten']);
    expect(fixes[0].doc.nodes).toHaveLength(doc.nodes.length);
    expect(fixes[0].doc.edges.find((e) => e.target === 'b')?.source).toBe('f');
  });

  it('offers Insert Flatten once, on the first Dense of a chain on a feature map', () => {
    const doc = graph(
      [['i', 'Input', { shape: [6, 6, 3] }], ['a', 'Dense', { units: 8 }], ['b', 'Dense', { units: 4 }], ['o', 'Output']],
      [['i', 'a'], ['a', 'b'], ['b', 'o']],
    );
    expect(ids(fixesFor(doc, 'LL008', 'a'))).toContain('insert-flatten');
    expect(ids(fixesFor(doc, 'LL008', 'b'))).not.toContain('insert-flatten');
  });

  it('reverts a parameter the problem is about to its default (filters 1e9 → 32)', () => {
    const doc = graph(
      [['i', 'Input', { shape: [8, 8, 1] }], ['c', 'Conv2D', { filters: 1e9, kernel_size: [3, 3] }], ['g', 'GlobalAveragePooling2D'], ['o', 'Output']],
      [['i', 'c'], ['c', 'g'], ['g', 'o']],
    );
    const fix = fixesFor(doc, 'LL024', 'c').find((f) => f.id === 'reset-filters');
    expect(fix?.title).toBe('Reset Filters to 32');
    expect(analyzeGraph(fix?.doc ?? doc).diagnostics).toEqual([]);
  });
});

describe('a connection with a fixable shape error is made, not refused', () => {
  it('Dense(64) → LSTM is wired, with the error on the LSTM and Insert Reshape as the fix', () => {
    const doc = graph([['i', 'Input', { shape: [10] }], ['d', 'Dense', { units: 64 }], ['l', 'LSTM', { units: 8 }], ['o', 'Output']], [['i', 'd'], ['l', 'o']]);
    const verdict = checkConnection(doc, 'd', 'l', 'in');
    expect(verdict).toEqual({ ok: true, problem: expect.stringContaining('LSTM') as string, fix: 'Insert Reshape to (64, 1)' });
  });
  it('a shape error no fix repairs is still refused with its reason', () => {
    const doc = graph([['i', 'Input', { shape: [784] }], ['r', 'Reshape', { target_shape: [7, 7] }], ['o', 'Output']], [['r', 'o']]);
    const verdict = checkConnection(doc, 'i', 'r', 'in');
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(/reshape 784 values/i);
  });
});
