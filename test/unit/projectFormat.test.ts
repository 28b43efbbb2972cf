import { describe, expect, it } from 'vitest';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';
import { CURRENT_FORMAT_VERSION, emptyDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';

function smallDoc() {
  let doc = emptyDocument('Tiny');
  const a = addNode(doc, 'Input', { x: 0, y: 0 }, { params: { shape: [4] } });
  doc = a.doc;
  const b = addNode(doc, 'Dense', { x: 200, y: 0 }, { params: { units: 3 } });
  doc = b.doc;
  const c = addNode(doc, 'Output', { x: 400, y: 0 });
  doc = c.doc;
  doc = connect(doc, a.nodeId, b.nodeId, 'in').doc;
  doc = connect(doc, b.nodeId, c.nodeId, 'in').doc;
  return doc;
}

describe('project file format', () => {
  it('round-trips a document byte for byte', () => {
    const text = serializeProject(smallDoc());
    const parsed = parseProject(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(serializeProject(parsed.doc)).toBe(text);
  });

  it('fills parameters a file omits with their defaults (older files stay readable)', () => {
    const raw = JSON.parse(serializeProject(smallDoc()));
    delete raw.nodes[1].params.activation;
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok && parsed.doc.nodes[1].params.activation).toBe('linear');
  });

  it('points at the offending path for a bad parameter', () => {
    const raw = JSON.parse(serializeProject(smallDoc()));
    raw.nodes[1].params.units = 'abc';
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors).toContain('nodes[1].params.units: expected integer ≥ 1, got "abc"');
  });

  it('reports several problems at once with their paths', () => {
    const raw = JSON.parse(serializeProject(smallDoc()));
    raw.nodes[0].position = { x: 'left' };
    raw.edges[0].target = 'ghost';
    raw.training = { epochs: 0 };
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.some((e) => e.startsWith('nodes[0].position:'))).toBe(true);
    expect(parsed.errors.some((e) => e.startsWith('edges[0].target: no node has id "ghost"'))).toBe(true);
    expect(parsed.errors).toContain('training.epochs: expected integer ≥ 1, got 0');
  });

  it('keeps right-typed but out-of-range values and unknown block types, so nothing is lost', () => {
    const raw = JSON.parse(serializeProject(smallDoc()));
    raw.nodes[1].params.units = 0;
    raw.nodes.push({ id: 'x', type: 'Teleporter', label: 'future', params: { warp: 9, path: [1, 2] }, position: { x: 0, y: 0 } });
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.doc.nodes[1].params.units).toBe(0);
    expect(parsed.doc.nodes[3]).toMatchObject({ type: 'Teleporter', params: { warp: 9, path: [1, 2] } });
    // Saving writes them back unchanged.
    expect(JSON.parse(serializeProject(parsed.doc)).nodes[3].params).toEqual({ warp: 9, path: [1, 2] });
  });

  it('reads Conv1D sizes written as one-element lists ([3], as Keras writes them) as the number, and saves the number', () => {
    let doc = emptyDocument('Conv1D lists');
    const a = addNode(doc, 'Input', { x: 0, y: 0 }, { params: { shape: [10, 2] } });
    const b = addNode(a.doc, 'Conv1D', { x: 200, y: 0 }, { params: { filters: 2 } });
    const c = addNode(b.doc, 'MaxPooling1D', { x: 400, y: 0 });
    doc = connect(connect(c.doc, a.nodeId, b.nodeId, 'in').doc, b.nodeId, c.nodeId, 'in').doc;
    const raw = JSON.parse(serializeProject(doc));
    Object.assign(raw.nodes[1].params, { kernel_size: [3], strides: [1], dilation_rate: [2] });
    Object.assign(raw.nodes[2].params, { pool_size: [2] });
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
    if (!parsed.ok) return;
    expect(parsed.doc.nodes[1].params).toMatchObject({ kernel_size: 3, strides: 1, dilation_rate: 2 });
    expect(parsed.doc.nodes[2].params).toMatchObject({ pool_size: 2 });
    expect(JSON.parse(serializeProject(parsed.doc)).nodes[1].params).toMatchObject({ kernel_size: 3, strides: 1, dilation_rate: 2 });
    // A list of another length is no single size: refused, naming the parameter.
    raw.nodes[1].params.kernel_size = [3, 3];
    const bad = parseProject(JSON.stringify(raw));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors).toEqual(['nodes[1].params.kernel_size: expected integer ≥ 1, got [3,3]']);
  });

  it('refuses a file from a newer version, naming both versions', () => {
    const raw = JSON.parse(serializeProject(smallDoc()));
    raw.version = CURRENT_FORMAT_VERSION + 1;
    raw.nodes = 'whatever a future version stores';
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.errors[0]).toContain(`version ${CURRENT_FORMAT_VERSION + 1}`);
      expect(parsed.errors[0]).toContain(`up to ${CURRENT_FORMAT_VERSION}`);
    }
  });

  it('refuses non-JSON and foreign JSON with a clear message', () => {
    const a = parseProject('{"format": "layerloom-project", "version": 1, "nodes": [');
    expect(!a.ok && a.errors[0]).toMatch(/not valid JSON/);
    const b = parseProject('{"hello": "world"}');
    expect(!b.ok && b.errors[0]).toMatch(/Not a Layerloom project/);
  });

});
