/**
 * The training panel: settings, Start/Stop, progress with ETA and samples/s, live loss and metric
 * charts (per batch and per epoch, train vs validation), the confusion matrix at the end, and past
 * runs with their curves overlaid for comparison.
 */
import { useEffect, useMemo, useState, type JSX } from 'react';
import { useStore } from 'zustand';
import type { ConfusionMatrix, RunSummary } from '../../shared/api/types.js';
import { CellGallery, type GalleryCell } from './CellGallery.js';
import { DEFAULT_TRAINING, LOSSES, OPTIMIZERS, type TrainingSettings } from '../../shared/training/settings.js';
import { runEditorCommand } from '../editor/commands.js';
import { editor } from '../app/session.js';
import { startTrainingNow } from '../app/appCommands.js';
import { refreshRuns, setCompareMetric, stopTraining, toggleCompare, useTraining } from '../state/trainingStore.js';
import type { TrainingEngine } from '../../shared/training/protocol.js';
import { runEngineLabel } from '../../shared/training/kerasVersions.js';
import { openDialog, useUi } from '../state/uiStore.js';
import { runTitle } from '../../shared/training/weightSource.js';
import { LineChart, type ChartSeries } from '../charts/LineChart.js';
import { Icon } from '../ui/Icon.js';

const TRAIN = '#6d8cff';
const VAL = '#f59e0b';
const RUN_COLORS = ['#6d8cff', '#f59e0b', '#2dd4bf', '#f472b6'];

function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

function metricName(keys: readonly string[]): string | null {
  return keys.find((k) => !k.startsWith('val_') && k !== 'loss') ?? null;
}

