/**
 * The Explain panel: choose a trained run and a sample from the project's dataset (or drop an
 * image, or type text for a text model); see what the model predicts, where it looks (Grad-CAM or
 * saliency — SmoothGrad optional — over the image, or each token coloured by gradient × embedding,
 * for the predicted class or a chosen one), each attention head's query × key weights, and what
 * each block outputs (feature maps with a channel picker for conv blocks, a bar strip for dense
 * outputs, a time × units map for sequences, a histogram with min, max, mean and the share of dead
 * ReLU outputs). Everything is computed in the host's explain worker (kept per run).
 */
import { useEffect, useMemo, useRef, useState, type DragEvent, type JSX, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { WeightSummary } from '../../shared/explain/explain.js';
import type { ExplainAttention, ExplainBlock, ExplainHeatmap, ExplainRequest, ExplainResult, ExplainSample } from '../../shared/explain/protocol.js';
import { editor } from '../app/session.js';
import { SESSION_KEY } from '../app/sessionKey.js';
import { api, errorMessage } from '../platform/api.js';
import { explainProject, explainSample, useExplain } from '../state/explainStore.js';
import { attentionView, filterGrid, tokenChips } from './explainView.js';
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

function Histogram({ counts, label }: { counts: readonly number[]; label: string }): JSX.Element {
  const peak = Math.max(1, ...counts);
  return (
    <svg className="ll-explain-hist" viewBox={`0 0 ${Math.max(1, counts.length)} 40`} preserveAspectRatio="none" role="img" aria-label={label}>
      {counts.map((c, i) => (
        <rect key={i} x={i + 0.1} width={0.8} y={40 - (40 * c) / peak} height={(40 * c) / peak} />
      ))}
    </svg>
  );
}

/** The first conv block's filters, one tile each (grey, or colour for an RGB input). */
function FilterImages({ filters }: { filters: NonNullable<ExplainResult['filters']> }): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const grid = useMemo(() => filterGrid(filters.shape, filters.values), [filters]);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    canvas.width = grid.width;
    canvas.height = grid.height;
    const image = ctx.createImageData(grid.width, grid.height);
    image.data.set(grid.pixels);
    ctx.putImageData(image, 0, 0);
  }, [grid]);
  const factor = Math.max(2, Math.min(12, Math.floor(240 / Math.max(grid.width, grid.height))));
  const [kh, kw, cin, cout] = filters.shape;
  return (
    <div className="ll-explain-filters">
      <div className="small">
        <strong>Filters</strong>{' '}
        <span className="ll-muted">
          {cout} × {kh}×{kw}
          {cin === 3 ? ' (RGB)' : cin === 1 ? '' : ` (mean of ${cin} input channels)`} · grey = 0
        </span>
      </div>
      <canvas ref={ref} className="ll-explain-map" style={{ width: grid.width * factor, height: grid.height * factor }} aria-label={`The ${cout} filters of ${filters.layer}`} data-testid="explain-filters" />
    </div>
  );
}

/** A block's weight tensors: shape and a histogram of the values each. */
function WeightsView({ weights }: { weights: readonly WeightSummary[] }): JSX.Element {
  return (
    <div className="ll-explain-weights" data-testid="explain-weights">
      <strong className="small">Weights</strong>
      {weights.map((w) => (
        <div key={w.name} className="ll-explain-weight">
          <div className="small">
            {w.name} <span className="ll-muted">({w.shape.join(', ')}){w.trainable ? '' : ' · frozen'}</span>
          </div>
          <div className="ll-explain-stats">
            <Histogram counts={w.stats.histogram} label={`Histogram of ${w.name}`} />
            <dl>
              <dt>min</dt>
              <dd>{fmt(w.stats.min)}</dd>
              <dt>max</dt>
              <dd>{fmt(w.stats.max)}</dd>
              <dt>mean</dt>
              <dd>{fmt(w.stats.mean)}</dd>
            </dl>
          </div>
        </div>
      ))}
    </div>
  );
}

const fmt = (v: number) => (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(2) : v.toFixed(3));

