/**
 * Decides whether a connection may be made, before it is made. Shape inference is the judge: the
 * candidate graph is analysed. A connection that gives the target block a shape error is refused
 * with that error as the reason ("Cannot reshape 784 values into (7, 7)…") — unless a verified
 * quick fix that adds a block repairs it (an LSTM fed a flat vector: Insert Reshape): then it is made, the error shows
 * on the block, and the verdict names the fix, so the user is one click away instead of stuck.
 */
import { analyzeGraph } from '../analysis/analyze.js';
import type { DiagnosticCode } from '../analysis/diagnostics.js';
import { getBlock, blockRole, blockTypeWithRole } from '../blocks/registry.js';
import type { BlockDef, Shape } from '../blocks/types.js';
import { emptyDocument, type ProjectDocument } from '../graph/document.js';
import { addNode, connect, type OutputRef } from '../graph/operations.js';
import { quickFixesFor } from './quickFixes.js';

/**
 * Whether a connection is allowed, and why not. An allowed connection may leave a `problem` on the
 * target block that the quick fix titled `fix` repairs.
 */
export type ConnectionVerdict =
  | { readonly ok: true; readonly problem?: undefined }
  | { readonly ok: true; readonly problem: string; readonly fix: string }
  | { readonly ok: false; readonly reason: string };

/** Errors that are about the rest of the graph, not about this connection. */
const NOT_ABOUT_THIS_CONNECTION: ReadonlySet<DiagnosticCode> = new Set(['LL004', 'LL005', 'LL011', 'LL015', 'LL006', 'LL001', 'LL002']);

/** True when `from` can reach `to` following connections forward. */
export function reaches(doc: Pick<ProjectDocument, 'edges'>, from: string, to: string): boolean {
  const out = new Map<string, string[]>();
  for (const e of doc.edges) {
    const list = out.get(e.source);
    if (list) list.push(e.target);
    else out.set(e.source, [e.target]);
  }
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length) {
    const id = stack.pop() as string;
    if (id === to) return true;
    for (const next of out.get(id) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

/** Checks connecting `source`'s output (its `out`, or the port an {@link OutputRef} names) to `target`'s `targetPort`. */
export function checkConnection(doc: ProjectDocument, from: string | OutputRef, target: string, targetPort: string): ConnectionVerdict {
  const source = typeof from === 'string' ? from : from.node;
  const sourcePort = typeof from === 'string' ? 'out' : from.port;
  const src = doc.nodes.find((n) => n.id === source);
  const dst = doc.nodes.find((n) => n.id === target);
  if (!src || !dst) return { ok: false, reason: 'One of the blocks no longer exists.' };
  if (source === target) return { ok: false, reason: 'A block cannot feed itself.' };
  if (blockRole(src.type) === 'output') return { ok: false, reason: `"${src.label}" is an Output: it marks the end of the model and has nothing to pass on.` };
  const def = getBlock(dst.type);
  if (def && !def.ports(dst.params).some((p) => p.name === targetPort)) {
    return { ok: false, reason: `${dst.label} has no input "${targetPort}".` };
  }
  const srcDef = getBlock(src.type);
  if (srcDef && !srcDef.outputs(src.params).some((p) => p.name === sourcePort)) {
    return { ok: false, reason: `${src.label} has no output "${sourcePort}".` };
  }
  if (doc.edges.some((e) => e.source === source && e.sourcePort === sourcePort && e.target === target && e.targetPort === targetPort)) {
    return { ok: false, reason: 'These blocks are already connected that way.' };
  }
  if (reaches(doc, target, source)) {
    return { ok: false, reason: `That would make a loop (${dst.label} already feeds ${src.label}). A network must flow one way.` };
  }
  const next = connect(doc, { node: source, port: sourcePort }, target, targetPort).doc;
  const analysis = analyzeGraph(next);
  const problem = analysis.nodes.get(target)?.diagnostics.find((d) => d.severity === 'error' && !NOT_ABOUT_THIS_CONNECTION.has(d.code));
  if (problem) {
    // Only a fix that adds or rewires a block (Insert Reshape, Insert Flatten): one that changes the
    // user's parameters would not be the repair of a connection.
    const fix = quickFixesFor(next, analysis, problem).find((f) => f.id.startsWith('insert-') || f.id.startsWith('reuse-'));
    return fix ? { ok: true, problem: problem.message, fix: fix.title } : { ok: false, reason: problem.message };
  }
  return { ok: true };
}

/**
 * The blocks that take a tensor of `shape` (no batch axis) on their first input without an error:
 * what the palette offers while a wire is dragged out of a block. Each candidate is tried on a
 * two-block graph, so the verdict is the analysis's own.
 */
export function blocksAccepting(shape: Shape, dtype: 'float32' | 'int32', blocks: readonly BlockDef[]): BlockDef[] {
  return blocks.filter((def) => {
    if (def.role === 'input') return false;
    const input = addNode(emptyDocument(), blockTypeWithRole('input'), { x: 0, y: 0 }, { id: 'src', params: { shape: [...shape], dtype } });
    const added = addNode(input.doc, def.type, { x: 0, y: 200 }, { id: 'dst' });
    const port = def.ports(added.doc.nodes[1].params)[0];
    if (!port) return false;
    const analysis = analyzeGraph(connect(added.doc, 'src', 'dst', port.name).doc);
    return !(analysis.nodes.get('dst')?.diagnostics ?? []).some((d) => d.severity === 'error' && !NOT_ABOUT_THIS_CONNECTION.has(d.code));
  });
}