function fmt(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

function Settings({ settings, disabled }: { settings: TrainingSettings; disabled: boolean }): JSX.Element {
  const set = (patch: Partial<TrainingSettings>) => runEditorCommand(editor, 'training.setSettings', { settings: { ...settings, ...patch } });
  const num = (key: 'epochs' | 'batchSize' | 'learningRate' | 'validationSplit' | 'seed', label: string, int: boolean, min: number, max: number) => (
    <label className="ll-field compact">
      <span className="ll-field-label">{label}</span>
      <input
        className="ll-input mono"
        type="number"
        disabled={disabled}
        defaultValue={settings[key]}
        key={`${key}-${settings[key]}`}
        min={min}
        max={max}
        step={int ? 1 : 'any'}
        data-testid={`train-${key}`}
        onBlur={(e) => {
          const v = Number(e.target.value);
          if (Number.isFinite(v) && v >= min && v <= max && (!int || Number.isInteger(v)) && v !== settings[key]) set({ [key]: v });
          else e.target.value = String(settings[key]);
        }}
        onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
      />
    </label>
  );
  return (
    <div className="ll-train-settings">
      {num('epochs', 'Epochs', true, 1, 100000)}
      {num('batchSize', 'Batch size', true, 1, 65536)}
      <label className="ll-field compact">
        <span className="ll-field-label">Optimizer</span>
        <select className="ll-input" disabled={disabled} value={settings.optimizer} onChange={(e) => set({ optimizer: e.target.value as TrainingSettings['optimizer'] })}>
          {OPTIMIZERS.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      </label>
      {num('learningRate', 'Learning rate', false, 1e-8, 10)}
      <label className="ll-field compact wide">
        <span className="ll-field-label">Loss</span>
        <select className="ll-input" disabled={disabled} value={settings.loss} title={settings.loss} onChange={(e) => set({ loss: e.target.value as TrainingSettings['loss'] })}>
          {LOSSES.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      </label>
      {num('validationSplit', 'Validation split', false, 0, 0.95)}
      {num('seed', 'Seed', true, -2147483648, 2147483647)}
      <div className="ll-train-toggle wide">
        <label className="ll-switch" aria-label="Early stopping">
          <input type="checkbox" disabled={disabled} checked={settings.earlyStopping.enabled} onChange={(e) => set({ earlyStopping: { ...settings.earlyStopping, enabled: e.target.checked } })} />
          <span className="track" />
        </label>
        <span className="ll-field-label">Early stopping</span>
        <span className="ll-muted small">patience {settings.earlyStopping.patience}</span>
      </div>
    </div>
  );
}

/** A confusion matrix as a heat-mapped table (also used by the run view). */
export function Matrix({ m, onCell }: { m: ConfusionMatrix; onCell?: (actual: number, predicted: number) => void }): JSX.Element {
  const max = Math.max(1, ...m.counts.flat());
  return (
    <div className="ll-matrix-wrap">
      <div className="ll-muted small">Confusion matrix (rows: actual, columns: predicted)</div>
      <table className="ll-matrix" data-testid="confusion-matrix">
        <thead>
          <tr>
            <th />
            {m.labels.map((l) => (
              <th key={l}>{l}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {m.counts.map((row, i) => (
            <tr key={i}>
              <th>{m.labels[i]}</th>
              {row.map((c, j) => (
                <td key={j} className={i === j ? 'diag' : ''} style={{ '--a': String(c / max) } as React.CSSProperties} title={`${m.labels[i]} → ${m.labels[j]}: ${c}`}>
                  {onCell ? (
                    // A cell opens its samples (the misclassified gallery).
                    <button className="ll-matrix-cell" onClick={() => onCell(i, j)} aria-label={`Samples of ${m.labels[i]} predicted as ${m.labels[j]}: ${c}`} data-testid={`matrix-cell-${i}-${j}`}>
                      {c}
                    </button>
                  ) : (
                    c
                  )}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The metrics a set of runs recorded, validation ones first. */
function recordedMetrics(runs: readonly RunSummary[]): string[] {
  const keys = new Set(runs.flatMap((r) => r.history.flatMap((h) => Object.keys(h.metrics))));
  return [...keys].sort((a, b) => Number(b.startsWith('val_')) - Number(a.startsWith('val_')) || a.localeCompare(b));
}

/** 2–4 runs on one metric: every line is the same quantity, so the lines can be compared. */
function CompareChart({ runs }: { runs: readonly RunSummary[] }): JSX.Element | null {
  const metrics = useMemo(() => recordedMetrics(runs), [runs]);
  const chosen = useTraining((s) => s.compareMetric);
  const metric = chosen && metrics.includes(chosen) ? chosen : metrics.includes('val_loss') ? 'val_loss' : (metrics[0] ?? 'loss');
  const data = useMemo(() => {
    const maxEpochs = Math.max(0, ...runs.map((r) => r.history.length));
    const x = Array.from({ length: maxEpochs }, (_, i) => i + 1);
    const series: ChartSeries[] = runs.map((r, i) => ({
      label: runTitle(r),
      values: x.map((e) => r.history.find((h) => h.epoch === e)?.metrics[metric] ?? null),
      color: RUN_COLORS[i % RUN_COLORS.length],
      points: true,
    }));
    const missing = runs.filter((r) => !r.history.some((h) => Number.isFinite(h.metrics[metric]))).map((r) => runTitle(r));
    return { x, series, missing };
  }, [runs, metric]);
  if (runs.length === 0) return null;
  return (
    <div className="ll-compare" data-testid="compare">
      <label className="ll-compare-pick small">
        <span className="ll-muted">Compare on</span>
        <select className="ll-input small" value={metric} onChange={(e) => setCompareMetric(e.target.value)} aria-label="Metric to compare" data-testid="compare-metric">
          {metrics.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </label>
      <LineChart title={`Compare ${metric}`} xLabel="epoch" x={data.x} series={data.series} height={180} />
      {data.missing.length > 0 && <div className="ll-muted small">Not recorded by {data.missing.join(', ')}.</div>}
    </div>
  );
}

/** Opens a run folder by path (a run on its own, e.g. copied from another machine). */
function OpenRunFolder(): JSX.Element {
  const [path, setPath] = useState('');
  return (
    <form
      className="ll-row small"
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim()) openDialog({ kind: 'run', dir: path.trim() });
      }}
    >
      <input className="ll-input mono grow small" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/runs/<run id>" aria-label="Run folder" data-testid="run-folder-input" />
      <button type="submit" className="ll-btn ghost small" disabled={!path.trim()} data-testid="run-folder-open">
        Open run
      </button>
    </form>
  );
}

/** The training panel. */
export function TrainingPanel(): JSX.Element {
  const doc = useStore(editor.store, (s) => s.doc);
  const valid = useStore(editor.store, (s) => s.analysis.valid);
  const projectPath = useStore(editor.store, (s) => s.path);
  const t = useTraining();
  const available = useUi((s) => s.appInfo?.capabilities.training ?? false);
  const settings = doc.training ?? DEFAULT_TRAINING;
  const running = t.phase === 'starting' || t.phase === 'running' || t.phase === 'stopping';
  const [cell, setCell] = useState<GalleryCell | null>(null);

  useEffect(() => {
    if (available) void refreshRuns(projectPath);
  }, [available, projectPath]);

  const charts = useMemo(() => {
    const epochX = t.epochs.map((e) => e.epoch);
    const x = [...t.batchX, ...epochX].sort((a, b) => a - b).filter((v, i, a) => i === 0 || v !== a[i - 1]);
    const at = (xs: readonly number[], ys: readonly number[]) => {
      const m = new Map<number, number>();
      xs.forEach((xv, i) => m.set(xv, ys[i]));
      return x.map((xv) => m.get(xv) ?? null);
    };
    const keys = [...Object.keys(t.batchMetrics), ...t.epochs.flatMap((e) => Object.keys(e.metrics))];
    const metric = metricName(keys);
    const epochVals = (k: string) => t.epochs.map((e) => e.metrics[k] ?? NaN);
    const loss: ChartSeries[] = [
      { label: 'batch', values: at(t.batchX, t.batchMetrics.loss ?? []), color: TRAIN, width: 1, dash: [3, 3] },
      { label: 'train', values: at(epochX, epochVals('loss')), color: TRAIN, width: 2, points: true },
      { label: 'val', values: at(epochX, epochVals('val_loss')), color: VAL, width: 2, points: true },
    ];
    const acc: ChartSeries[] | null = metric
      ? [
          { label: 'batch', values: at(t.batchX, t.batchMetrics[metric] ?? []), color: TRAIN, width: 1, dash: [3, 3] },
          { label: 'train', values: at(epochX, epochVals(metric)), color: TRAIN, width: 2, points: true },
          { label: 'val', values: at(epochX, epochVals(`val_${metric}`)), color: VAL, width: 2, points: true },
        ]
      : null;
    return { x, loss, acc, metric };
  }, [t.batchX, t.batchMetrics, t.epochs]);

  const b = t.lastBatch;
  const progress = t.phase === 'completed' ? 1 : (b?.progress ?? 0);
  const compared = t.runs.filter((r) => t.compare.includes(r.id));
  const why = !valid ? 'Fix the graph’s errors first.' : !doc.dataset ? 'Choose a dataset in the Dataset tab first.' : null;

  return (
    <div className="ll-training" data-testid="training-panel">
      <div className="ll-training-side">
        <Settings settings={settings} disabled={running} />
        <div className="ll-row ll-train-actions">
          {running ? (
            <button className="ll-btn danger" onClick={() => void stopTraining()} disabled={t.phase === 'stopping'} data-testid="train-stop">
              <Icon name="stop" /> {t.phase === 'stopping' ? 'Stopping…' : 'Stop'}
            </button>
          ) : (
            <button className="ll-btn primary" onClick={startTrainingNow} disabled={!available || why !== null} title={why ?? undefined} data-testid="train-start">
              <Icon name="play" /> Start training
            </button>
          )}
          {/* The engine sits beside Start: it is a choice about how to run, and a field of its own
              pushed Start below a short dock. */}
          <select
            className="ll-input ll-train-engine"
            disabled={running}
            value={settings.engine ?? 'tfjs'}
            // A project setting (saved with it, undoable), like the other training settings.
            onChange={(e) => runEditorCommand(editor, 'training.setSettings', { settings: { ...settings, engine: e.target.value as TrainingEngine } })}
            aria-label="Training engine"
            title="Engine. tfjs: TensorFlow.js, nothing to install. Keras: the exported model.py in Python Keras/TensorFlow (graph mode, faster; needs Python with tensorflow and keras — see layerloom doctor)."
            data-testid="train-engine"
          >
            <option value="tfjs">on tfjs</option>
            <option value="keras">on Keras</option>
          </select>
          {(settings.engine ?? 'tfjs') === 'keras' && (
            <button className="ll-tool ll-train-python" onClick={() => openDialog({ kind: 'python' })} aria-label="Python interpreter of the Keras engine…" title="Python interpreter of the Keras engine: which one it runs, its Keras/TensorFlow versions, choose another" data-testid="train-python">
              <Icon name="settings" />
            </button>
          )}
        </div>
        {why && !running && <div className="ll-muted small">{why}</div>}
        {!available && <div className="ll-callout info">Training is not available in this build yet (the training service is not connected).</div>}
      </div>
      <div className="ll-training-main">
        <div className="ll-progress-block">
          <div className="ll-progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)} data-testid="train-progress">
            <span style={{ width: `${progress * 100}%` }} className={t.phase} />
          </div>
          <div className="ll-progress-text small" data-testid="train-status">
            {t.phase === 'idle' && 'Not started.'}
            {t.phase === 'starting' && 'Starting: loading the dataset and building the model…'}
            {(t.phase === 'running' || t.phase === 'stopping') && b && (
              <>
                Epoch <b>{b.epoch}</b>/{t.started?.epochs ?? '?'} · batch {b.batch}/{b.batchesPerEpoch} · <b>{Math.round(b.samplesPerSecond).toLocaleString('en-US')}</b> samples/s · ETA{' '}
                <b>{duration(b.etaSeconds)}</b> · loss {fmt(b.metrics.loss)}
              </>
            )}
            {(t.phase === 'running' || t.phase === 'stopping') && !b && 'Running…'}
            {(t.phase === 'completed' || t.phase === 'stopped' || t.phase === 'failed') && t.finished && (
              <>
                <b className={`ll-status-word ${t.phase}`}>{t.phase}</b>
                {t.finished.message ? ` — ${t.finished.message}` : ''} ·{' '}
                {Object.entries(t.finished.finalMetrics)
                  .map(([k, v]) => `${k} ${fmt(v)}`)
                  .join(' · ')}
              </>
            )}
            {t.started && <span className="ll-muted"> · {t.started.backend} · {t.started.trainSamples.toLocaleString('en-US')} train / {t.started.validationSamples.toLocaleString('en-US')} validation</span>}
          </div>
        </div>
        <div className="ll-charts">
          {/* Before the first batch there is nothing to plot: the hint alone, not an empty chart. */}
          {charts.x.length > 0 && <LineChart title="Loss" xLabel="epoch" x={charts.x} series={charts.loss} height={170} />}
          {charts.acc && charts.x.length > 0 && <LineChart title={charts.metric ?? 'Metric'} xLabel="epoch" x={charts.x} series={charts.acc} height={170} />}
          {charts.x.length === 0 && (
            <div className="ll-chart-empty small">Loss and metric curves (per batch and per epoch, train vs validation) appear here once training starts.</div>
          )}
        </div>
        {t.finished?.confusionMatrix && (
          <Matrix m={t.finished.confusionMatrix} onCell={t.finished.runDir ? (actual, predicted) => setCell(t.finished?.runDir ? { runDir: t.finished.runDir, runId: t.finished.runId, actual, predicted } : null) : undefined} />
        )}
        {cell && <CellGallery cell={cell} onClose={() => setCell(null)} />}
      </div>
      <div className="ll-runs">
        <div className="ll-section-title">
          Runs
          <button className="ll-btn ghost small" onClick={() => void refreshRuns(projectPath)} disabled={!available}>
            Refresh
          </button>
        </div>
        {t.runsError && <div className="ll-muted small">{t.runsError}</div>}
        {!t.runsError && t.runs.length === 0 && <div className="ll-muted small">No runs yet{projectPath ? '' : ' (runs are kept beside a saved project)'}.</div>}
        <ul className="ll-run-list" data-testid="runs">
          {t.runs.map((r) => {
            const last = r.history[r.history.length - 1]?.metrics ?? r.finalMetrics;
            const acc = last.val_accuracy ?? last.accuracy;
            return (
              <li key={r.id} data-run={r.id}>
                <div className="ll-row">
                  <input type="checkbox" checked={t.compare.includes(r.id)} onChange={() => toggleCompare(r.id)} aria-label={`Compare ${runTitle(r)}`} data-testid="run-compare" />
                  <span className={`ll-pill ${r.status}`}>{r.status}</span>
                  <button
                    className="ll-run-open small"
                    title={`${new Date(r.startedAt).toLocaleString()}${r.note ? ` — ${r.note}` : ''}: open this run`}
                    onClick={() => openDialog({ kind: 'run', dir: r.dir })}
                    onContextMenu={(e) => {
                      e.preventDefault();
                      openDialog({ kind: 'run', dir: r.dir });
                    }}
                    data-testid="run-open"
                  >
                    {runTitle(r)}
                  </button>
                </div>
                <span className="ll-muted small mono">
                  {r.history.length}/{r.epochs} ep{acc !== undefined ? ` · acc ${fmt(acc)}` : ''} · <span data-testid="run-engine">{runEngineLabel(r)}</span>
                </span>
              </li>
            );
          })}
        </ul>
        <OpenRunFolder />
        <CompareChart runs={compared} />
      </div>
    </div>
  );
}
