/**
 * The Explain panel: choose a trained run and a sample from the project's dataset; see what the
 * model predicts, where it looks (Grad-CAM or saliency over the image, for the predicted class or
 * a chosen one) and what each block outputs (feature maps with a channel picker for conv blocks,
 * a bar strip for dense outputs, a time × units map for sequences, a histogram with min, max, mean
 * and the share of dead ReLU outputs). Everything is computed in the host's training worker.
 */
import { useEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { ExplainBlock, ExplainHeatmap, ExplainResult, ExplainSample } from '../../shared/explain/protocol.js';
import { editor } from '../app/session.js';
import { SESSION_KEY } from '../app/sessionKey.js';
import { api, errorMessage } from '../platform/api.js';
import { useExplain } from '../state/explainStore.js';
import { useTraining } from '../state/trainingStore.js';

type Method = 'gradcam' | 'saliency';

/** 0–1 → RGB: dark blue through green and yellow to red (the CLI's overlay uses the same map). */
function heatColour(v: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, v));
  const c = (x: number) => Math.round(Math.max(0, Math.min(1, 1.5 - Math.abs(4 * t - x))) * 255);
  return [c(3), c(2), c(1)];
}

/** Draws the input image with a heat map blended over it. */
function Overlay({ image, heat, alpha }: { image: string; heat: ExplainHeatmap | null; alpha: number }): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    // A later heat map (method switched) must not be overwritten by an earlier image load.
    let live = true;
    const img = new Image();
    img.onload = () => {
      if (!live) return;
      const w = img.naturalWidth;
      const h = img.naturalHeight;
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.drawImage(img, 0, 0);
      if (!heat || heat.width !== w || heat.height !== h) return;
      const data = ctx.getImageData(0, 0, w, h);
      for (let i = 0; i < w * h; i++) {
        const [r, g, b] = heatColour(heat.values[i]);
        data.data[i * 4] = (1 - alpha) * data.data[i * 4] + alpha * r;
        data.data[i * 4 + 1] = (1 - alpha) * data.data[i * 4 + 1] + alpha * g;
        data.data[i * 4 + 2] = (1 - alpha) * data.data[i * 4 + 2] + alpha * b;
      }
      ctx.putImageData(data, 0, 0);
    };
    img.src = image;
    return () => {
      live = false;
    };
  }, [image, heat, alpha]);
  return <canvas ref={ref} className="ll-explain-image" data-testid="explain-overlay" aria-label="Input with heat map" />;
}

/** Paints grey values (already 0–1) into a canvas of `width` × `height`. */
function GreyCanvas({ width, height, grey, label, testId }: { width: number; height: number; grey: (i: number) => number; label: string; testId?: string }): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const data = ctx.createImageData(width, height);
    for (let i = 0; i < width * height; i++) {
      const v = grey(i);
      if (v < 0) continue; // gaps between tiles stay transparent
      const [r, g, b] = heatColour(v);
      data.data[i * 4] = r;
      data.data[i * 4 + 1] = g;
      data.data[i * 4 + 2] = b;
      data.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(data, 0, 0);
  }, [width, height, grey]);
  return <canvas ref={ref} className="ll-explain-map" aria-label={label} data-testid={testId} />;
}

function Histogram({ block }: { block: ExplainBlock }): JSX.Element {
  const counts = block.stats.histogram;
  const peak = Math.max(1, ...counts);
  return (
    <svg className="ll-explain-hist" viewBox={`0 0 ${counts.length} 40`} preserveAspectRatio="none" role="img" aria-label={`Histogram of ${block.layer}'s outputs`}>
      {counts.map((c, i) => (
        <rect key={i} x={i + 0.1} width={0.8} y={40 - (40 * c) / peak} height={(40 * c) / peak} />
      ))}
    </svg>
  );
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(2) : v.toFixed(3));

