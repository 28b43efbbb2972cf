/**
 * One run, opened from the runs list (or a run folder opened on its own): its curves, confusion
 * matrix and per-class precision/recall, settings, engine, and what changed in the graph since it
 * trained; and its name and note, which can be edited.
 */
import { useEffect, useMemo, useState, type JSX } from 'react';
import { useStore } from 'zustand';
import type { RunDetails } from '../../shared/api/types.js';
import { diffGraphs, type GraphDiff } from '../../shared/graph/graphDiff.js';
import type { TrainingSettings } from '../../shared/training/settings.js';
import { formatMetric, runMonitor, runScore, runTitle } from '../../shared/training/weightSource.js';
import { editor } from '../app/session.js';
import { LineChart, type ChartSeries } from '../charts/LineChart.js';
import { api, errorMessage } from '../platform/api.js';
import { refreshRuns } from '../state/trainingStore.js';
import { toast } from '../state/uiStore.js';
import { CellGallery, type GalleryCell } from './CellGallery.js';
import { Matrix } from './TrainingPanel.js';

const TRAIN = '#6d8cff';
const VAL = '#f59e0b';

function pct(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—';
}

function settingsRows(s: TrainingSettings): [string, string][] {
  return [
    ['Optimizer', s.optimizer],
    ['Learning rate', String(s.learningRate)],
    ['Learning-rate decay', String(s.learningRateDecay)],
    ['Loss', s.loss],
    ['Metrics', s.metrics.join(', ') || '—'],
    ['Epochs', String(s.epochs)],
    ['Batch size', String(s.batchSize)],
    ['Validation split', String(s.validationSplit)],
    ['Early stopping', s.earlyStopping.enabled ? `on, ${s.earlyStopping.monitor}, patience ${s.earlyStopping.patience}${s.earlyStopping.restoreBestWeights ? ', restore best' : ''}` : 'off'],
    ['Seed', String(s.seed)],
    ['Augment', s.augment ? 'on' : 'off'],
  ];
}

function DiffView({ diff }: { diff: GraphDiff }): JSX.Element {
  if (diff.same) return <p className="small ll-muted" data-testid="run-diff">The current graph is the one this run trained.</p>;
  return (
    <ul className="ll-run-diff small" data-testid="run-diff">
      {diff.added.map((b) => (
        <li key={`a${b.id}`} className="added">
          + {b.type} <b>{b.label}</b> added
        </li>
      ))}
      {diff.removed.map((b) => (
        <li key={`r${b.id}`} className="removed">
          − {b.type} <b>{b.label}</b> removed
        </li>
      ))}
      {diff.changed.map((b) => (
        <li key={`c${b.id}`} className="changed">
          ~ {b.type} <b>{b.label}</b>
          {b.labelBefore ? ` (was “${b.labelBefore}”)` : ''}
          {b.params.map((p) => (
            <span key={p.name} className="mono">
              {' '}
              {p.name}: {p.before ?? 'unset'} → {p.after ?? 'unset'}
            </span>
          ))}
        </li>
      ))}
      {diff.connectionsAdded.map((c) => (
        <li key={`ca${c}`} className="added">
          + connection {c}
        </li>
      ))}
      {diff.connectionsRemoved.map((c) => (
        <li key={`cr${c}`} className="removed">
          − connection {c}
        </li>
      ))}
    </ul>
  );
}