/** One block's output: a view chosen by its shape, then its stats. */
function BlockView({ block, filters }: { block: ExplainBlock; filters: ExplainResult['filters'] }): JSX.Element {
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
        <Histogram counts={block.stats.histogram} label={`Histogram of ${block.layer}'s outputs`} />
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
      {filters && filters.layer === block.layer && <FilterImages filters={filters} />}
      {block.weights.length > 0 && <WeightsView weights={block.weights} />}
    </div>
  );
}

/** The text's tokens, coloured by gradient × embedding: orange towards the class, blue away. */
function TokenAttribution({ result, className }: { result: ExplainResult; className: string }): JSX.Element {
  if (!result.tokens || !result.tokenScores) return <div className="ll-muted small">{result.tokensWhy ?? 'No token attribution for this model.'}</div>;
  const chips = tokenChips(result.tokens, result.tokenScores);
  return (
    <div className="ll-explain-text">
      <div className="ll-explain-tokens" data-testid="explain-tokens" role="list" aria-label="Tokens coloured by attribution">
        {chips.map((c) => (
          <span key={c.position} role="listitem" className="ll-explain-token" style={{ background: c.colour }} title={`${c.token}: ${c.score.toPrecision(3)}`} data-weight={c.weight.toFixed(3)}>
            {c.token}
          </span>
        ))}
      </div>
      <div className="ll-muted small">
        Gradient × embedding per token: <span className="ll-explain-key towards">towards {className}</span> <span className="ll-explain-key away">away from it</span>
      </div>
    </div>
  );
}

/** One head's query × key weights; arrow keys (or the mouse) move a cursor whose weight is read out. */
function AttentionHead({
  head,
  size,
  labels,
  cursor,
  onCursor,
}: {
  head: ReturnType<typeof attentionView>['heads'][number];
  size: number;
  labels: readonly string[];
  cursor: { q: number; k: number } | null;
  onCursor: (c: { q: number; k: number }) => void;
}): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const cell = Math.max(4, Math.min(18, Math.floor(288 / Math.max(1, size))));
  const labelled = cell >= 10;
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    canvas.width = size * cell;
    canvas.height = size * cell;
    // Smallest weight blue, largest red: after little training heads are nearly uniform (≈ 1/keys).
    const span = head.peak - head.low;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const [red, green, blue] = heatColour(span > 0 ? (head.weights[r * size + c] - head.low) / span : 0.5);
        ctx.fillStyle = `rgb(${red},${green},${blue})`;
        ctx.fillRect(c * cell, r * cell, cell, cell);
      }
    }
    if (cursor) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.strokeRect(cursor.k * cell + 1, cursor.q * cell + 1, cell - 2, cell - 2);
    }
  }, [head, size, cell, cursor]);
  const move = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const at = cursor ?? { q: 0, k: 0 };
    const step: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const d = step[e.key];
    if (!d) return;
    e.preventDefault();
    onCursor({ q: Math.max(0, Math.min(size - 1, at.q + d[0])), k: Math.max(0, Math.min(size - 1, at.k + d[1])) });
  };
  return (
    <figure className="ll-explain-head" data-testid="explain-attention-head">
      <figcaption className="small">
        Head {head.head + 1}{' '}
        <span className="ll-muted">
          {head.low.toFixed(3)} (blue) – {head.peak.toFixed(3)} (red)
        </span>
      </figcaption>
      <div className="ll-explain-headgrid" style={{ gridTemplateColumns: `${labelled ? 'auto ' : ''}${size * cell}px` }}>
        {labelled && <span />}
        {labelled && (
          <div className="ll-explain-keys" style={{ gridTemplateColumns: `repeat(${size}, ${cell}px)` }} aria-hidden="true">
            {labels.map((l, i) => (
              <span key={i} title={l}>
                {l}
              </span>
            ))}
          </div>
        )}
        {labelled && (
          <div className="ll-explain-queries" style={{ gridTemplateRows: `repeat(${size}, ${cell}px)` }} aria-hidden="true">
            {labels.map((l, i) => (
              <span key={i} title={l}>
                {l}
              </span>
            ))}
          </div>
        )}
        <canvas
          ref={ref}
          tabIndex={0}
          className="ll-explain-attmap"
          style={{ width: size * cell, height: size * cell }}
          aria-label={`Head ${head.head + 1}: attention of each query token (rows) to each key token (columns); arrow keys read the weights`}
          onKeyDown={move}
          onFocus={() => !cursor && onCursor({ q: 0, k: 0 })}
          onMouseMove={(e) => {
            const box = e.currentTarget.getBoundingClientRect();
            const k = Math.floor(((e.clientX - box.left) / box.width) * size);
            const q = Math.floor(((e.clientY - box.top) / box.height) * size);
            if (q >= 0 && q < size && k >= 0 && k < size) onCursor({ q, k });
          }}
        />
      </div>
    </figure>
  );
}

