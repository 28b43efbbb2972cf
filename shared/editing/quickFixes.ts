/**
 * Quick fixes for diagnostics. Candidate edits are generated for a diagnostic and each is tried on
 * a copy of the graph; only fixes that make that diagnostic go away without adding a new error on
 * the block are offered. So a fix button never makes things worse.
 */
import { analyzeGraph, type GraphAnalysis } from '../analysis/analyze.js';
import type { Diagnostic } from '../analysis/diagnostics.js';
import { getBlock, blockRole, blockTypeWithRole } from '../blocks/registry.js';
import type { ProjectDocument } from '../graph/document.js';
import { addNode, connect, setParam } from '../graph/operations.js';
import { insertBetween } from './graphEdits.js';

/** A verified fix. */
export interface QuickFix {
  /** Stable id within a diagnostic (`insert-flatten`, `padding-same`, …). */
  readonly id: string;
  readonly title: string;
  /** The fixed document and what to select afterwards. */
  readonly doc: ProjectDocument;
  readonly select: readonly string[];
}

interface Candidate {
  readonly id: string;
  readonly title: string;
  readonly apply: () => { doc: ProjectDocument; select: readonly string[] } | null;
}

function candidates(doc: ProjectDocument, analysis: GraphAnalysis, d: Diagnostic): Candidate[] {
  const out: Candidate[] = [];
  const node = d.nodeId ? doc.nodes.find((n) => n.id === d.nodeId) : undefined;
  const info = node ? analysis.nodes.get(node.id) : undefined;
  const def = node ? getBlock(node.type) : undefined;

  if (node && info && def) {
    // A flat-vector block fed a feature map: insert Flatten in front of it.
    const connected = [...info.inputEdges.values()];
    const firstShape = info.inputShapes.find((s) => s !== null);
    if (connected.length === 1 && firstShape && firstShape.length >= 2 && node.type !== 'Flatten' && getBlock('Flatten')) {
      const edge = connected[0];
      out.push({
        id: 'insert-flatten',
        title: `Insert Flatten before ${node.label}`,
        apply: () => {
          const r = insertBetween(doc, edge.id, 'Flatten');
          return { doc: r.doc, select: [r.nodeId] };
        },
      });
    }
    // A window that does not fit: pad so the size is kept.
    const padding = def.params.find((p) => p.name === 'padding' && p.kind === 'enum' && p.options?.includes('same'));
    if (padding && node.params.padding !== 'same') {
      out.push({ id: 'padding-same', title: 'Use padding "same"', apply: () => ({ doc: setParam(doc, node.id, 'padding', 'same'), select: [node.id] }) });
    }
    // An invalid parameter: back to its default.
    if (d.code === 'LL011' && d.param) {
      const spec = def.params.find((p) => p.name === d.param);
      if (spec) {
        out.push({
          id: `reset-${spec.name}`,
          title: `Reset ${spec.label} to ${JSON.stringify(spec.default)}`,
          apply: () => ({ doc: setParam(doc, node.id, spec.name, spec.default), select: [node.id] }),
        });
      }
    }
    // Embedding fed float ids: make the Input int32.
    if (d.code === 'LL019') {
      const edge = info.inputEdges.get('in');
      const src = edge ? doc.nodes.find((n) => n.id === edge.source) : undefined;
      if (src && blockRole(src.type) === 'input') {
        out.push({ id: 'input-int32', title: `Set ${src.label}'s data type to int32`, apply: () => ({ doc: setParam(doc, src.id, 'dtype', 'int32'), select: [src.id] }) });
      }
    }
  }

  // Whole-graph problems.
  if (d.code === 'LL001') {
    out.push({
      id: 'add-input',
      title: 'Add an Input block',
      apply: () => {
        const x = Math.min(0, ...doc.nodes.map((n) => n.position.x)) - 260;
        const r = addNode(doc, blockTypeWithRole('input'), { x, y: 0 });
        return { doc: r.doc, select: [r.nodeId] };
      },
    });
  }
  if (d.code === 'LL002') {
    out.push({
      id: 'add-output',
      title: 'Add an Output after the last layer',
      apply: () => {
        // The last layer: a node with a known shape that feeds nothing.
        const feeds = new Set(doc.edges.map((e) => e.source));
        const sink = [...analysis.order].reverse().map((id) => doc.nodes.find((n) => n.id === id)).find((n) => n && !feeds.has(n.id) && blockRole(n.type) !== 'output');
        const x = Math.max(0, ...doc.nodes.map((n) => n.position.x)) + 260;
        const r = addNode(doc, blockTypeWithRole('output'), { x, y: sink?.position.y ?? 0 });
        const next = sink ? connect(r.doc, sink.id, r.nodeId, 'in').doc : r.doc;
        return { doc: next, select: [r.nodeId] };
      },
    });
  }
  return out;
}

function sameDiagnostic(a: Diagnostic, b: Diagnostic): boolean {
  return a.code === b.code && a.nodeId === b.nodeId && (a.param ?? '') === (b.param ?? '');
}

/** Verified fixes for one diagnostic (possibly none). */
export function quickFixesFor(doc: ProjectDocument, analysis: GraphAnalysis, d: Diagnostic): QuickFix[] {
  const fixes: QuickFix[] = [];
  const errorsBefore = d.nodeId ? (analysis.nodes.get(d.nodeId)?.diagnostics.filter((x) => x.severity === 'error').length ?? 0) : 0;
  for (const c of candidates(doc, analysis, d)) {
    let result: { doc: ProjectDocument; select: readonly string[] } | null;
    try {
      result = c.apply();
    } catch {
      continue;
    }
    if (!result) continue;
    const after = analyzeGraph(result.doc);
    if (after.diagnostics.some((x) => sameDiagnostic(x, d))) continue;
    if (d.nodeId) {
      const errorsAfter = after.nodes.get(d.nodeId)?.diagnostics.filter((x) => x.severity === 'error').length ?? 0;
      if (errorsAfter > errorsBefore || (d.severity === 'error' && errorsAfter >= errorsBefore)) continue;
    } else if (after.diagnostics.filter((x) => x.severity === 'error').length > analysis.diagnostics.filter((x) => x.severity === 'error').length) {
      continue;
    }
    fixes.push({ id: c.id, title: c.title, doc: result.doc, select: result.select });
  }
  return fixes;
}
