/**
 * Layer names from block labels: what the compiled tfjs model, the summary and every code generator
 * call each layer, so they agree.
 */
import { blockRole } from '../blocks/registry.js';
import type { GraphNode } from './document.js';

/**
 * A Python/JS identifier from a user label: lower-case letters, digits and `_`, starting with a
 * letter (`"Conv 1"` → `conv_1`, `"3x3"` → `layer_3x3`).
 */
export function sanitizeName(label: string): string {
  const known = sanitized.get(label);
  if (known !== undefined) return known;
  let s = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!s) s = 'layer';
  if (!/^[a-z]/.test(s)) s = `layer_${s}`;
  // Every edit names all blocks again (analysis, summary, inspector); NFKD normalisation of 500
  // labels each time showed up in the editor's frame budget. Labels repeat, so remember them.
  if (sanitized.size > 50_000) sanitized.clear();
  sanitized.set(label, s);
  return s;
}

const sanitized = new Map<string, string>();
const namesByNodes = new WeakMap<readonly GraphNode[], { readonly length: number; readonly names: ReadonlyMap<string, string> }>();

/**
 * Names every node that becomes a layer (all but Output markers) uniquely from its label; document
 * order decides who keeps the plain name.
 */
export function layerNamesFor(nodes: readonly GraphNode[]): ReadonlyMap<string, string> {
  // Documents are immutable: one edit's analysis, summary and inspector share the node array.
  // (The length guards against an array filled in after it was first named.)
  const known = namesByNodes.get(nodes);
  if (known && known.length === nodes.length) return known.names;
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const n of nodes) {
    if (blockRole(n.type) === 'output') continue;
    const base = sanitizeName(n.label);
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    names.set(n.id, name);
  }
  namesByNodes.set(nodes, { length: nodes.length, names });
  return names;
}
