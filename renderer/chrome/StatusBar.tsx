/**
 * The status bar: valid/invalid, total parameters, estimated memory, backend and device, host
 * connection and save state.
 */
import type { JSX } from 'react';
import { useStore } from 'zustand';
import { formatBytes, formatCompact, formatCount } from '../../shared/analysis/numbers.js';
import { editor } from '../app/session.js';
import { showTab, useUi } from '../state/uiStore.js';
import { useTraining } from '../state/trainingStore.js';
import { Icon } from '../ui/Icon.js';

/** The status bar. */
export function StatusBar(): JSX.Element {
  const analysis = useStore(editor.store, (s) => s.analysis);
  const dirty = useStore(editor.store, (s) => s.doc !== s.savedDoc);
  const backend = useUi((s) => s.backend);
  const connection = useUi((s) => s.connection);
  const host = useUi((s) => s.appInfo?.host);
  const zoom = useUi((s) => s.zoom);
  const lastSavedAt = useUi((s) => s.lastSavedAt);
  const path = useStore(editor.store, (s) => s.path);
  // Under the start screen there is no project yet: no verdict on an empty graph.
  const start = useUi((s) => s.start);
  const phase = useTraining((s) => s.phase);
  const progress = useTraining((s) => s.lastBatch?.progress ?? 0);
  const keras = useStore(editor.store, (s) => s.doc.training?.engine === 'keras');
  // While the Keras engine trains, training does not use the tfjs backend: name the engine instead.
  const engineLabel = useTraining((s) => (s.phase === 'running' || s.phase === 'stopping' || s.phase === 'starting' ? (s.started?.engineLabel ?? (keras && !s.started ? 'Keras · starting Python…' : null)) : null));
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = analysis.diagnostics.length - errors;
  const cost = analysis.cost;
  const params = analysis.totals.trainable + analysis.totals.nonTrainable;
  const frozen = useStore(editor.store, (s) => s.doc.nodes.filter((n) => n.params.trainable === false).length);
  return (
    <footer className="ll-statusbar" data-testid="statusbar">
      {!start && (
        <>
          <button className={`ll-status-valid ${errors ? 'invalid' : 'valid'}`} onClick={() => showTab('problems')} data-testid="status-validity">
            <Icon name={errors ? 'error' : 'check'} size={14} />
            {errors ? `${errors} error${errors > 1 ? 's' : ''}` : 'Valid'}
            {warnings > 0 && <span className="ll-warn-count">· {warnings} warning{warnings > 1 ? 's' : ''}</span>}
          </button>
          <span title="Total weights (trainable + non-trainable), as Keras counts them" data-testid="status-params">
            {formatCount(params)} params
          </span>
          {frozen > 0 && (
            <span className="ll-status-frozen" title={`${frozen} frozen layer${frozen > 1 ? 's' : ''}: training changes only the trainable weights (${formatCount(analysis.totals.trainable)} of ${formatCount(params)}), as Keras's summary splits them`} data-testid="status-trainable">
              ❄ {formatCount(analysis.totals.trainable)} trainable
            </span>
          )}
          <button className="ll-status-link" onClick={() => showTab('analyzer')} title={`${formatCount(cost.macs)} multiply-accumulates per sample (forward pass). Open the analyzer for the cost of each block.`} data-testid="status-macs">
            {cost.macsComplete ? '' : '≥ '}
            {formatCompact(cost.macs)} MACs
          </button>
          <span
            title={`Weights in float32: ${formatBytes(cost.weightBytes)}. One batch of ${cost.batchSize}: ${formatBytes(cost.inferenceBytes)} for inference, about ${formatBytes(cost.trainingBytes)} for training (3 × weights and activations).`}
            data-testid="status-memory"
          >
            {formatBytes(cost.weightBytes)} weights · ≈{formatBytes(cost.trainingBytes)} to train (batch {cost.batchSize})
          </span>
        </>
      )}
      {(phase === 'running' || phase === 'stopping' || phase === 'starting') && (
        <button className="ll-status-train" onClick={() => showTab('training')}>
          Training {Math.round(progress * 100)}%
        </button>
      )}
      <span className="grow" />
      {engineLabel ? (
        <span title="This training runs on the Keras engine: the exported model.py in Python Keras/TensorFlow" data-testid="status-backend">
          {engineLabel}
        </span>
      ) : (
        <span title={backend && 'summary' in backend ? [backend.summary, ...backend.details].join('\n') : 'The backend doctor tells which TensorFlow backend training uses'} data-testid="status-backend">
          {backend === null ? 'Backend: checking…' : 'unavailable' in backend ? 'Backend: unknown' : `${backend.backend} · ${backend.device}`}
          {backend && 'ok' in backend && !backend.ok && <span className="ll-warn-count"> (slow)</span>}
        </span>
      )}
      <span>{Math.round(zoom * 100)}%</span>
      <span className={`ll-conn ${connection}`} title={host === 'web' ? `Browser host: ${connection}` : 'Desktop app'}>
        <span className="dot" />
        {host === 'web' ? (connection === 'open' ? 'Connected' : connection === 'connecting' ? 'Connecting…' : 'Disconnected') : 'Local'}
      </span>
      {/* "Saved" only for a project that has a file: a new one has never been saved. */}
      <span data-testid="status-saved">{dirty ? 'Unsaved changes' : path === null ? 'Not saved yet' : lastSavedAt ? `Saved ${new Date(lastSavedAt).toLocaleTimeString()}` : 'Saved'}</span>
    </footer>
  );
}