/** The attention weights of the model's MultiHeadAttention blocks: one query × key map per head. */
function AttentionMaps({ maps, tokens }: { maps: readonly ExplainAttention[]; tokens: readonly string[] | null }): JSX.Element {
  const [which, setWhich] = useState(0);
  const [padding, setPadding] = useState(false);
  const [cursor, setCursor] = useState<{ head: number; q: number; k: number } | null>(null);
  const map = maps[Math.min(which, maps.length - 1)];
  const view = useMemo(() => attentionView(map, tokens, padding), [map, tokens, padding]);
  useEffect(() => setCursor(null), [view]);
  const readout = cursor && cursor.q < view.size && cursor.k < view.size ? `Head ${cursor.head + 1}: “${view.labels[cursor.q]}” attends to “${view.labels[cursor.k]}” with weight ${view.heads[cursor.head].weights[cursor.q * view.size + cursor.k].toFixed(3)}` : 'Rows are queries, columns keys; focus a map and use the arrow keys (or point) to read a weight.';
  return (
    <section className="ll-explain-attention" data-testid="explain-attention" aria-label="Attention maps">
      <div className="ll-row">
        <strong className="small">Attention</strong>
        {maps.length > 1 ? (
          <select className="ll-input small ll-explain-select" value={which} onChange={(e) => setWhich(Number(e.target.value))} aria-label="Attention block">
            {maps.map((m, i) => (
              <option key={m.layer} value={i}>
                {m.layer}
              </option>
            ))}
          </select>
        ) : (
          <span className="small">{map.layer}</span>
        )}
        <span className="ll-muted small">
          {map.heads} head{map.heads === 1 ? '' : 's'} · query × key{map.causal ? ' · causal mask (each token sees only earlier ones)' : ''}
        </span>
        {(view.hidden > 0 || padding) && (
          <label className="ll-row small">
            <input type="checkbox" checked={padding} onChange={(e) => setPadding(e.target.checked)} data-testid="explain-attention-padding" />
            Show padding{view.hidden > 0 ? ` (${view.hidden} positions)` : ''}
          </label>
        )}
      </div>
      <div className="ll-explain-heads">
        {view.heads.map((h) => (
          <AttentionHead key={h.head} head={h} size={view.size} labels={view.labels} cursor={cursor?.head === h.head ? cursor : null} onCursor={(c) => setCursor({ head: h.head, ...c })} />
        ))}
      </div>
      <div className="ll-muted small" data-testid="explain-attention-readout" aria-live="polite">
        {readout}
      </div>
    </section>
  );
}

