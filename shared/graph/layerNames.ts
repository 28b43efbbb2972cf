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
  let s = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!s) s = 'layer';
  if (!/^[a-z]/.test(s)) s = `layer_${s}`;
  return s;
}

/**
 * Names every node that becomes a layer (all but Output markers) uniquely from its label; document
 * order decides who keeps the plain name.
 */
export function layerNamesFor(nodes: readonly GraphNode[]): Map<string, string> {
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
  return names;
}
