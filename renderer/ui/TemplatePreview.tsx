/**
 * A small drawing of a template's graph: its blocks as coloured boxes in their saved places.
 */
import type { JSX } from 'react';
import type { TemplateInfo } from '../../shared/api/types.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { CATEGORY_HEX } from '../canvas/blockStyle.js';

/** A thumbnail of a template's graph (the templates dialog and the start screen). */
export function TemplatePreview({ t }: { t: TemplateInfo }): JSX.Element {
  const { nodes, edges } = t.preview;
  const xs = nodes.map((n) => n.x);
  const ys = nodes.map((n) => n.y);
  const minX = Math.min(...xs, 0);
  const minY = Math.min(...ys, 0);
  const w = Math.max(...xs, 1) - minX + 220;
  const h = Math.max(...ys, 1) - minY + 100;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return (
    <svg viewBox={`${minX - 20} ${minY - 20} ${w + 40} ${h + 40}`} preserveAspectRatio="xMidYMid meet" className="ll-preview">
      {edges.map((e, i) => {
        const a = byId.get(e.source);
        const b = byId.get(e.target);
        if (!a || !b) return null;
        return <path key={i} d={`M${a.x + 200} ${a.y + 45} C ${a.x + 260} ${a.y + 45}, ${b.x - 60} ${b.y + 45}, ${b.x} ${b.y + 45}`} className="edge" />;
      })}
      {nodes.map((n) => {
        const def = getBlock(n.type);
        return <rect key={n.id} x={n.x} y={n.y} width={200} height={90} rx={14} fill={def ? CATEGORY_HEX[def.category] : '#888'} opacity={0.85} />;
      })}
    </svg>
  );
}
