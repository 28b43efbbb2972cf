/**
 * A connection, labelled with the tensor shape it carries: compact (`26×26×32`) always, the full
 * Keras form (`(None, 26, 26, 32)`) on hover or selection. After an auto-layout the wire follows
 * ELK's orthogonal route (skip connections run beside blocks, not through them) and the label sits
 * where ELK reserved room for it; once one of its blocks moves, it is a plain step until the next
 * layout.
 */
import { memo, useState, type JSX } from 'react';
import { BaseEdge, EdgeLabelRenderer, getBezierPath, getSmoothStepPath, type ConnectionLineComponentProps, type EdgeProps } from '@xyflow/react';
import type { Position } from '../../shared/graph/document.js';
import { useStore } from 'zustand';
import { edgeView, type ShapeFlowEdge } from './flowModel.js';
import { useConnectHint } from './connectHint.js';
import { editor } from '../app/session.js';

const CORNER = 8;

/**
 * An SVG path through `points` with rounded corners. The routed end points are replaced by where
 * the handles are drawn (a few pixels off ELK's ports, which sit on the block border), keeping the
 * first and last segments vertical.
 */
function routedPath(points: readonly Position[], source: Position, target: Position): string {
  const pts = points.map((p) => ({ x: p.x, y: p.y }));
  const n = pts.length;
  if (n >= 2) {
    if (n > 2 && pts[0].x === pts[1].x) pts[1].x = source.x;
    if (n > 2 && pts[n - 1].x === pts[n - 2].x) pts[n - 2].x = target.x;
    pts[0] = { ...source };
    pts[n - 1] = { ...target };
  }
  let d = `M ${pts[0].x} ${pts[0].y}`;
  for (let i = 1; i < n - 1; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    const c = pts[i + 1];
    const r = Math.min(CORNER, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2);
    const ux = Math.sign(b.x - a.x);
    const uy = Math.sign(b.y - a.y);
    const vx = Math.sign(c.x - b.x);
    const vy = Math.sign(c.y - b.y);
    d += ` L ${b.x - ux * r} ${b.y - uy * r} Q ${b.x} ${b.y} ${b.x + vx * r} ${b.y + vy * r}`;
  }
  return `${d} L ${pts[n - 1].x} ${pts[n - 1].y}`;
}

/** The edge component. */
export const ShapeEdge = memo(function ShapeEdge(props: EdgeProps<ShapeFlowEdge>): JSX.Element {
  const { id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected } = props;
  // Read from the analysis here, not from the edge's data: see ShapeFlowEdge. Strings and a
  // boolean, so the wire re-renders only when what it shows changes.
  // Each wire shows the shape of the output port it leaves from (an LSTM's `out`, `h` or `c`).
  const wire = { id, source, sourcePort: data?.sourcePort ?? 'out', target };
  const shape = useStore(editor.store, (s) => edgeView(s.analysis, wire).shape);
  const compact = useStore(editor.store, (s) => edgeView(s.analysis, wire).compact);
  const error = useStore(editor.store, (s) => edgeView(s.analysis, wire).error);
  const [hover, setHover] = useState(false);
  const route = data?.route ?? null;
  let path: string;
  let labelX: number;
  let labelY: number;
  if (route && route.points.length >= 2) {
    path = routedPath(route.points, { x: sourceX, y: sourceY }, { x: targetX, y: targetY });
    const mid = route.label ?? route.points[Math.floor(route.points.length / 2)];
    labelX = mid.x;
    labelY = mid.y;
  } else {
    [path, labelX, labelY] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: CORNER });
  }
  const full = Boolean(selected || hover);
  return (
    <>
      <g onMouseEnter={() => setHover(true)} onMouseLeave={() => setHover(false)}>
        <BaseEdge
          id={id}
          path={path}
          className={`ll-edge${selected ? ' selected' : ''}${error ? ' error' : ''}${route ? ' routed' : ''}`}
          interactionWidth={16}
        />
      </g>
      {compact && (
        <EdgeLabelRenderer>
          <div
            className={`ll-edge-label${selected ? ' selected' : ''}${full ? ' full' : ''}`}
            data-edge-id={id}
            data-testid="edge-shape"
            title={shape}
            onMouseEnter={() => setHover(true)}
            onMouseLeave={() => setHover(false)}
            onClick={() => editor.setSelection({ nodes: [], edges: [id] })}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            {full ? shape : compact}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
});

/** The wire drawn while connecting: red with the reason when the target would refuse it. */
export function ConnectionLine({ fromX, fromY, toX, toY, fromPosition, toPosition, connectionStatus }: ConnectionLineComponentProps): JSX.Element {
  const [path] = getBezierPath({ sourceX: fromX, sourceY: fromY, sourcePosition: fromPosition, targetX: toX, targetY: toY, targetPosition: toPosition });
  const reason = useConnectHint((s) => s.reason);
  const invalid = connectionStatus === 'invalid';
  const text = invalid && reason ? (reason.length > 90 ? reason.slice(0, 87) + '…' : reason) : '';
  return (
    <g className={`ll-connection${invalid ? ' invalid' : connectionStatus === 'valid' ? ' valid' : ''}`}>
      <path d={path} fill="none" />
      {text && (
        <foreignObject x={toX + 12} y={toY + 10} width={320} height={80} style={{ overflow: 'visible' }}>
          <div className="ll-connect-reason">{text}</div>
        </foreignObject>
      )}
    </g>
  );
}
