/**
 * The inspector: for one selected block, its name, shapes, problems with quick fixes and a
 * parameter form generated from the block's schema; for several, bulk actions; for none, the
 * project's name and a Keras-style summary.
 */
import { memo, useDeferredValue, useEffect, useMemo, useState, type JSX } from 'react';
import { useStore } from 'zustand';
import { buildSummary } from '../../shared/analysis/summary.js';
import { formatBytes, formatCompact, formatCount } from '../../shared/analysis/numbers.js';
import { layerNamesFor } from '../../shared/graph/layerNames.js';
import { getBlock } from '../../shared/blocks/registry.js';
import { formatShape } from '../../shared/blocks/shapeUtils.js';
import { CommandError, runEditorCommand } from '../editor/commands.js';
import { quickFixesFor } from '../../shared/editing/quickFixes.js';
import { editor } from '../app/session.js';
import { runCommand } from '../app/appCommands.js';
import { categoryColor } from '../canvas/blockStyle.js';
import { canvas } from '../canvas/canvasController.js';
import { toast } from '../state/uiStore.js';
import { Icon } from '../ui/Icon.js';
import { ParamField } from './ParamField.js';

function tryRun(f: () => void): void {
  try {
    f();
  } catch (e) {
    toast(e instanceof CommandError ? 'warning' : 'error', e instanceof Error ? e.message : String(e));
  }
}

/** A text field that commits on blur/Enter (names). */
function CommitInput({ value, onCommit, label, testId }: { value: string; onCommit: (v: string) => void; label: string; testId?: string }): JSX.Element {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return (
    <input
      className="ll-input"
      value={draft}
      aria-label={label}
      data-testid={testId}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={() => draft !== value && onCommit(draft)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
        if (e.key === 'Escape') {
          setDraft(value);
          (e.target as HTMLInputElement).blur();
        }
      }}
    />
  );
}

