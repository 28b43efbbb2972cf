/**
 * The dataset panel: choose a folder or CSV (native dialog in Electron, a path field in the
 * browser), see what it holds, and make the model fit it in one step.
 */
import { useEffect, useState, type JSX } from 'react';
import { create } from 'zustand';
import { useStore } from 'zustand';
import type { DatasetReport } from '../../shared/api/types.js';
import { formatShape } from '../../shared/blocks/shapeUtils.js';
import { resolveProjectPath, storedProjectPath } from '../../shared/graph/projectPaths.js';
import { CommandError, runEditorCommand } from '../editor/commands.js';
import { editor } from '../app/session.js';
import { api, errorDetails, errorMessage, isNotAvailable } from '../platform/api.js';
import { toast, useUi } from '../state/uiStore.js';
import { Icon } from '../ui/Icon.js';
import { browseForPath, folderOf } from '../chrome/FileBrowser.js';

/** The last scan survives switching tabs, but not loading another project (`epoch`); `typed` is the path as it was typed when scanned. */
const useLastScan = create<{ report: DatasetReport | null; epoch: number; typed: string }>(() => ({ report: null, epoch: 0, typed: '' }));

/** The absolute path a typed or stored path stands for now, or the reason it stands for none. */
function resolveNow(path: string, projectPath: string | null): { path: string } | { error: string } {
  try {
    return { path: resolveProjectPath(path, projectPath) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The dataset panel. */
export function DatasetPanel(): JSX.Element {
  const dataset = useStore(editor.store, (s) => s.doc.dataset);
  const projectPath = useStore(editor.store, (s) => s.path);
  const info = useUi((s) => s.appInfo);
  const [path, setPath] = useState(dataset?.path ?? '');
  const epoch = useUi((s) => s.projectEpoch);
  const report = useLastScan((s) => (s.epoch === epoch ? s.report : null));
  const scannedAs = useLastScan((s) => s.typed);
  const setReport = (r: DatasetReport | null, typed = '') => useLastScan.setState({ report: r, epoch: useUi.getState().projectEpoch, typed });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; details: readonly string[]; unavailable: boolean } | null>(null);

  useEffect(() => setPath(dataset?.path ?? ''), [dataset?.path]);

  // A scan no longer matches when the path it was made for now resolves elsewhere (the project was
  // saved in another folder, or the path was edited).
  const datasetAt = dataset ? resolveNow(dataset.path, projectPath) : null;
  const current = report ? resolveNow(scannedAs === path.trim() || !path.trim() ? scannedAs : path.trim(), projectPath) : null;
  const stale = report && current && ('error' in current || current.path !== report.path) ? current : null;

  /**
   * Scans `p`. For a CSV the target is `targetColumn` when given, else the project's stored target
   * when `p` is the project's dataset, else the file's last column.
   */
  const scan = async (p: string, targetColumn?: string) => {
    if (!p.trim()) return;
    const target = targetColumn ?? (dataset?.path === p.trim() ? dataset.targetColumn : undefined);
    // One rule for every path of a project (shared/graph/projectPaths.ts): relative to the project file.
    const resolved = resolveNow(p.trim(), projectPath);
    if ('error' in resolved) {
      setReport(null);
      setError({ message: resolved.error, details: [], unavailable: false });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setReport(await api.scanDataset({ path: resolved.path, projectPath, ...(target !== undefined ? { targetColumn: target } : {}) }), p.trim());
    } catch (e) {
      setReport(null);
      setError({ message: errorMessage(e), details: errorDetails(e), unavailable: isNotAvailable(e) });
    } finally {
      setBusy(false);
    }
  };

  const browse = async () => {
    // Electron: the native dialog; the browser host: the host-backed file browser.
    const start = path.trim() || (projectPath ? `${folderOf(projectPath)}/` : `${info?.defaultDirectory ?? ''}/`);
    const chosen = info?.capabilities.nativeDialogs
      ? await api.pickPath({ purpose: 'datasetFolder', ...(path ? { defaultPath: path } : {}) }).catch(() => null)
      : await browseForPath({ mode: 'data', title: 'Choose a dataset (a folder of class folders, or a CSV file)', initialPath: start, actionLabel: 'Use this' });
    if (chosen) {
      setPath(chosen);
      void scan(chosen);
    }
  };

  const use = () => {
    if (!report) return;
    try {
      // Stored relative to the project file once it is saved, absolute until then.
      const changes = runEditorCommand(editor, 'dataset.apply', { report, path: storedProjectPath(report.path, projectPath) });
      toast('success', `Model fitted to the dataset: ${changes.join('; ')}.`);
    } catch (e) {
      toast(e instanceof CommandError ? 'warning' : 'error', errorMessage(e));
    }
  };

  return (
    <div className="ll-dataset" data-testid="dataset-panel">
      <div className="ll-row">
        <input
          className="ll-input mono grow"
          placeholder="Folder of class sub-folders, or a .csv file"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && void scan(path)}
          aria-label="Dataset path"
          data-testid="dataset-path"
        />
        <button className="ll-btn" onClick={() => void browse()} data-testid="dataset-browse">
          <Icon name="folder" /> Browse…
        </button>
        <button className="ll-btn primary" disabled={busy || !path.trim()} onClick={() => void scan(path)} data-testid="dataset-scan">
          <Icon name="search" /> {busy ? 'Scanning…' : 'Scan'}
        </button>
      </div>
      {info && info.sampleDatasets.length > 0 && (
        <div className="ll-row small ll-muted">
          Bundled:
          {info.sampleDatasets.map((d) => (
            <button key={d.path} className="ll-chip" onClick={() => (setPath(d.path), void scan(d.path))}>
              {d.name}
            </button>
          ))}
        </div>
      )}
      {stale && report && (
        <div className="ll-callout warning" role="status" data-testid="dataset-stale">
          <b>This scan is out of date. </b>
          It read <span className="mono">{report.path}</span>, but {'error' in stale ? stale.error : <>the path now points to <span className="mono">{stale.path}</span></>}. Scan again before using it.
        </div>
      )}
      {dataset && (
        <div className="ll-muted small" data-testid="dataset-project-path">
          Project dataset: <span className="mono">{dataset.path}</span>
          {datasetAt && 'path' in datasetAt && datasetAt.path !== dataset.path && <span className="mono"> → {datasetAt.path}</span>}
          {dataset.kind ? ` (${dataset.kind})` : ''}
          {dataset.targetColumn ? `, predicting “${dataset.targetColumn}”` : ''}
        </div>
      )}
      {error && (
        <div className={`ll-callout ${error.unavailable ? 'info' : 'error'}`} role="alert">
          <b>{error.unavailable ? 'Not available yet. ' : 'Cannot read the dataset. '}</b>
          {error.message}
          {error.details.length > 1 && (
            <ul>
              {error.details.map((d, i) => (
                <li key={i}>{d}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {report && (
        <div className="ll-dataset-report" data-testid="dataset-report">
          <div className="ll-cards">
            <div className="ll-card">
              <span className="k">Kind</span>
              <span className="v">{report.kind}</span>
            </div>
            <div className="ll-card">
              <span className="k">Samples</span>
              <span className="v mono">{report.sampleCount.toLocaleString('en-US')}</span>
            </div>
            <div className="ll-card">
              <span className="k">Classes</span>
              <span className="v mono">{report.classes.length || '—'}</span>
            </div>
            <div className="ll-card">
              <span className="k">Input shape</span>
              <span className="v mono">{report.inputShape ? formatShape(report.inputShape) : '?'}</span>
            </div>
            {report.csv && (
              <label className="ll-card">
                <span className="k">Predict column</span>
                <select
                  className="ll-input mono small"
                  value={report.csv.target}
                  disabled={busy}
                  onChange={(e) => void scan(path, e.target.value)}
                  aria-label="Target column"
                  data-testid="dataset-target"
                >
                  {report.csv.columns.map((c) => (
                    <option key={c.name} value={c.name}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </label>
            )}
            <div className="ll-card">
              <span className="k">Loss</span>
              <span className="v mono small">{report.suggestedLoss}</span>
            </div>
            <button className="ll-btn primary" onClick={use} disabled={stale !== null} title={stale ? 'Scan again first: this scan is out of date.' : undefined} data-testid="dataset-use">
              <Icon name="check" /> Use for this model
            </button>
          </div>
          <div className={`ll-dataset-cols${report.csv ? ' csv' : ''}`}>
            {(report.classes.length > 0 || report.csv) && (
              <div className="ll-dataset-left">
                {report.classes.length > 0 && (
                  <div className="ll-classes">
                    {report.classes.map((c) => {
                      const max = Math.max(...report.classes.map((x) => x.count));
                      return (
                        <div key={c.name} className="ll-class-row">
                          <span className="name">{c.name}</span>
                          <span className="bar">
                            <span style={{ width: `${(100 * c.count) / Math.max(1, max)}%` }} />
                          </span>
                          <span className="mono small">{c.count}</span>
                        </div>
                      );
                    })}
                  </div>
                )}
                {report.csv && (
                  <div className="ll-csv-columns" data-testid="dataset-columns">
                    <div className="ll-muted small">
                      {report.csv.columns.length} columns · {report.csv.featureCount} model inputs · {report.csv.rows.toLocaleString('en-US')} rows
                    </div>
                    <table className="ll-table small">
                      <thead>
                        <tr>
                          <th>Column</th>
                          <th>Use</th>
                          <th>Type</th>
                          <th className="num">Distinct</th>
                          <th className="num">Empty</th>
                          <th className="num">Inputs</th>
                        </tr>
                      </thead>
                      <tbody>
                        {report.csv.columns.map((c) => (
                          <tr key={c.name} className={c.role}>
                            <td className="mono">{c.name}</td>
                            <td title={c.reason}>{c.role === 'rejected' ? `left out: ${c.reason ?? ''}` : c.role}</td>
                            <td>{c.type}</td>
                            <td className="num mono">{c.distinct}</td>
                            <td className="num mono">{c.missing}</td>
                            <td className="num mono">{c.role === 'feature' ? c.width : '—'}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </div>
            )}
            {report.samples.length > 0 && (
              <div className="ll-samples">
                {report.samples.map((s, i) =>
                  s.dataUrl ? (
                    <figure key={i}>
                      <img src={s.dataUrl} alt={s.label} />
                      <figcaption>{s.label}</figcaption>
                    </figure>
                  ) : (
                    <div key={i} className="ll-sample-text mono small">
                      <b>{s.label}</b> {s.text}
                    </div>
                  ),
                )}
              </div>
            )}
          </div>
          {report.warnings.map((w, i) => (
            <div key={i} className="ll-callout warning">
              {w}
            </div>
          ))}
          {report.skipped.length > 0 && (
            <details className="ll-skipped">
              <summary>{report.skipped.length} files skipped</summary>
              <ul>
                {report.skipped.slice(0, 100).map((s, i) => (
                  <li key={i}>
                    <span className="mono">{s.path}</span> — {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
      {!report && !error && (
        <p className="ll-muted small">
          Image datasets: one sub-folder per class (<span className="mono">digits/0/*.png</span>, <span className="mono">digits/1/*.png</span>…). CSV: one row per sample, the
          last column (or the one you choose) is predicted.
        </p>
      )}
    </div>
  );
}
