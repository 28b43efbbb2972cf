/**
 * The misclassified gallery: the validation samples of one confusion-matrix cell (read from the
 * run's stored predictions), each with its top-3 probabilities and one click from its Grad-CAM in
 * the Explain panel.
 */
import { useEffect, useState, type JSX } from 'react';
import type { CellSamples } from '../../shared/explain/gallery.js';
import { api, errorMessage } from '../platform/api.js';
import { explainSample } from '../state/explainStore.js';
import { closeDialog, showTab } from '../state/uiStore.js';

/** Which cell of which run. */
export interface GalleryCell {
  readonly runDir: string;
  readonly runId: string;
  readonly actual: number;
  readonly predicted: number;
}

/** The gallery of one cell. */
export function CellGallery({ cell, onClose }: { cell: GalleryCell; onClose: () => void }): JSX.Element {
  const [data, setData] = useState<CellSamples | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setData(null);
    setError(null);
    api.cellSamples({ runDir: cell.runDir, actual: cell.actual, predicted: cell.predicted }).then(
      (d) => live && setData(d),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [cell.runDir, cell.actual, cell.predicted]);
  const name = (k: number) => data?.classes[k] ?? String(k);
  const explain = (file: string) => {
    explainSample(file, { classIndex: null, run: cell.runId });
    closeDialog();
    showTab('explain');
  };
  return (
    <div className="ll-gallery" data-testid="cell-gallery">
      <div className="ll-row">
        <strong className="small">
          Actual {name(cell.actual)} → predicted {name(cell.predicted)}
        </strong>
        {data && (
          <span className="ll-muted small">
            {data.total} sample{data.total === 1 ? '' : 's'}
            {data.total > data.samples.length ? `, first ${data.samples.length} shown` : ''}
          </span>
        )}
        <span className="grow" />
        <button className="ll-btn ghost small" onClick={onClose} aria-label="Close gallery">
          Close
        </button>
      </div>
      {error && <div className="ll-field-error">{error}</div>}
      {data && data.samples.length === 0 && <div className="ll-muted small">No sample in this cell.</div>}
      <ul className="ll-gallery-items">
        {data?.samples.map((s) => (
          <li key={s.id}>
            <button className="ll-gallery-item" disabled={!s.file} onClick={() => s.file && explain(s.file)} title={s.file ? `Explain ${s.path ?? ''} (Grad-CAM)` : 'Not an image'} data-testid="gallery-item">
              {s.thumbnail ? <img src={s.thumbnail} alt={`Sample ${s.path ?? s.id}`} /> : <span className="ll-muted small">#{s.id}</span>}
              <span className="ll-gallery-top">
                {s.top.map(([k, p]) => (
                  <span key={k} className={k === s.actual ? 'actual' : ''}>
                    {name(k)} {(100 * p).toFixed(0)}%
                  </span>
                ))}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