function NodeInspector({ nodeId }: { nodeId: string }): JSX.Element | null {
  const node = useStore(editor.store, (s) => s.doc.nodes.find((n) => n.id === nodeId));
  const info = useStore(editor.store, (s) => s.analysis.nodes.get(nodeId));
  const doc = useStore(editor.store, (s) => s.doc);
  const analysis = useStore(editor.store, (s) => s.analysis);
  const [showAdvanced, setShowAdvanced] = useState(false);
  const def = node ? getBlock(node.type) : undefined;
  // What the exported code and the summary call this layer (labels are sanitised and made unique).
  const layerName = useMemo(() => layerNamesFor(doc.nodes).get(nodeId), [doc.nodes, nodeId]);
  const fixes = useMemo(() => {
    if (!info) return [];
    return info.diagnostics.map((d) => {
      const index = analysis.diagnostics.indexOf(d);
      return { d, index, fixes: quickFixesFor(doc, analysis, d) };
    });
  }, [doc, analysis, info]);
  if (!node) return null;
  // Between two blocks: deleting it can wire its neighbours together.
  const isMiddle = doc.edges.filter((e) => e.target === nodeId).length === 1 && doc.edges.some((e) => e.source === nodeId);
  const diagnostics = info?.diagnostics ?? [];
  // Options that do not apply to the block's other values (a constraint's numbers under "none")
  // stay out of the way, unless they have a problem to show.
  const shown = (def?.params ?? []).filter((p) => !p.shownWhen || p.shownWhen(node.params) || diagnostics.some((d) => d.param === p.name));
  const basic = shown.filter((p) => !p.advanced);
  const advanced = shown.filter((p) => p.advanced);
  return (
    <div className="ll-inspector-body" data-testid="inspector" data-node-id={nodeId}>
      <div className="ll-insp-head">
        <span className="ll-type-chip" style={{ background: categoryColor(def) }} />
        <div>
          <div className="ll-insp-type">{node.type}</div>
          <div className="ll-muted small">{def?.category ?? 'Unknown block'}</div>
        </div>
      </div>
      <div className="ll-field">
        <label className="ll-field-label">Name</label>
        <CommitInput value={node.label} label="Block name" testId="inspector-name" onCommit={(label) => tryRun(() => runEditorCommand(editor, 'graph.rename', { nodeId, label }))} />
        {layerName && layerName !== node.label && (
          <div className="ll-muted small" data-testid="inspector-layer-name">
            Exported as <span className="mono">{layerName}</span>
          </div>
        )}
      </div>
      <div className="ll-stats">
        <div className="wide">
          <span className="k">Output shape</span>
          <span className="v mono" data-testid="inspector-shape">{info?.shape ? formatShape(info.shape) : '?'}</span>
        </div>
        {info && info.inputShapes.length > 0 && (
          <div className="wide">
            <span className="k">Input shape{info.inputShapes.length > 1 ? 's' : ''}</span>
            <span className="v mono">{info.inputShapes.map((s) => formatShape(s)).join('  ·  ')}</span>
          </div>
        )}
        <div>
          <span className="k">Trainable params</span>
          <span className="v mono" title={formatCount(info?.params.trainable ?? 0)}>
            {(info?.params.trainable ?? 0) < 1e9 ? formatCount(info?.params.trainable ?? 0) : formatCompact(info?.params.trainable ?? 0)}
          </span>
        </div>
        <div>
          <span className="k">Non-trainable</span>
          <span className="v mono">{formatCount(info?.params.nonTrainable ?? 0)}</span>
        </div>
        {info?.shape && (
          <>
            <div title="Multiply-accumulates of one forward pass for one sample (docs/analyzer.md)">
              <span className="k">MACs / sample</span>
              <span className="v mono" data-testid="inspector-macs" title={info.cost.macs === null ? undefined : `${formatCount(info.cost.macs)} multiply-accumulates`}>
                {info.cost.macs === null ? 'varies (None)' : info.cost.macs < 1e9 ? formatCount(info.cost.macs) : formatCompact(info.cost.macs)}
              </span>
            </div>
            <div className="wide" title="This block's output for one sample, and its weights (float32)">
              <span className="k">Output memory · weights</span>
              <span className="v mono">
                {info.cost.outputBytes === null ? '?' : formatBytes(info.cost.outputBytes)} · {formatBytes(info.cost.weightBytes)}
              </span>
            </div>
          </>
        )}
      </div>
      {diagnostics.length > 0 && (
        <div className="ll-insp-problems">
          {fixes.map(({ d, index, fixes: fs }) => (
            <div key={`${d.code}-${index}`} className={`ll-problem ${d.severity}`}>
              <Icon name={d.severity === 'error' ? 'error' : 'warning'} />
              <div>
                <div>
                  <b className="mono">{d.code}</b> {d.message}
                </div>
                {fs.map((f) => (
                  <button key={f.id} className="ll-btn small accent" data-testid={`quickfix-${f.id}`} onClick={() => tryRun(() => runEditorCommand(editor, 'graph.applyQuickFix', { diagnosticIndex: index, fixId: f.id }))}>
                    <Icon name="wand" size={14} /> {f.title}
                  </button>
                ))}
              </div>
            </div>
          ))}
        </div>
      )}
      {basic.length > 0 && <div className="ll-section-title">Parameters</div>}
      {basic.map((spec) => (
        <ParamField key={spec.name} nodeId={nodeId} spec={spec} value={node.params[spec.name]} diagnostics={diagnostics} />
      ))}
      {advanced.length > 0 && (
        <>
          <button className="ll-section-title ll-collapser" aria-expanded={showAdvanced} onClick={() => setShowAdvanced(!showAdvanced)}>
            <Icon name="chevron" size={12} className={showAdvanced ? 'open' : ''} /> Advanced ({advanced.length})
          </button>
          {showAdvanced && advanced.map((spec) => <ParamField key={spec.name} nodeId={nodeId} spec={spec} value={node.params[spec.name]} diagnostics={diagnostics} />)}
        </>
      )}
      {def && <p className="ll-muted small ll-desc">{def.description}</p>}
      {isMiddle && (
        <div className="ll-row wrap">
          <button className="ll-btn" onClick={() => runCommand('selection.deleteReconnect')} data-testid="delete-reconnect" title="Delete this block and wire what fed it to what it fed (Shift+Delete)">
            <Icon name="trash" /> Delete and reconnect neighbours
          </button>
        </div>
      )}
    </div>
  );
}

const focusBlock = (nodeId: string) => {
  editor.setSelection({ nodes: [nodeId], edges: [] });
  canvas()?.focusNode(nodeId);
};