/** The run view (inside a dialog). */
export function RunView({ dir }: { dir: string }): JSX.Element {
  const [details, setDetails] = useState<RunDetails | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [note, setNote] = useState('');
  const [saving, setSaving] = useState(false);
  const [cell, setCell] = useState<GalleryCell | null>(null);
  const current = useStore(editor.store, (s) => s.doc);
  const projectPath = useStore(editor.store, (s) => s.path);

  useEffect(() => {
    let live = true;
    api.openRun(dir).then(
      (d) => {
        if (!live) return;
        setDetails(d);
        setName(d.run.name ?? '');
        setNote(d.run.note ?? '');
      },
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [dir]);

  const charts = useMemo(() => {
    if (!details) return null;
    const h = details.run.history;
    const x = h.map((e) => e.epoch);
    const keys = new Set(h.flatMap((e) => Object.keys(e.metrics)));
    const metric = [...keys].find((k) => !k.startsWith('val_') && k !== 'loss') ?? null;
    const line = (k: string, label: string, color: string): ChartSeries => ({ label, values: h.map((e) => e.metrics[k] ?? null), color, width: 2, points: true });
    return {
      x,
      loss: [line('loss', 'train', TRAIN), ...(keys.has('val_loss') ? [line('val_loss', 'val', VAL)] : [])],
      metric,
      acc: metric ? [line(metric, 'train', TRAIN), ...(keys.has(`val_${metric}`) ? [line(`val_${metric}`, 'val', VAL)] : [])] : null,
    };
  }, [details]);

  const diff = useMemo(() => (details?.graph ? diffGraphs(details.graph, current) : null), [details, current]);

  if (error) return <div className="ll-callout error" role="alert">{error}</div>;
  if (!details || !charts) return <p className="ll-muted small">Opening the run…</p>;
  const { run, evaluation } = details;
  const best = runScore(run, 'best');
  const save = () => {
    setSaving(true);
    api.labelRun({ dir: run.dir, name, note }).then(
      (r) => {
        setSaving(false);
        setDetails({ ...details, run: r });
        toast('success', `Saved the name and note of ${runTitle(r)}.`);
        void refreshRuns(projectPath);
      },
      (e: unknown) => {
        setSaving(false);
        toast('error', errorMessage(e));
      },
    );
  };
  return (
    <div className="ll-run-view" data-testid="run-view">
      <div className="ll-row wrap">
        <span className={`ll-pill ${run.status}`}>{run.status}</span>
        <b data-testid="run-title">{runTitle(run)}</b>
        <span className="mono small ll-muted">{run.id}</span>
      </div>
      <div className="ll-run-label">
        <label className="ll-field">
          <span className="ll-field-label">Name</span>
          <input className="ll-input" value={name} maxLength={120} placeholder={runTitle({ ...run, name: undefined })} onChange={(e) => setName(e.target.value)} data-testid="run-name" />
        </label>
        <label className="ll-field grow">
          <span className="ll-field-label">Note</span>
          <input className="ll-input" value={note} maxLength={4000} placeholder="What this run tried" onChange={(e) => setNote(e.target.value)} data-testid="run-note" />
        </label>
        <button className="ll-btn" disabled={saving || (name === (run.name ?? '') && note === (run.note ?? ''))} onClick={save} data-testid="run-label-save">
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
      <div className="ll-cards">
        <div className="ll-card">
          <span className="k">Engine · backend · device</span>
          <span className="v small" data-testid="run-backend">
            {run.engine ?? 'tfjs'} · {run.backend}
          </span>
        </div>
        <div className="ll-card">
          <span className="k">Epochs</span>
          <span className="v mono">
            {run.epochsCompleted}/{run.epochs}
          </span>
        </div>
        {best && (
          <div className="ll-card">
            <span className="k">Best ({runMonitor(run)})</span>
            <span className="v mono">
              {formatMetric(best.value)} · epoch {best.epoch}
            </span>
          </div>
        )}
        {evaluation?.task === 'classification' && (
          <div className="ll-card">
            <span className="k">Final accuracy ({evaluation.split})</span>
            <span className="v mono">{pct(evaluation.accuracy)}</span>
          </div>
        )}
        <div className="ll-card">
          <span className="k">Samples</span>
          <span className="v mono small">
            {run.trainSamples ?? '?'} train / {run.validationSamples ?? '?'} val
          </span>
        </div>
        <div className="ll-card grow">
          <span className="k">Dataset</span>
          <span className="v mono small ll-ellipsis" title={run.datasetPath}>
            {run.datasetPath}
          </span>
        </div>
      </div>
      {run.message && <div className="ll-callout info small">{run.message}</div>}
      <div className="ll-run-charts">
        <LineChart title="Run loss" xLabel="epoch" x={charts.x} series={charts.loss} height={170} />
        {charts.acc && <LineChart title={`Run ${charts.metric ?? 'metric'}`} xLabel="epoch" x={charts.x} series={charts.acc} height={170} />}
      </div>
      <div className="ll-run-cols">
        {evaluation?.task === 'classification' ? (
          <>
            <div>
              <Matrix m={evaluation.confusionMatrix} onCell={(actual, predicted) => setCell({ runDir: dir, runId: run.id, actual, predicted })} />
              {cell && <CellGallery cell={cell} onClose={() => setCell(null)} />}
            </div>
            <table className="ll-table small" data-testid="run-per-class">
              <thead>
                <tr>
                  <th>Class</th>
                  <th className="num">Precision</th>
                  <th className="num">Recall</th>
                  <th className="num">F1</th>
                  <th className="num">Support</th>
                </tr>
              </thead>
              <tbody>
                {evaluation.perClass.map((c) => (
                  <tr key={c.name}>
                    <td className="mono">{c.name}</td>
                    <td className="num mono">{pct(c.precision)}</td>
                    <td className="num mono">{pct(c.recall)}</td>
                    <td className="num mono">{pct(c.f1)}</td>
                    <td className="num mono">{c.support}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : evaluation?.task === 'regression' ? (
          <div className="ll-cards">
            {(
              [
                ['MSE', evaluation.meanSquaredError],
                ['MAE', evaluation.meanAbsoluteError],
                ['R²', evaluation.r2],
              ] as const
            ).map(([k, v]) => (
              <div key={k} className="ll-card">
                <span className="k">{k}</span>
                <span className="v mono">{formatMetric(v)}</span>
              </div>
            ))}
          </div>
        ) : (
          <p className="ll-muted small">No final evaluation: the run ended before it was written.</p>
        )}
      </div>
      <div className="ll-run-cols">
        <div>
          <div className="ll-section-title">Settings</div>
          <table className="ll-table small" data-testid="run-settings">
            <tbody>
              {settingsRows(run.settings).map(([k, v]) => (
                <tr key={k}>
                  <td className="ll-muted">{k}</td>
                  <td className="mono">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <div className="ll-section-title">Graph: this run vs now</div>
          {diff ? <DiffView diff={diff} /> : <p className="ll-muted small">{details.graphProblem ?? 'No graph recorded.'}</p>}
        </div>
      </div>
    </div>
  );
}
