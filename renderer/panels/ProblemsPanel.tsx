/**
 * Every diagnostic of the graph with its code; clicking one selects and centres its block.
 * Verified quick fixes are offered inline.
 */
import { useDeferredValue, useMemo, type JSX } from 'react';
import { useStore } from 'zustand';
import { DIAGNOSTICS } from '../../shared/analysis/diagnostics.js';
import { CommandError, runEditorCommand } from '../editor/commands.js';
import { quickFixesFor } from '../../shared/editing/quickFixes.js';
import { editor } from '../app/session.js';
import { canvas } from '../canvas/canvasController.js';
import { toast } from '../state/uiStore.js';
import { Icon } from '../ui/Icon.js';

/** Quick fixes are computed for this many problems at most (each one is verified by re-analysing). */
const MAX_FIXED = 40;
/** Rows listed (a graph with thousands of problems needs fixing at the top first). */
const MAX_ROWS = 300;

/** The problems panel. */
export function ProblemsPanel(): JSX.Element {
  // Deferred: verifying quick fixes re-analyses the graph per candidate, so on large graphs this
  // panel renders at low priority, interruptible and dropped when a newer edit comes, never
  // holding up the canvas's urgent render (it is not guaranteed to wait for the canvas's paint).
  const doc = useDeferredValue(useStore(editor.store, (s) => s.doc));
  const analysis = useDeferredValue(useStore(editor.store, (s) => s.analysis));
  const rows = useMemo(
    () =>
      analysis.diagnostics.slice(0, MAX_ROWS).map((d, index) => ({
        d,
        index,
        label: d.nodeId ? (doc.nodes.find((n) => n.id === d.nodeId)?.label ?? d.nodeId) : 'Graph',
        fixes: index < MAX_FIXED ? quickFixesFor(doc, analysis, d) : [],
      })),
    [doc, analysis],
  );
  if (rows.length === 0) {
    return (
      <div className="ll-empty-state" data-testid="problems-empty">
        <Icon name="check" size={22} />
        <div>
          <b>No problems.</b> Every shape fits; the model compiles.
        </div>
      </div>
    );
  }
  return (
    <table className="ll-table ll-problems" data-testid="problems">
      <tbody>
        {rows.map(({ d, index, label, fixes }) => (
          <tr
            key={index}
            className={`ll-problem-row ${d.severity}`}
            data-code={d.code}
            onClick={() => {
              if (!d.nodeId) return;
              editor.setSelection({ nodes: [d.nodeId], edges: [] });
              canvas()?.focusNode(d.nodeId);
            }}
          >
            <td className="sev">
              <Icon name={d.severity === 'error' ? 'error' : 'warning'} />
            </td>
            <td className="code mono" title={DIAGNOSTICS[d.code].title}>
              {d.code}
            </td>
            <td className="where">{label}</td>
            <td className="msg">{d.message}</td>
            <td className="fix">
              {fixes.map((f) => (
                <button
                  key={f.id}
                  className="ll-btn small accent"
                  onClick={(e) => {
                    e.stopPropagation();
                    try {
                      runEditorCommand(editor, 'graph.applyQuickFix', { diagnosticIndex: index, fixId: f.id });
                    } catch (err) {
                      toast(err instanceof CommandError ? 'warning' : 'error', String((err as Error).message));
                    }
                  }}
                >
                  <Icon name="wand" size={14} /> {f.title}
                </button>
              ))}
            </td>
          </tr>
        ))}
        {analysis.diagnostics.length > MAX_ROWS && (
          <tr>
            <td colSpan={5} className="ll-muted small">
              …and {analysis.diagnostics.length - MAX_ROWS} more.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