/**
 * One summary row: memoised on what it shows, so an edit re-renders only the rows it changed. A
 * grid row rather than a table row: each row is laid out on its own (a table re-measures every
 * row's columns when one cell changes: on a 500-block graph that cost more than the canvas
 * itself), and `content-visibility: auto` lets the browser skip rows scrolled out of view.
 */
const SummaryRow = memo(function SummaryRow(r: { nodeId: string; name: string; kerasType: string; outputShape: string; params: number }): JSX.Element {
  return (
    <div className="ll-summary-row" role="row" onClick={() => focusBlock(r.nodeId)}>
      <div role="cell">
        <div className="name">{r.name}</div>
        <div className="ll-muted small">
          {r.kerasType} <span className="mono shape">{r.outputShape}</span>
        </div>
      </div>
      <div role="cell" className="num mono">
        {formatCount(r.params)}
      </div>
    </div>
  );
});

function ProjectInspector(): JSX.Element {
  // Deferred: the summary of a large graph renders at low priority, in slices React can interrupt,
  // and a newer edit replaces it unfinished. It may still run before the next frame; it only never
  // holds up the urgent render of the canvas.
  const doc = useDeferredValue(useStore(editor.store, (s) => s.doc));
  const analysis = useDeferredValue(useStore(editor.store, (s) => s.analysis));
  const summary = useMemo(() => buildSummary(doc, analysis), [doc, analysis]);
  return (
    <div className="ll-inspector-body" data-testid="inspector-project">
      <div className="ll-field">
        <label className="ll-field-label">Project name</label>
        <CommitInput value={doc.name} label="Project name" onCommit={(name) => tryRun(() => runEditorCommand(editor, 'project.rename', { name }))} />
      </div>
      <div className="ll-stats">
        <div>
          <span className="k">Blocks</span>
          <span className="v mono">{doc.nodes.length}</span>
        </div>
        <div>
          <span className="k">Connections</span>
          <span className="v mono">{doc.edges.length}</span>
        </div>
        <div>
          <span className="k">Trainable</span>
          <span className="v mono">{formatCount(summary.trainable)}</span>
        </div>
        <div>
          <span className="k">Non-trainable</span>
          <span className="v mono">{formatCount(summary.nonTrainable)}</span>
        </div>
      </div>
      <div className="ll-section-title">Model summary</div>
      {/* Two columns, the shape under the type: a narrow inspector wraps a long name instead of
          cutting it off (a third column squeezed the names to a letter or two). */}
      <div className="ll-summary" role="table" aria-label="Model summary" data-testid="model-summary">
        <div className="ll-summary-row head" role="row">
          <div role="columnheader">Layer · output shape</div>
          <div role="columnheader" className="num">
            Params
          </div>
        </div>
        <div role="rowgroup">
          {summary.rows.map((r) => (
            <SummaryRow key={r.nodeId} nodeId={r.nodeId} name={r.name} kerasType={r.kerasType} outputShape={r.outputShape} params={r.params} />
          ))}
        </div>
      </div>
      <p className="ll-muted small">Select a block to edit its parameters.</p>
    </div>
  );
}

/** The inspector sidebar. */
export function Inspector(): JSX.Element {
  const selection = useStore(editor.store, (s) => s.selection);
  const count = selection.nodes.length;
  return (
    <aside className="ll-inspector" aria-label="Inspector">
      <div className="ll-panel-title">{count === 1 ? 'Block' : count > 1 ? 'Selection' : 'Project'}</div>
      {count === 1 && <NodeInspector key={selection.nodes[0]} nodeId={selection.nodes[0]} />}
      {count === 0 && <ProjectInspector />}
      {count > 1 && (
        <div className="ll-inspector-body">
          <p>
            <b>{count}</b> blocks{selection.edges.length ? ` and ${selection.edges.length} connections` : ''} selected.
          </p>
          <div className="ll-row wrap">
            <button className="ll-btn" onClick={() => runCommand('selection.duplicate')}>
              <Icon name="duplicate" /> Duplicate
            </button>
            <button className="ll-btn" onClick={() => runCommand('clipboard.copy')}>
              <Icon name="copy" /> Copy
            </button>
            <button className="ll-btn danger" onClick={() => runCommand('selection.delete')}>
              <Icon name="trash" /> Delete
            </button>
          </div>
          <p className="ll-muted small">Drag any selected block to move them together; one undo step.</p>
        </div>
      )}
    </aside>
  );
}
