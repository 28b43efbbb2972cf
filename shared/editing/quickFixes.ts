/**
 * Quick fixes for diagnostics. Candidate edits are generated for a diagnostic and each is tried on
 * a copy of the graph; only fixes that make that diagnostic go away without adding a new error on
 * the block are offered. So a fix button never makes things worse.
 */
import { analyzeGraph, type GraphAnalysis } from '../analysis/analyze.js';
import type { Diagnostic } from '../analysis/diagnostics.js';
import { getBlock, blockRole, blockTypeWithRole } from '../blocks/registry.js';
import { intTuple } from '../blocks/paramUtils.js';
import { formatShape, shapeSize } from '../blocks/shapeUtils.js';
import type { BlockDef, ParamValue, Shape } from '../blocks/types.js';
import type { GraphNode, ProjectDocument } from '../graph/document.js';
import { addNode, connect, removeNodes, setParam } from '../graph/operations.js';
import { insertBetween } from './graphEdits.js';
import { BLOCK_GAP, LARGEST_BLOCK, moveGroupToFreeSpace } from './placement.js';

/**
 * The largest window that fits the input on every axis (with the block's dilation), in the
 * param's own form (an int for Conv1D, a list otherwise); null when it already fits.
 */
function shrunkWindow(def: BlockDef, node: GraphNode, param: string, input: Shape): ParamValue | null {
  const spatial = input.slice(0, -1);
  const spec = def.params.find((p) => p.name === param);
  const window = intTuple(node.params, param, spatial.length);
  if (!spec || window.length !== spatial.length || window.some(Number.isNaN)) return null;
  // Pooling has no dilation: intTuple gives NaN there, which counts as 1.
  const dilation = intTuple(node.params, 'dilation_rate', spatial.length).map((d) => (Number.isNaN(d) ? 1 : d));
  const fitted = window.map((k, i) => {
    const n = spatial[i];
    if (n === null) return k;
    return Math.max(1, Math.min(k, Math.floor((n - 1) / dilation[i]) + 1));
  });
  if (fitted.every((k, i) => k === window[i])) return null;
  return spec.kind === 'int' ? fitted[0] : fitted;
}

/** Reshape targets that give a block fed `input` the rank it needs: a channel axis, or a square image. */
function reshapeTargets(input: Shape): number[][] {
  if (input.some((d) => d === null)) return [];
  const dims = input as number[];
  const out: number[][] = [[...dims, 1]];
  const n = shapeSize(dims);
  const side = n === null ? 0 : Math.round(Math.sqrt(n));
  if (dims.length === 1 && side * side === n && side > 1) out.push([side, side, 1]);
  return out;
}

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
    // A flat-vector block fed a feature map: flatten in front of it — through a Flatten its source
    // already feeds, if there is one, else a new one; and only on the first block of a chain that
    // has the problem (a Dense after a Dense on a feature map is fixed by fixing the first).
    const connected = [...info.inputEdges.values()];
    const firstShape = info.inputShapes.find((s) => s !== null);
    const upstreamHasIt = connected.length === 1 && (analysis.nodes.get(connected[0].source)?.diagnostics.some((x) => x.code === d.code) ?? false);
    if (connected.length === 1 && firstShape && firstShape.length >= 2 && node.type !== 'Flatten' && getBlock('Flatten') && !upstreamHasIt) {
      const edge = connected[0];
      const existing = doc.edges
        .filter((e) => e.source === edge.source && e.target !== node.id)
        .map((e) => doc.nodes.find((n) => n.id === e.target))
        .find((n) => n?.type === 'Flatten');
      if (existing) {
        out.push({
          id: 'reuse-flatten',
          title: `Feed ${node.label} from ${existing.label}`,
          apply: () => ({ doc: connect(doc, existing.id, node.id, edge.targetPort).doc, select: [node.id] }),
        });
      } else {
        out.push({
          id: 'insert-flatten',
          title: `Insert Flatten before ${node.label}`,
          apply: () => {
            const r = insertBetween(doc, edge.id, 'Flatten');
            return { doc: r.doc, select: [r.nodeId] };
          },
        });
      }
    }
    // A block that needs another rank (a sequence for a recurrent layer, an image for Conv2D):
    // reshape what it gets, with the target computed from the input.
    if ((d.code === 'LL007' || d.code === 'LL012') && connected.length === 1 && firstShape && getBlock('Reshape')) {
      const edge = connected[0];
      for (const target of reshapeTargets(firstShape)) {
        out.push({
          id: `insert-reshape-${target.join('x')}`,
          title: `Insert Reshape to ${formatShape(target).replace('None, ', '')}`,
          apply: () => {
            const r = insertBetween(doc, edge.id, 'Reshape', { params: { target_shape: target } });
            return { doc: r.doc, select: [r.nodeId] };
          },
        });
      }
    }
    // A window larger than its input: the largest that fits (instead of padding a huge kernel).
    if (d.code === 'LL009' && d.param && firstShape) {
      const fitted = shrunkWindow(def, node, d.param, firstShape);
      const spec = def.params.find((p) => p.name === d.param);
      if (fitted !== null && spec) {
        const text = Array.isArray(fitted) ? fitted.join('×') : String(fitted);
        out.push({ id: `shrink-${spec.name}`, title: `Shrink ${spec.label} to ${text}`, apply: () => ({ doc: setParam(doc, node.id, spec.name, fitted), select: [node.id] }) });
      }
    }
    // A block that leads nowhere: delete it.
    if (d.code === 'LL005' && blockRole(node.type) !== 'input') {
      out.push({ id: 'delete-orphan', title: `Delete ${node.label}`, apply: () => ({ doc: removeNodes(doc, [node.id]), select: [] }) });
    }
    // A window that does not fit: pad so the size is kept.
    const padding = def.params.find((p) => p.name === 'padding' && p.kind === 'enum' && p.options?.includes('same'));
    if (padding && node.params.padding !== 'same') {
      out.push({ id: 'padding-same', title: 'Use padding "same"', apply: () => ({ doc: setParam(doc, node.id, 'padding', 'same'), select: [node.id] }) });
    }
    // A parameter the problem is about: back to its default.
    if (d.param) {
      const spec = def.params.find((p) => p.name === d.param);
      if (spec && JSON.stringify(node.params[spec.name]) !== JSON.stringify(spec.default)) {
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
        // Above everything (data flows down), in free space.
        const x = Math.min(0, ...doc.nodes.map((n) => n.position.x));
        const y = Math.min(0, ...doc.nodes.map((n) => n.position.y)) - LARGEST_BLOCK.height - BLOCK_GAP;
        const r = addNode(doc, blockTypeWithRole('input'), { x, y });
        return { doc: moveGroupToFreeSpace(r.doc, [r.nodeId]), select: [r.nodeId] };
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
        // Under the last layer, in free space.
        const at = sink ? { x: sink.position.x, y: sink.position.y + LARGEST_BLOCK.height + BLOCK_GAP } : { x: 0, y: Math.max(0, ...doc.nodes.map((n) => n.position.y)) + LARGEST_BLOCK.height + BLOCK_GAP };
        const r = addNode(doc, blockTypeWithRole('output'), at);
        const next = sink ? connect(r.doc, sink.id, r.nodeId, 'in').doc : r.doc;
        return { doc: moveGroupToFreeSpace(next, [r.nodeId]), select: [r.nodeId] };
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