/** Reads a dropped or opened file for the explain request (as a data URL). */
function readUpload(file: File): Promise<{ name: string; dataUrl: string }> {
  return new Promise((resolve, reject) => {
    if (file.size > UPLOAD_LIMIT) {
      reject(new Error(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; explain files of at most ${UPLOAD_LIMIT / 1e6} MB.`));
      return;
    }
    const reader = new FileReader();
    reader.onload = () => resolve({ name: file.name, dataUrl: typeof reader.result === 'string' ? reader.result : '' });
    reader.onerror = () => reject(new Error(`${file.name} cannot be read: ${reader.error?.message ?? 'unknown error'}`));
    reader.readAsDataURL(file);
  });
}

/** Largest file the panel sends to explain (a data URL is a third larger). */
const UPLOAD_LIMIT = 32e6;

let uploads = 0;

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
  const { focusBlock, sample, upload, text, classIndex, smoothGrad, run, result } = useExplain();
  // A new run can change what best and latest mean: it is part of what an explanation was asked for.
  const lastRun = useTraining((s) => s.finished?.runId ?? null);
  const [samples, setSamples] = useState<ExplainSample[]>([]);
  const [samplesError, setSamplesError] = useState<string | null>(null);
  const [method, setMethod] = useState<Method>('gradcam');
  const setResult = (r: ExplainResult | null, key: string | null) => useExplain.setState({ result: r, resultKey: key });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [draft, setDraft] = useState(text ?? '');
  const [smoothCount, setSmoothCount] = useState(smoothGrad || 16);
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const datasetPath = doc.dataset?.path ?? null;
  // A text model reads token ids: its Input is int32 (or its dataset is text).
  const textModel = doc.nodes.some((n) => n.type === 'Input' && n.params.dtype === 'int32') || samples.some((s) => s.snippet !== undefined);

  // Another project's sample, text and run mean nothing here: start afresh.
  useEffect(() => explainProject(projectPath), [projectPath]);

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
    const input: Pick<ExplainRequest, 'sample' | 'upload' | 'text'> | null = sample ? { sample } : upload ? { upload: { name: upload.name, dataUrl: upload.dataUrl } } : text !== null ? { text } : null;
    // Choices just reset (another project): the next render asks with the fresh ones.
    const now = useExplain.getState();
    if (!input || now.sample !== sample || now.upload !== upload || now.text !== text) return;
    const key = JSON.stringify([sample, upload && [upload.name, upload.id], text, run, classIndex, smoothGrad, projectPath, lastRun]);
    if (key === useExplain.getState().resultKey) {
      setError(null);
      return;
    }
    let live = true;
    setBusy(true);
    setError(null);
    api
      .explainSample({
        doc: editor.store.getState().doc,
        projectPath,
        ...(projectPath ? {} : { sessionKey: SESSION_KEY }),
        run,
        ...input,
        ...(classIndex !== null ? { classIndex } : {}),
        ...(smoothGrad > 0 ? { smoothGradSamples: smoothGrad } : {}),
      })
      .then(
        (r) => live && setResult(r, key),
        // The last explanation stays on screen under the error: a bad file loses nothing.
        (e: unknown) => live && setError(errorMessage(e)),
      )
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
  }, [sample, upload, text, run, classIndex, smoothGrad, projectPath, lastRun]);

  useEffect(() => {
    if (focusBlock && result) {
      const b = result.blocks.find((x) => x.block === focusBlock || x.layer === focusBlock);
      if (b) setSelected(b.layer);
    }
  }, [focusBlock, result]);

  const explainFile = (file: File | undefined) => {
    if (!file) return;
    readUpload(file).then(
      (u) => useExplain.setState({ upload: { ...u, id: ++uploads }, sample: null, text: null }),
      (e: unknown) => setError(errorMessage(e)),
    );
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    setDragging(false);
    if (!e.dataTransfer.files.length) return;
    // A file dropped here is explained, not opened as a project (the window's own drop handler).
    e.preventDefault();
    e.stopPropagation();
    explainFile(e.dataTransfer.files[0]);
  };
  const explainText = () => {
    if (draft.trim() === '') return setError('Type some text to explain.');
    useExplain.setState({ text: draft, sample: null, upload: null });
  };

  const block = result?.blocks.find((b) => b.layer === selected) ?? result?.blocks[0] ?? null;
  const heat = result ? (method === 'gradcam' ? result.gradcam : result.saliency) : null;
  const name = (k: number) => result?.classes[k] ?? String(k);
  const top3 = result
    ? result.probabilities
        .map((p, k) => ({ p, k }))
        .sort((a, b) => b.p - a.p)
        .slice(0, 3)
    : [];
  const imageResult = Boolean(result?.image);
  const smoothLabel = result?.saliency && result.saliency.smoothGradSamples > 0 ? `SmoothGrad: mean |∂score/∂pixel| over ${result.saliency.smoothGradSamples} noisy copies, max over channels` : '|∂score/∂pixel|, max over channels';

  if (!datasetPath) return <div className="ll-empty" data-testid="explain-panel">Choose an image or text dataset in the Dataset tab and train the model; then explain its predictions here.</div>;

  return (
    <div
      className={`ll-explain${dragging ? ' dropping' : ''}`}
      data-testid="explain-panel"
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
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
        {!textModel && (
          <div className="ll-seg" role="radiogroup" aria-label="Attribution">
            {(['gradcam', 'saliency'] as const).map((m) => (
              <button key={m} role="radio" aria-checked={method === m} className={method === m ? 'active' : ''} onClick={() => setMethod(m)} data-testid={`explain-method-${m}`}>
                {m === 'gradcam' ? 'Grad-CAM' : 'Saliency'}
              </button>
            ))}
          </div>
        )}
        {!textModel && method === 'saliency' && (
          <span className="ll-row small ll-explain-smooth">
            <label className="ll-row small">
              <input
                type="checkbox"
                checked={smoothGrad > 0}
                onChange={(e) => useExplain.setState({ smoothGrad: e.target.checked ? smoothCount : 0 })}
                data-testid="explain-smoothgrad"
              />
              SmoothGrad
            </label>
            <input
              type="number"
              className="ll-input small ll-explain-count"
              min={2}
              max={64}
              value={smoothCount}
              aria-label="SmoothGrad noisy copies"
              title="Noisy copies SmoothGrad averages (2–64); Enter applies"
              onChange={(e) => setSmoothCount(Math.max(2, Math.min(64, Math.round(Number(e.target.value) || 2))))}
              onKeyDown={(e) => e.key === 'Enter' && smoothGrad > 0 && useExplain.setState({ smoothGrad: smoothCount })}
              onBlur={() => smoothGrad > 0 && useExplain.setState({ smoothGrad: smoothCount })}
              data-testid="explain-smoothgrad-count"
            />
            <span className="ll-muted">copies</span>
          </span>
        )}
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
        <button className="ll-btn small" onClick={() => fileInput.current?.click()} data-testid="explain-open-file" title={textModel ? 'Explain a .txt file (or drop one here)' : 'Explain an image of yours (or drop one here)'}>
          {textModel ? 'Open text file…' : 'Open image…'}
        </button>
        <input
          ref={fileInput}
          type="file"
          hidden
          accept={textModel ? '.txt,text/plain' : 'image/*,.bmp'}
          onChange={(e) => {
            explainFile(e.target.files?.[0]);
            e.target.value = '';
          }}
          data-testid="explain-file"
        />
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
          <button key={s.path} className={`${s.path === sample ? 'active' : ''}${s.snippet !== undefined ? ' text' : ''}`} onClick={() => explainSample(s.path)} title={`${s.label}: ${s.path}`} aria-pressed={s.path === sample}>
            {s.thumbnail ? (
              <img src={s.thumbnail} alt={`Sample of class ${s.label}`} />
            ) : (
              <span>
                <span className="ll-muted">{s.label}</span> {s.snippet}
              </span>
            )}
          </button>
        ))}
      </div>
      {textModel && (
        <div className="ll-explain-typing ll-row">
          <textarea
            className="ll-input small"
            rows={2}
            value={draft}
            placeholder="Type a text to explain (Ctrl+Enter)"
            aria-label="Text to explain"
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                explainText();
              }
            }}
            data-testid="explain-text"
          />
          <button className="ll-btn small" onClick={explainText} data-testid="explain-text-go">
            Explain text
          </button>
        </div>
      )}
      {error && (
        <div className="ll-field-error" data-testid="explain-error">
          {error}
        </div>
      )}
      {!sample && !upload && text === null && !error && (
        <div className="ll-muted small">
          Pick a sample above (arrow keys move, Enter picks){textModel ? ', type a text' : ''}, or drop {textModel ? 'a .txt file' : 'an image of yours'} here.
        </div>
      )}
      {upload && !error && (
        <div className="ll-muted small" data-testid="explain-upload">
          Explaining {upload.name}
        </div>
      )}
      {result && (
        <div className={`ll-explain-body${imageResult ? '' : ' text'}`}>
          <div className="ll-explain-input">
            {result.image ? (
              <>
                <Overlay image={result.image} heat={heat} alpha={0.5} />
                <div className="ll-muted small">{method === 'gradcam' ? (result.gradcam ? `Grad-CAM at ${result.gradcam.layer}` : result.gradcamWhy) : smoothLabel}</div>
              </>
            ) : (
              <TokenAttribution result={result} className={name(result.classIndex)} />
            )}
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
          {block && <BlockView block={block} filters={result.filters} />}
        </div>
      )}
      {result && result.attention.length > 0 && <AttentionMaps maps={result.attention} tokens={result.tokens} />}
    </div>
  );
}
