/**
 * The analyzer: what each block costs for one sample — multiply-accumulates (MACs), its output's
 * memory, its weights — as a sortable table with the most expensive blocks first, and the model's
 * totals with memory for one batch. Formulas: docs/analyzer.md. Clicking a row selects and centres
 * its block.
 */
import { memo, useDeferredValue, useMemo, useState, type JSX } from 'react';
import { useStore } from 'zustand';
import { buildSummary } from '../../shared/analysis/summary.js';
import { formatBytes, formatCompact, formatCount } from '../../shared/analysis/numbers.js';
import { exportSizes } from '../../shared/analysis/exportSize.js';
import { editor } from '../app/session.js';
import { canvas } from '../canvas/canvasController.js';

type SortKey = 'order' | 'name' | 'params' | 'macs' | 'output' | 'weights';

interface Row {
  readonly nodeId: string;
  readonly order: number;
  readonly name: string;
  readonly kerasType: string;
  readonly outputShape: string;
  readonly params: number;
  readonly macs: number | null;
  readonly outputBytes: number | null;
  readonly weightBytes: number;
}

const COLUMNS: readonly { key: SortKey; label: string; num: boolean; title: string }[] = [
  { key: 'name', label: 'Layer', num: false, title: 'Layer name and Keras class' },
  { key: 'output', label: 'Output', num: true, title: 'Output shape; memory of one sample’s output (float32)' },
  { key: 'params', label: 'Params', num: true, title: 'Trainable + non-trainable weights' },
  { key: 'weights', label: 'Weights', num: true, title: 'Weight memory (params × 4 bytes)' },
  { key: 'macs', label: 'MACs', num: true, title: 'Multiply-accumulates of one forward pass for one sample' },
];

function value(r: Row, key: SortKey): number | string {
  switch (key) {
    case 'order':
      return r.order;
    case 'name':
      return r.name;
    case 'params':
      return r.params;
    case 'macs':
      return r.macs ?? -1;
    case 'output':
      return r.outputBytes ?? -1;
    case 'weights':
      return r.weightBytes;
  }
}

interface RowProps {
  nodeId: string;
  name: string;
  kerasType: string;
  outputShape: string;
  outputBytes: number | null;
  params: number;
  weightBytes: number;
  macs: number | null;
  share: string;
}

/** One block's row: memoised on what it shows, so an edit re-renders only the rows it changed. */
const AnalyzerRow = memo(function AnalyzerRow(r: RowProps): JSX.Element {
  return (
    <tr
      data-testid="analyzer-row"
      data-node={r.nodeId}
      onClick={() => {
        editor.setSelection({ nodes: [r.nodeId], edges: [] });
        canvas()?.focusNode(r.nodeId);
      }}
    >
      <td>
        <span className="name">{r.name}</span> <span className="ll-muted small">{r.kerasType}</span>
      </td>
      <td className="num mono">
        <span className="small">{r.outputShape}</span> <span className="ll-muted small">{r.outputBytes === null ? '?' : formatBytes(r.outputBytes)}</span>
      </td>
      <td className="num mono" title={formatCount(r.params)}>
        {formatCompact(r.params)}
      </td>
      <td className="num mono">{formatBytes(r.weightBytes)}</td>
      <td className="num mono" data-testid="analyzer-macs" title={r.macs === null ? 'Depends on a variable size' : `${formatCount(r.macs)} multiply-accumulates`}>
        {r.macs === null ? '?' : formatCompact(r.macs)}
      </td>
      <td className="num mono ll-muted">{r.share}</td>
    </tr>
  );
});

/** The analyzer panel. */
export function AnalyzerPanel(): JSX.Element {
  const doc = useDeferredValue(useStore(editor.store, (s) => s.doc));
  const analysis = useDeferredValue(useStore(editor.store, (s) => s.analysis));
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'macs', descending: true });
  const rows = useMemo<Row[]>(() => {
    const summary = buildSummary(doc, analysis);
    return summary.rows.map((r, order) => {
      const cost = analysis.nodes.get(r.nodeId)?.cost;
      return { ...r, order, outputBytes: cost?.outputBytes ?? null, weightBytes: cost?.weightBytes ?? 0 };
    });
  }, [doc, analysis]);
  const sorted = useMemo(() => {
    const out = [...rows];
    out.sort((a, b) => {
      const x = value(a, sort.key);
      const y = value(b, sort.key);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return (sort.descending ? -c : c) || a.order - b.order;
    });
    return out;
  }, [rows, sort]);
  const c = analysis.cost;
  const sizes = useMemo(() => exportSizes(analysis), [analysis]);
  const totalMacs = c.macs;
  const share = (m: number | null): string => {
    if (m === null || totalMacs === 0) return '';
    const p = (100 * m) / totalMacs;
    return p === 0 ? '0%' : p < 0.1 ? '<0.1%' : `${p.toFixed(p >= 10 ? 0 : 1)}%`;
  };

  return (
    <div className="ll-analyzer" data-testid="analyzer">
      <div className="ll-analyzer-totals" data-testid="analyzer-totals">
        <div>
          <span className="k">MACs / sample</span>
          <span className="v mono" title={`${formatCount(totalMacs)} multiply-accumulates`}>
            {c.macsComplete ? '' : '≥ '}
            {formatCompact(totalMacs)}
          </span>
        </div>
        <div>
          <span className="k">Weights</span>
          <span className="v mono">{formatBytes(c.weightBytes)}</span>
        </div>
        <div>
          <span className="k">Activations / sample</span>
          <span className="v mono">{formatBytes(c.activationBytes)}</span>
        </div>
        <div>
          <span className="k">One batch of {c.batchSize}</span>
          <span className="v mono" title="Inference: weights + activations × batch. Training: about 3× that (kept activations and their gradients; gradients and optimizer state of the weights).">
            {formatBytes(c.inferenceBytes)} inference · ≈{formatBytes(c.trainingBytes)} training
          </span>
        </div>
        <div data-testid="analyzer-export-size">
          <span className="k">Export size</span>
          <span className="v mono" title="Weight file size per export format: TensorFlow.js float32, --quantize float16, --quantize uint8 (exact); TFLite dynamic range (estimated: docs/analyzer.md)">
            float32 {formatBytes(sizes.float32)} · float16 {formatBytes(sizes.float16)} · uint8 {formatBytes(sizes.uint8)} · TFLite dynamic ≈{formatBytes(sizes.tfliteDynamic)}
          </span>
        </div>
        {!c.macsComplete && <p className="ll-muted small">Some blocks work on a variable size (None): their MACs depend on the data and are not counted (shown as ?).</p>}
      </div>
      <table className="ll-table ll-analyzer-table">
        <thead>
          <tr>
            {COLUMNS.map((col) => (
              <th
                key={col.key}
                className={col.num ? 'num' : ''}
                title={col.title}
                aria-sort={sort.key === col.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
              >
                <button
                  className="ll-sort"
                  data-testid={`analyzer-sort-${col.key}`}
                  onClick={() => setSort((s) => ({ key: col.key, descending: s.key === col.key ? !s.descending : col.num }))}
                >
                  {col.label}
                  {sort.key === col.key ? (sort.descending ? ' ▾' : ' ▴') : ''}
                </button>
              </th>
            ))}
            <th className="num" title="Share of the model's MACs">
              %
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <AnalyzerRow
              key={r.nodeId}
              nodeId={r.nodeId}
              name={r.name}
              kerasType={r.kerasType}
              outputShape={r.outputShape}
              outputBytes={r.outputBytes}
              params={r.params}
              weightBytes={r.weightBytes}
              macs={r.macs}
              share={share(r.macs)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}
