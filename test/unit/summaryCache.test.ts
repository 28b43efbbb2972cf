import { describe, expect, it } from 'vitest';
import { emptyDocument } from '../../shared/graph/document.js';
import { addNode, connect, setParam } from '../../shared/graph/operations.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { buildSummary } from '../../shared/analysis/summary.js';

// The summary remembers each block's Keras class between rebuilds (the inspector rebuilds it on
// every edit); an edit that changes the class must still show the new one.
describe('model summary layer types across edits', () => {
  it('follows a parameter that changes the Keras class, and back', () => {
    let doc = emptyDocument('t');
    const input = addNode(doc, 'Input', { x: 0, y: 0 }, { params: { shape: [10, 8] } });
    const lstm = addNode(input.doc, 'LSTM', { x: 0, y: 100 }, { params: { units: 4 } });
    doc = connect(lstm.doc, input.nodeId, lstm.nodeId, 'in').doc;
    const typeOf = (d: typeof doc) => buildSummary(d, analyzeGraph(d)).rows.find((r) => r.nodeId === lstm.nodeId)?.kerasType;
    expect(typeOf(doc)).toBe('LSTM');
    const bi = setParam(doc, lstm.nodeId, 'bidirectional', true);
    expect(typeOf(bi)).toBe('Bidirectional');
    expect(typeOf(doc)).toBe('LSTM');
    expect(typeOf(setParam(bi, lstm.nodeId, 'bidirectional', false))).toBe('LSTM');
  });

});
