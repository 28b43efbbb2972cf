/**
 * A block on the canvas: category colour, type, label (double-click to rename), key parameters,
 * output shape and parameter count, and a diagnostic badge whose message shows on hover.
 */
import { memo, useEffect, useRef, useState, type CSSProperties, type JSX } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { getBlock } from '../../shared/blocks/registry.js';
import { OPAQUE_LAYER_TYPE } from '../../shared/graph/opaqueLayer.js';
import { runEditorCommand, CommandError } from '../editor/commands.js';
import { editor } from '../app/session.js';
import { toast, useUi } from '../state/uiStore.js';
import { formatCount } from '../../shared/analysis/numbers.js';
import { activationOf, categoryColor, compactCount } from './blockStyle.js';
import { blockRows, blockSize, portFraction } from '../editor/layout.js';
import { useStore } from 'zustand';
import { blockView, type BlockFlowNode } from './flowModel.js';

function RenameInput({ id, label }: { id: string; label: string }): JSX.Element {
  const [value, setValue] = useState(label);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, []);
  const finish = (commit: boolean) => {
    useUi.setState({ renaming: null });
    if (!commit) return;
    try {
      runEditorCommand(editor, 'graph.rename', { nodeId: id, label: value });
    } catch (e) {
      toast('warning', e instanceof CommandError ? e.message : String(e));
    }
  };
  return (
    <input
      ref={ref}
      className="ll-node-rename nodrag"
      value={value}
      aria-label="Block name"
      onChange={(e) => setValue(e.target.value)}
      onBlur={() => finish(true)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') finish(true);
        else if (e.key === 'Escape') finish(false);
        e.stopPropagation();
      }}
    />
  );
}

// The tooltip must float above neighbouring blocks: lift this block while it shows. (A CSS `:has()`
// rule would do it, but makes every DOM change on a large canvas re-check the selector.)
function raise(e: { currentTarget: HTMLElement }): void {
  const wrapper = e.currentTarget.closest<HTMLElement>('.react-flow__node');
  if (wrapper) wrapper.style.zIndex = '2000';
}
function lower(e: { currentTarget: HTMLElement }): void {
  const wrapper = e.currentTarget.closest<HTMLElement>('.react-flow__node');
  if (wrapper) wrapper.style.zIndex = '';
}

/** The node component. */
export const BlockNode = memo(function BlockNode({ id, selected }: NodeProps<BlockFlowNode>): JSX.Element | null {
  // Read from the analysis here, not from the node's data: see BlockFlowNode.
  const view = useStore(editor.store, (s) => blockView(s.analysis, id));
  const renaming = useUi((s) => s.renaming === id);
  if (!view) return null;
  const { node } = view;
  const def = getBlock(node.type);
  const ports = view.ports;
  // Drawn at exactly the size auto-layout reserves (layout.ts), so routed wires meet the ports.
  const style = { '--cat': categoryColor(def), height: blockSize(node).height } as CSSProperties;
  const params = blockRows(node);
  const activation = activationOf(def, node.params);
  // Frozen (Keras's trainable = False): training keeps this layer's weights.
  const frozen = node.params.trainable === false;
  return (
    <div
      className={`ll-node${selected ? ' selected' : ''}${view.severity ? ` has-${view.severity}` : ''}${frozen ? ' frozen' : ''}`}
      style={style}
      data-node-id={id}
      data-node-label={node.label}
      data-node-type={node.type}
    >
      {ports.map((p, i) => (
        <Handle
          key={p.name}
          type="target"
          position={Position.Top}
          id={p.name}
          className={`ll-handle${p.optional ? ' optional' : ''}`}
          style={{ left: `${portFraction(i, ports.length) * 100}%` }}
          title={p.optional ? `${p.label} (optional: may stay unconnected)` : p.label}
          data-port={p.name}
          data-optional={p.optional ? 'true' : undefined}
        >
          {(ports.length > 1 || p.optional) && (
            <span className={`ll-port-label${p.optional ? ' optional' : ''}`} data-testid="port-label">
              {p.label}
              {p.optional && <i> (optional)</i>}
            </span>
          )}
        </Handle>
      ))}
      <div className="ll-node-head">
        {/* An imported layer kept as it was: a short name (its class is the row below). */}
        <span className="ll-node-type">{node.type === OPAQUE_LAYER_TYPE ? 'Unsupported' : node.type}</span>
        {activation && (
          <span className={`ll-node-act${activation === 'linear' ? ' linear' : ''}`} data-testid="node-activation" title={`Activation: ${activation}`}>
            {activation}
          </span>
        )}
        <span className="ll-node-head-fill" />
        {frozen && (
          <span className="ll-node-frozen" data-testid="node-frozen" title="Frozen: training keeps this layer's weights (Trainable is off). Right-click → Unfreeze to train it.">
            ❄
          </span>
        )}
        {view.severity && (
          <span
            className={`ll-badge ${view.severity}`}
            tabIndex={0}
            aria-label={view.diagnostics.map((d) => d.message).join(' ')}
            data-testid="node-badge"
            onMouseEnter={raise}
            onMouseLeave={lower}
            onFocus={raise}
            onBlur={lower}
          >
            {view.severity === 'error' ? '!' : '▲'}
            <span className="ll-tip" role="tooltip">
              {view.diagnostics.map((d, i) => (
                <span key={i} className={`ll-tip-row ${d.severity}`}>
                  <b>{d.code}</b> {d.message}
                </span>
              ))}
            </span>
          </span>
        )}
      </div>
      <div className="ll-node-label" onDoubleClick={() => useUi.setState({ renaming: id })} title="Double-click to rename">
        {renaming ? <RenameInput id={id} label={node.label} /> : node.label}
      </div>
      {params.length > 0 && (
        <div className="ll-node-params">
          {params.map((p) => (
            <span key={p.label} className="ll-kv">
              <span className="k">{p.label}</span>
              <span className="v">{p.value}</span>
            </span>
          ))}
        </div>
      )}
      <div className="ll-node-foot">
        <span className="ll-node-shape" data-testid="node-shape">{view.shape || (view.severity === 'error' ? 'shape ?' : '—')}</span>
        {view.params > 0 && (
          <span className="ll-node-count" title={`${formatCount(view.params)} parameters${view.macs ? ` · ${formatCount(view.macs)} MACs per sample` : ''}`} data-testid="node-count">
            {compactCount(view.params)}
          </span>
        )}
      </div>
      {view.hasOutput &&
        view.outputs.map((o, i) => (
          // One handle per output port; a block with several (an LSTM's out, h, c) names each below it.
          <Handle
            key={o.name}
            type="source"
            position={Position.Bottom}
            id={o.name}
            className="ll-handle ll-handle-out"
            style={{ left: `${portFraction(i, view.outputs.length) * 100}%` }}
            title={o.shape ? `${o.name}: ${o.shape}` : o.name}
            data-port={o.name}
          >
            {view.outputs.length > 1 && (
              <span className="ll-port-label ll-port-label-out" data-testid="output-port-label">
                {o.label}
              </span>
            )}
          </Handle>
        ))}
    </div>
  );
});

