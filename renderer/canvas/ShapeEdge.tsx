/**
 * A connection, labelled with the tensor shape it carries (`(None, 26, 26, 32)`).
 */
import { memo, type JSX } from 'react';
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type ConnectionLineComponentProps, type EdgeProps } from '@xyflow/react';
import type { ShapeFlowEdge } from './flowModel.js';
import { useConnectHint } from './connectHint.js';

/** The edge component. */
export const ShapeEdge = memo(function ShapeEdge(props: EdgeProps<ShapeFlowEdge>): JSX.Element {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const view = data?.view;
  // A label wider than the gap would sit on the blocks; show it only when there is room or the
  // connection is selected (each block's footer shows its output shape anyway).
  const room = Math.abs(targetX - sourceX) >= 6.7 * (view?.shape.length ?? 0) + 24 || Math.abs(targetY - sourceY) >= 60;
  return (
    <>
      <BaseEdge id={id} path={path} className={`ll-edge${selected ? ' selected' : ''}${view?.error ? ' error' : ''}`} interactionWidth={16} />
      {view?.shape && (room || selected) && (
        <EdgeLabelRenderer>
          <div
            className={`ll-edge-label${selected ? ' selected' : ''}`}
            data-edge-id={id}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            {view.shape}
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
