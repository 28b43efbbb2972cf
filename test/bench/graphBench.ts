/**
 * bench:graph — shape inference + validation on a generated 1,000-node graph.
 * Prints the median full-analysis time and the per-edit time (pure edit + re-analysis), which is
 * what the editor pays after every keystroke in the inspector. Goal: < 10 ms.
 */
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect, setParam } from '../../shared/graph/operations.js';

function generate(blocks: number): ProjectDocument {
  let doc = emptyDocument('bench');
  let r = addNode(doc, 'Input', { x: 0, y: 0 }, { params: { shape: [32] } });
  doc = r.doc;
  let prev = r.nodeId;
  let count = 1;
  // Residual MLP blocks: Dense → Dropout → Dense, plus a skip connection merged by Add.
  while (count + 4 < blocks) {
    const a = addNode(doc, 'Dense', { x: count * 10, y: 0 }, { params: { units: 32, activation: 'relu' } });
    const b = addNode(a.doc, 'Dropout', { x: count * 10, y: 50 }, { params: { rate: 0.1 } });
    const c = addNode(b.doc, 'Dense', { x: count * 10, y: 100 }, { params: { units: 32 } });
    const add = addNode(c.doc, 'Add', { x: count * 10, y: 150 });
    doc = add.doc;
    doc = connect(doc, prev, a.nodeId, 'in').doc;
    doc = connect(doc, a.nodeId, b.nodeId, 'in').doc;
    doc = connect(doc, b.nodeId, c.nodeId, 'in').doc;
    doc = connect(doc, prev, add.nodeId, 'in0').doc;
    doc = connect(doc, c.nodeId, add.nodeId, 'in1').doc;
    prev = add.nodeId;
    count += 4;
  }
  while (count < blocks - 1) {
    r = addNode(doc, 'Activation', { x: count * 10, y: 0 });
    doc = connect(r.doc, prev, r.nodeId, 'in').doc;
    prev = r.nodeId;
    count++;
  }
  r = addNode(doc, 'Output', { x: count * 10, y: 0 });
  return connect(r.doc, prev, r.nodeId, 'in').doc;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const doc = generate(1000);
const first = analyzeGraph(doc);
if (!first.valid) throw new Error('bench graph is invalid: ' + first.diagnostics[0]?.message);
for (let i = 0; i < 20; i++) analyzeGraph(doc); // warm-up (JIT)

const full: number[] = [];
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  analyzeGraph(doc);
  full.push(performance.now() - t);
}
const dense = doc.nodes.filter((n) => n.type === 'Dense');
const edit: number[] = [];
let current = doc;
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  current = setParam(current, dense[i % dense.length].id, 'units', 32 + (i % 2));
  analyzeGraph(current);
  edit.push(performance.now() - t);
}
// Baseline in the same run: the cost of just walking the graph once (a lower bound for any analysis).
const walk: number[] = [];
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  const m = new Map(doc.nodes.map((n) => [n.id, n]));
  let s = 0;
  for (const e of doc.edges) s += m.get(e.source) ? 1 : 0;
  if (s < 0) console.log(s);
  walk.push(performance.now() - t);
}
const fullMs = median(full);
console.log(`graph: ${doc.nodes.length} nodes, ${doc.edges.length} edges, ${first.totals.trainable.toLocaleString('en-US')} params`);
console.log(`full shape inference + validation: median ${fullMs.toFixed(2)} ms (goal < 10 ms) ${fullMs < 10 ? 'OK' : 'OVER GOAL'}`);
console.log(`per edit (setParam + re-analysis): median ${median(edit).toFixed(2)} ms`);
console.log(`baseline graph walk: median ${median(walk).toFixed(3)} ms; analysis/walk ratio ${(fullMs / median(walk)).toFixed(1)}×`);