/** One block's output: a view chosen by its shape, then its stats. */
function BlockView({ block }: { block: ExplainBlock }): JSX.Element {
  const [channel, setChannel] = useState<number | 'all'>('all');
  useEffect(() => setChannel('all'), [block.layer]);
  const { min, max } = block.stats;
  const span = max > min ? max - min : 1;
  const at = (i: number) => (i < block.values.length ? (block.values[i] - min) / span : 0);
  const shape = block.shape;
  const view = useMemo(() => {
    if (shape.length === 3) {
      const [h, w, c] = shape;
      if (channel !== 'all') return { width: w, height: h, grey: (i: number) => at(i * c + channel), label: `Channel ${channel} of ${block.layer}` };
      const cols = Math.ceil(Math.sqrt(c));
      const rows = Math.ceil(c / cols);
      const width = cols * (w + 1) - 1;
      const height = rows * (h + 1) - 1;
      return {
        width,
        height,
        grey: (i: number) => {
          const x = i % width;
          const y = Math.floor(i / width);
          if (x % (w + 1) === w || y % (h + 1) === h) return -1;
          const k = Math.floor(y / (h + 1)) * cols + Math.floor(x / (w + 1));
          return k < c ? at(((y % (h + 1)) * w + (x % (w + 1))) * c + k) : -1;
        },
        label: `Feature maps of ${block.layer}`,
      };
    }
    if (shape.length === 2) return { width: shape[1], height: shape[0], grey: at, label: `Time × units of ${block.layer}` };
    const n = shape.reduce((a, b) => a * b, 1);
    return { width: n, height: 1, grey: at, label: `Outputs of ${block.layer}` };
  }, [block, channel]);
  return (
    <div className="ll-explain-block" data-testid="explain-block-view">
      <div className="ll-row">
        <strong>{block.layer}</strong>
        <span className="ll-muted small">
          {block.kind} · ({shape.join(', ')})
        </span>
        {shape.length === 3 && (
          <label className="ll-row small">
            Channel
            <select className="ll-input small ll-explain-select" value={channel} onChange={(e) => setChannel(e.target.value === 'all' ? 'all' : Number(e.target.value))} data-testid="explain-channel">
              <option value="all">All ({shape[2]})</option>
              {Array.from({ length: shape[2] }, (_, k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className={`ll-explain-mapbox${shape.length === 1 ? ' strip' : ''}`}>
        <GreyCanvas width={view.width} height={view.height} grey={view.grey} label={view.label} testId={shape.length === 3 ? 'explain-feature-maps' : 'explain-block-map'} />
      </div>
      <div className="ll-explain-stats">
        <Histogram block={block} />
        <dl>
          <dt>min</dt>
          <dd>{fmt(block.stats.min)}</dd>
          <dt>max</dt>
          <dd>{fmt(block.stats.max)}</dd>
          <dt>mean</dt>
          <dd>{fmt(block.stats.mean)}</dd>
          {block.stats.deadShare !== null && (
            <>
              <dt>dead ReLU</dt>
              <dd data-testid="explain-dead">{(100 * block.stats.deadShare).toFixed(1)} %</dd>
            </>
          )}
        </dl>
      </div>
      {block.truncated && <div className="ll-muted small">Only the first values of this large output are shown.</div>}
    </div>
  );
}

/** Moves focus along a strip of buttons with the arrow keys, Home and End. */
function stripKeys(e: KeyboardEvent<HTMLElement>): void {
  const keys = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'];
  if (!keys.includes(e.key)) return;
  const buttons = Array.from(e.currentTarget.querySelectorAll<HTMLButtonElement>('button'));
  const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next = e.key === 'Home' ? 0 : e.key === 'End' ? buttons.length - 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? Math.max(0, i - 1) : Math.min(buttons.length - 1, i + 1);
  buttons[next]?.focus();
  e.preventDefault();
}

/** The panel. */
export function ExplainPanel(): JSX.Element {
  const doc = useStore(editor.store, (s) => s.doc);
  const projectPath = useStore(editor.store, (s) => s.path);
  const runs = useTraining((s) => s.runs).filter((r) => r.status === 'completed' || r.status === 'stopped');
  const { focusBlock, sample, classIndex, run, result } = useExplain();
  // A new run can change what best and latest mean: it is part of what an explanation was asked for.
  const lastRun = useTraining((s) => s.finished?.runId ?? null);
  const [samples, setSamples] = useState<ExplainSample[]>([]);
  const [samplesError, setSamplesError] = useState<string | null>(null);
  const [method, setMethod] = useState<Method>('gradcam');
  const setResult = (r: ExplainResult | null, key: string | null) => useExplain.setState({ result: r, resultKey: key });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const datasetPath = doc.dataset?.path ?? null;

  useEffect(() => {
    if (!datasetPath) return;
    let live = true;
    api.listExplainSamples({ doc: editor.store.getState().doc, projectPath }).then(
      (s) => live && (setSamples(s), setSamplesError(null)),
      (e: unknown) => live && setSamplesError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [datasetPath, projectPath]);

  useEffect(() => {
    if (!sample) return;
    const key = JSON.stringify([sample, run, classIndex, projectPath, lastRun]);
    if (key === useExplain.getState().resultKey) return;
    let live = true;
    setBusy(true);
    setError(null);
    api
      .explainSample({
        doc: editor.store.getState().doc,
        projectPath,
        ...(projectPath ? {} : { sessionKey: SESSION_KEY }),
        run,
        sample,
        ...(classIndex !== null ? { classIndex } : {}),
      })
      .then(
        (r) => live && setResult(r, key),
        (e: unknown) => live && (setError(errorMessage(e)), setResult(null, null)),
      )
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
  }, [sample, run, classIndex, projectPath, lastRun]);

  useEffect(() => {
    if (focusBlock && result) {
      const b = result.blocks.find((x) => x.block === focusBlock || x.layer === focusBlock);
      if (b) setSelected(b.layer);
    }
  }, [focusBlock, result]);

  const block = result?.blocks.find((b) => b.layer === selected) ?? result?.blocks[0] ?? null;
  const heat = result ? (method === 'gradcam' ? result.gradcam : result.saliency) : null;
  const name = (k: number) => result?.classes[k] ?? String(k);
  const top3 = result
    ? result.probabilities
        .map((p, k) => ({ p, k }))
        .sort((a, b) => b.p - a.p)
        .slice(0, 3)
    : [];

  if (!datasetPath) return <div className="ll-empty" data-testid="explain-panel">Choose an image dataset in the Dataset tab and train the model; then explain its predictions here.</div>;

  return (
    <div className="ll-explain" data-testid="explain-panel">
      <div className="ll-explain-bar ll-row">
        <label className="ll-row small">
          Run
          <select className="ll-input small ll-explain-select" value={run} onChange={(e) => useExplain.setState({ run: e.target.value })} data-testid="explain-run">
            <option value="best">Best run</option>
            <option value="latest">Latest run</option>
            {run !== 'best' && run !== 'latest' && !runs.some((r) => r.id === run) && <option value={run}>{run}</option>}
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name ?? r.id}
              </option>
            ))}
          </select>
        </label>
        <div className="ll-seg" role="radiogroup" aria-label="Attribution">
          {(['gradcam', 'saliency'] as const).map((m) => (
            <button key={m} role="radio" aria-checked={method === m} className={method === m ? 'active' : ''} onClick={() => setMethod(m)} data-testid={`explain-method-${m}`}>
              {m === 'gradcam' ? 'Grad-CAM' : 'Saliency'}
            </button>
          ))}
        </div>
        <label className="ll-row small">
          Class
          <select
            className="ll-input small ll-explain-select"
            value={classIndex ?? 'predicted'}
            onChange={(e) => useExplain.setState({ classIndex: e.target.value === 'predicted' ? null : Number(e.target.value) })}
            data-testid="explain-class"
          >
            <option value="predicted">Predicted</option>
            {(result?.classes ?? []).map((c, k) => (
              <option key={k} value={k}>
                {k}: {c}
              </option>
            ))}
          </select>
        </label>
        {busy && (
          <span className="ll-muted small" data-testid="explain-busy">
            Computing…
          </span>
        )}
        {result && <span className="ll-muted small ll-ellipsis">{result.weights}</span>}
      </div>
      <div className="ll-explain-strip" role="toolbar" aria-label="Samples" onKeyDown={stripKeys} data-testid="explain-samples">
        {samplesError && <span className="ll-field-error">{samplesError}</span>}
        {samples.map((s) => (
          <button key={s.path} className={s.path === sample ? 'active' : ''} onClick={() => useExplain.setState({ sample: s.path })} title={`${s.label}: ${s.path}`} aria-pressed={s.path === sample}>
            <img src={s.thumbnail} alt={`Sample of class ${s.label}`} />
          </button>
        ))}
      </div>
      {error && (
        <div className="ll-field-error" data-testid="explain-error">
          {error}
        </div>
      )}
      {!sample && !error && <div className="ll-muted small">Pick a sample above (arrow keys move, Enter picks).</div>}
      {result && (
        <div className="ll-explain-body">
          <div className="ll-explain-input">
            <Overlay image={result.image} heat={heat} alpha={0.5} />
            <div className="ll-muted small">{method === 'gradcam' ? (result.gradcam ? `Grad-CAM at ${result.gradcam.layer}` : result.gradcamWhy) : '|∂score/∂pixel|, max over channels'}</div>
          </div>
          <div className="ll-explain-side">
            <div className="small" data-testid="explain-prediction">
              Predicted <strong>{name(result.predicted)}</strong>
              {result.classIndex !== result.predicted && <> · explaining {name(result.classIndex)}</>}
            </div>
            <ol className="ll-explain-top small">
              {top3.map(({ p, k }) => (
                <li key={k}>
                  {name(k)} <span className="ll-muted">{(100 * p).toFixed(1)} %</span>
                </li>
              ))}
            </ol>
            <div className="ll-explain-blocks" role="listbox" aria-label="Blocks" onKeyDown={stripKeys} data-testid="explain-blocks">
              {result.blocks.map((b) => (
                <button key={b.layer} role="option" aria-selected={b.layer === block?.layer} className={b.layer === block?.layer ? 'active' : ''} onClick={() => setSelected(b.layer)}>
                  <span>{b.layer}</span>
                  <span className="ll-muted small">({b.shape.join(', ')})</span>
                </button>
              ))}
            </div>
          </div>
          {block && <BlockView block={block} />}
        </div>
      )}
    </div>
  );
}
