/**
 * Modal dialogs: open, save as, templates gallery, export, shortcuts help, crash recovery and
 * confirmations. In the browser host, paths are typed (there is no native file dialog); in Electron
 * a "Browse…" button opens the native one.
 */
import { useEffect, useMemo, useRef, useState, type JSX, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { ExportTargetKind, PythonInterpreterStatus, RecentProject, TemplateInfo, WeightChoices, WeightQuantization } from '../../shared/api/types.js';
import { quantizationLines, WEIGHT_QUANTIZATIONS } from '../../shared/codegen/quantize.js';
import { TFLITE_MODES, tfliteLine, tfliteProblem, type TfliteMode } from '../../shared/codegen/keras/tflite.js';
import { planModel } from '../../shared/codegen/plan.js';
import { planTraining } from '../../shared/codegen/training.js';
import { candidateLabel, CHECKPOINT_CHOICES, defaultWeightPick, initialProvenance, runTitle, type CheckpointChoice } from '../../shared/training/weightSource.js';
import { formatCount } from '../../shared/analysis/numbers.js';
import { editor, discardRecovery, newFromTemplate, open, recover, saveTo } from '../app/session.js';
import { allCommands, displayChord } from '../app/appCommands.js';
import { api, errorDetails, errorMessage } from '../platform/api.js';
import { closeDialog, toast, useUi, type Dialog } from '../state/uiStore.js';
import { Icon } from '../ui/Icon.js';
import { CommandPalette } from './CommandPalette.js';
import { Toasts } from './Toasts.js';
import { TemplatePreview } from '../ui/TemplatePreview.js';
import { browseForPath, FileBrowser, folderOf } from './FileBrowser.js';
import { RunView } from '../panels/RunView.js';
import { SESSION_KEY } from '../app/sessionKey.js';

function Modal({ title, children, wide, onClose = closeDialog, testId }: { title: string; children: ReactNode; wide?: boolean; onClose?: () => void; testId?: string }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const first = ref.current?.querySelector<HTMLElement>('input, button.primary, button');
    first?.focus();
  }, []);
  return (
    <div className="ll-modal-backdrop" onMouseDown={onClose}>
      <div
        ref={ref}
        className={`ll-modal${wide ? ' wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid={testId}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
          e.stopPropagation();
        }}
      >
        <div className="ll-modal-head">
          <h2>{title}</h2>
          <button className="ll-tool" onClick={onClose} aria-label="Close">
            <Icon name="x" />
          </button>
        </div>
        <div className="ll-modal-body">{children}</div>
        <Toasts inModal />
      </div>
    </div>
  );
}

function PathForm({ initial, action, onSubmit, purpose, placeholder }: { initial: string; action: string; onSubmit: (path: string) => void; purpose: 'openProject' | 'saveProject' | 'exportFolder'; placeholder: string }): JSX.Element {
  const [path, setPath] = useState(initial);
  const native = useUi((s) => s.appInfo?.capabilities.nativeDialogs ?? false);
  return (
    <form
      className="ll-row"
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim()) onSubmit(path.trim());
      }}
    >
      <input className="ll-input mono grow" value={path} onChange={(e) => setPath(e.target.value)} placeholder={placeholder} aria-label="Path" data-testid="path-input" />
      <button
        type="button"
        className="ll-btn"
        data-testid="path-browse"
        onClick={() => {
          // Electron: the native dialog; the browser host: the host-backed file browser.
          const chosen = native
            ? api.pickPath({ purpose, ...(path ? { defaultPath: path } : {}) })
            : browseForPath({ mode: purpose === 'exportFolder' ? 'folder' : purpose === 'openProject' ? 'open' : 'save', title: purpose === 'exportFolder' ? 'Choose the export folder' : 'Choose a project file', initialPath: path, actionLabel: 'Choose' });
          void chosen.then((p) => p && setPath(p), () => undefined);
        }}
      >
        <Icon name="folder" /> Browse…
      </button>
      <button type="submit" className="ll-btn primary" disabled={!path.trim()} data-testid="path-submit">
        {action}
      </button>
    </form>
  );
}

function OpenDialog(): JSX.Element {
  const [recent, setRecent] = useState<RecentProject[] | null>(null);
  const dir = useUi((s) => s.appInfo?.defaultDirectory ?? '');
  const native = useUi((s) => s.appInfo?.capabilities.nativeDialogs ?? false);
  const current = useStore(editor.store, (s) => s.path);
  // Start beside the open project, else in the host's working folder.
  const start = current ? `${folderOf(current)}/` : dir ? `${dir}/` : '';
  useEffect(() => {
    void api.listRecent().then(setRecent, () => setRecent([]));
  }, []);
  return (
    <Modal title="Open project" wide={!native} testId="dialog-open">
      {native ? (
        <PathForm initial={start} action="Open" purpose="openProject" placeholder="/path/to/project.layerloom" onSubmit={(p) => open(p)} />
      ) : (
        <FileBrowser mode="open" initialPath={start} actionLabel="Open" onChoose={(p) => open(p)} />
      )}
      <div className="ll-section-title">Recent</div>
      {recent === null ? (
        <p className="ll-muted small">Loading…</p>
      ) : recent.length === 0 ? (
        <p className="ll-muted small">No recent projects.</p>
      ) : (
        <ul className="ll-recent">
          {recent.map((r) => (
            <li key={r.path}>
              <button onClick={() => open(r.path)}>
                <b>{r.name}</b>
                <span className="mono small ll-muted">{r.path}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </Modal>
  );
}

function SaveAsDialog({ then }: { then?: () => void }): JSX.Element {
  const dir = useUi((s) => s.appInfo?.defaultDirectory ?? '');
  const path = useStore(editor.store, (s) => s.path);
  const name = useStore(editor.store, (s) => s.doc.name);
  const native = useUi((s) => s.appInfo?.capabilities.nativeDialogs ?? false);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'project';
  const initial = path ?? `${dir}/${slug}.layerloom`;
  const submit = (p: string) => {
    const target = p.endsWith('.layerloom') ? p : `${p}.layerloom`;
    void saveTo(target).then((ok) => {
      if (!ok) return;
      then?.();
      closeDialog();
    });
  };
  return (
    <Modal title="Save project as" wide={!native} testId="dialog-save">
      {native ? (
        <PathForm initial={initial} action="Save" purpose="saveProject" placeholder="/path/to/project.layerloom" onSubmit={submit} />
      ) : (
        <FileBrowser mode="save" initialPath={initial} actionLabel="Save" onChoose={submit} />
      )}
      <p className="ll-muted small">Saved atomically: the file is written beside the old one and swapped in, so a crash never leaves half a project.</p>
    </Modal>
  );
}

function TemplatesDialog(): JSX.Element {
  const [list, setList] = useState<TemplateInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api.listTemplates().then(setList, (e: unknown) => setError(errorMessage(e)));
  }, []);
  return (
    <Modal title="New from template" wide testId="dialog-templates">
      {error && <div className="ll-callout error">{error}</div>}
      {list === null && !error && <p className="ll-muted">Loading templates…</p>}
      {list && list.length === 0 && <p className="ll-muted">No templates found in examples/.</p>}
      <div className="ll-templates">
        {list?.map((t) => (
          <button key={t.id} className="ll-template" onClick={() => newFromTemplate(t.id)} data-template={t.id}>
            <TemplatePreview t={t} />
            <div className="ll-template-text">
              <b>{t.name}</b>
              <span className="small">{t.description}</span>
              <span className="ll-muted small mono">
                {t.nodeCount} blocks · {formatCount(t.params)} params
              </span>
            </div>
          </button>
        ))}
      </div>
    </Modal>
  );
}

const EXPORT_TARGET_LABELS: Readonly<Record<ExportTargetKind, string>> = { keras: 'Keras (Python)', tfjs: 'TensorFlow.js (TypeScript)', onnx: 'ONNX (model file)' };

/** The run (or the initial weights) an export takes: a run id, or `initial`. */
type WeightPick = string;

/** Picks the weights an export ships: the best run by default, any usable run, or the initial weights. */
function WeightPicker({ choices, pick, checkpoint, onPick, onCheckpoint }: { choices: WeightChoices | null; pick: WeightPick; checkpoint: CheckpointChoice; onPick: (p: WeightPick) => void; onCheckpoint: (c: CheckpointChoice) => void }): JSX.Element {
  if (!choices) return <p className="ll-muted small">Looking for trained weights…</p>;
  const run = choices.runs.find((r) => r.id === pick && r.usable);
  const label = run ? candidateLabel(run, checkpoint) : initialProvenance().label;
  const unusable = choices.runs.filter((r) => !r.usable);
  return (
    <div className="ll-weights" data-testid="export-weights">
      <label className="ll-field">
        <span className="ll-field-label">Weights</span>
        <select className="ll-input" value={pick} onChange={(e) => onPick(e.target.value)} aria-label="Weights" data-testid="export-weights-pick">
          {choices.runs
            .filter((r) => r.usable)
            .map((r) => (
              <option key={r.id} value={r.id}>
                {r.id === choices.best ? 'Best: ' : r.id === choices.latest ? 'Latest: ' : ''}
                {candidateLabel(r, r.checkpoints.best ? 'best' : 'last')}
              </option>
            ))}
          <option value="initial">Initial weights (not trained)</option>
        </select>
      </label>
      <div className="ll-row wrap">
        {run && (
          <div className="ll-segmented small" role="group" aria-label="Checkpoint">
            {CHECKPOINT_CHOICES.map((c) => (
              <button key={c} className={checkpoint === c ? 'active' : ''} disabled={!run.checkpoints[c]} onClick={() => onCheckpoint(c)} data-testid={`export-checkpoint-${c}`}>
                {c} checkpoint
              </button>
            ))}
          </div>
        )}
        <span className="small" data-testid="export-weights-label">
          <b>{label}</b>
          {run && <span className="ll-muted mono"> · --run {run.id} --checkpoint {checkpoint}</span>}
        </span>
      </div>
      {unusable.length > 0 && (
        <details className="ll-muted small" data-testid="export-weights-unusable">
          <summary>
            {unusable.length} run{unusable.length === 1 ? '' : 's'} cannot be used
          </summary>
          <ul>
            {unusable.map((r) => (
              <li key={r.id}>
                <span className="mono">{runTitle(r)}</span>: {r.why}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function ExportDialog(): JSX.Element {
  const [target, setTarget] = useState<ExportTargetKind>('keras');
  const [busy, setBusy] = useState(false);
  const [written, setWritten] = useState<readonly string[] | null>(null);
  const [precision, setPrecision] = useState<WeightQuantization | 'float32'>('float32');
  const [tflite, setTflite] = useState<TfliteMode | 'none'>('none');
  const [shrunk, setShrunk] = useState<readonly string[] | null>(null);
  const [overwrite, setOverwrite] = useState(false);
  const [choices, setChoices] = useState<WeightChoices | null>(null);
  const [pick, setPick] = useState<WeightPick>('initial');
  const [checkpoint, setCheckpoint] = useState<CheckpointChoice>('best');
  const dir = useUi((s) => s.appInfo?.defaultDirectory ?? '');
  const doc = useStore(editor.store, (s) => s.doc);
  const path = useStore(editor.store, (s) => s.path);
  const valid = useStore(editor.store, (s) => s.analysis.valid);
  // Why a TFLite mode cannot convert this graph (int8 of a recurrent model), as the host would refuse it.
  const tfliteRefusal = useMemo(() => {
    if (!valid) return {};
    try {
      const plan = planModel(doc);
      const t = planTraining(doc, plan);
      return Object.fromEntries(TFLITE_MODES.map((m) => [m, tfliteProblem(plan, t, m)]));
    } catch {
      return {};
    }
  }, [doc, valid]);
  const slug = doc.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'model';
  useEffect(() => {
    let live = true;
    // The graph as it is when the dialog opens decides which runs fit.
    api.listWeightChoices({ doc: editor.store.getState().doc, projectPath: path, ...(path ? {} : { sessionKey: SESSION_KEY }) }).then(
      (c) => {
        if (!live) return;
        setChoices(c);
        // The same default as `layerloom export` with no weight options.
        const first = defaultWeightPick(c);
        setPick(first?.run ?? 'initial');
        setCheckpoint(first?.checkpoint ?? 'best');
      },
      () => live && setChoices({ runs: [], best: null, latest: null }),
    );
    return () => {
      live = false;
    };
  }, [path]);
  // Until the choices arrive, the host's default applies (the same one the picker then shows).
  const weights = choices === null ? undefined : pick === 'initial' ? {} : { run: pick, checkpoint };
  return (
    <Modal title="Export code" testId="dialog-export" wide>
      {!valid && <div className="ll-callout warning">The graph has errors; fix them before exporting.</div>}
      <div className="ll-segmented">
        {(['keras', 'tfjs', 'onnx'] as const).map((t) => (
          <button key={t} className={target === t ? 'active' : ''} onClick={() => setTarget(t)} data-testid={`export-target-${t}`}>
            {EXPORT_TARGET_LABELS[t]}
          </button>
        ))}
      </div>
      {target === 'tfjs' && (
        <div className="ll-row small" data-testid="export-precision">
          <span>Precision</span>
          <div className="ll-segmented">
            {(['float32', ...WEIGHT_QUANTIZATIONS] as const).map((p) => (
              <button key={p} className={precision === p ? 'active' : ''} onClick={() => setPrecision(p)} data-testid={`export-precision-${p}`} title={p === 'float32' ? 'Full precision' : `${p === 'float16' ? 'Half' : 'A quarter of'} the size; the accuracy before and after is measured on the validation split`}>
                {p}
              </button>
            ))}
          </div>
        </div>
      )}
      {target === 'keras' && (
        <div className="ll-row small" data-testid="export-tflite">
          <span title="Also write model.tflite, converted by the exported model.py with Python TensorFlow">TFLite</span>
          <div className="ll-segmented">
            {(['none', ...TFLITE_MODES] as const).map((m) => {
              const refused = m === 'none' ? null : (tfliteRefusal[m] ?? null);
              const help =
                m === 'none'
                  ? 'No TensorFlow Lite file'
                  : m === 'dynamic'
                    ? 'int8 weights, float compute: about a quarter of the size'
                    : m === 'float16'
                      ? 'float16 weights: half the size'
                      : 'Full-integer: int8 weights and activations, calibrated on the training data';
              return (
                <button key={m} className={tflite === m ? 'active' : ''} disabled={refused !== null} onClick={() => setTflite(m)} data-testid={`export-tflite-${m}`} title={refused ?? `${help}. Needs Python with TensorFlow.`}>
                  {m}
                </button>
              );
            })}
          </div>
          {tfliteRefusal.int8 && (
            <span className="ll-muted" data-testid="export-tflite-note">
              int8: not for recurrent layers; dynamic and float16 fix the batch to 1
            </span>
          )}
        </div>
      )}
      <WeightPicker
        choices={choices}
        pick={pick}
        checkpoint={checkpoint}
        onPick={(p) => {
          setPick(p);
          const r = choices?.runs.find((x) => x.id === p);
          if (r && !r.checkpoints[checkpoint]) setCheckpoint(checkpoint === 'best' ? 'last' : 'best');
        }}
        onCheckpoint={setCheckpoint}
      />
      <PathForm
        initial={`${path ? folderOf(path) : dir}/${slug}-${target}`}
        key={target}
        action={busy ? 'Exporting…' : 'Export'}
        purpose="exportFolder"
        placeholder="/path/to/folder"
        onSubmit={(folder) => {
          setBusy(true);
          setWritten(null);
          setShrunk(null);
          const quantize = target === 'tfjs' && precision !== 'float32' ? precision : undefined;
          const lite = target === 'keras' && tflite !== 'none' && !tfliteRefusal[tflite] ? tflite : undefined;
          api.exportCode({ doc, target, folder, projectPath: path, overwrite, ...(weights ? { weights } : {}), ...(path ? {} : { sessionKey: SESSION_KEY }), ...(quantize ? { quantize } : {}), ...(lite ? { tflite: lite } : {}) }).then(
            (r) => {
              setBusy(false);
              setWritten(r.files);
              const lines = [...(r.quantization ? quantizationLines(r.quantization) : []), ...(r.tflite ? [tfliteLine(r.tflite)] : [])];
              setShrunk(lines.length ? lines : null);
              toast('success', `Exported ${r.files.length} file(s) to ${r.folder} with ${r.provenance.label}`, r.notes);
            },
            (e: unknown) => {
              setBusy(false);
              toast('error', errorMessage(e), errorDetails(e));
            },
          );
        }}
      />
      <label className="ll-row small ll-check">
        <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} />
        Write into a folder that already has files (same-named files are replaced)
      </label>
      {shrunk && (
        <div className="mono small" data-testid="export-quantization">
          {shrunk.map((l) => (
            <div key={l}>{l}</div>
          ))}
        </div>
      )}
      {written && (
        <ul className="ll-written mono small" data-testid="export-files">
          {written.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
      <p className="ll-muted small">Writes the model code and the chosen weights into the folder; its README says which run and checkpoint they came from.</p>
    </Modal>
  );
}

function HelpDialog(): JSX.Element {
  const groups = useMemo(() => {
    const map = new Map<string, { title: string; keys: readonly string[] }[]>();
    for (const c of allCommands()) {
      if (c.listed === false || !c.shortcut) continue;
      const list = map.get(c.group) ?? [];
      list.push({ title: c.title, keys: c.shortcut });
      map.set(c.group, list);
    }
    map.set('Mouse', [
      { title: 'Add a block', keys: ['Drag from palette', 'Double-click canvas'] },
      { title: 'Insert into a connection', keys: ['Drop a block on a wire'] },
      { title: 'Connect', keys: ['Drag from ● to ●'] },
      { title: 'Add a connected block', keys: ['Drop a wire on empty canvas'] },
      { title: 'Select several', keys: ['Shift+drag', 'Ctrl+click'] },
      { title: 'Rename', keys: ['Double-click the name'] },
      { title: 'Move selected blocks', keys: ['Arrow keys', 'Shift+Arrow keys'] },
      { title: 'Pan', keys: ['Drag the canvas', 'Space+drag'] },
      { title: 'Zoom', keys: ['Scroll', 'Pinch'] },
    ]);
    return [...map];
  }, []);
  return (
    <Modal title="Keyboard shortcuts" wide testId="dialog-help">
      <div className="ll-help-grid">
        {groups.map(([group, items]) => (
          <section key={group}>
            <h3>{group}</h3>
            <dl>
              {items.map((it) => (
                <div key={it.title} className="ll-help-row">
                  <dt>{it.title}</dt>
                  <dd>
                    {it.keys.map((k) => (
                      <kbd key={k}>{displayChord(k)}</kbd>
                    ))}
                  </dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Modal>
  );
}

function RecoveryDialog({ entries }: { entries: Extract<Dialog, { kind: 'recovery' }>['entries'] }): JSX.Element {
  const [left, setLeft] = useState(entries);
  useEffect(() => {
    if (left.length === 0) closeDialog();
  }, [left]);
  return (
    <Modal title="Recover unsaved work" testId="dialog-recovery">
      <p>Layerloom did not close cleanly last time. This unsaved work was kept:</p>
      <ul className="ll-recent">
        {left.map((e) => (
          <li key={e.key} className="ll-recovery-row">
            <div>
              <b>{e.name}</b>
              <div className="mono small ll-muted">{e.path ?? 'never saved'}</div>
              <div className="small ll-muted">
                autosaved {new Date(e.savedAt).toLocaleString()} · {e.doc.nodes.length} blocks
              </div>
            </div>
            <div className="ll-row">
              <button className="ll-btn" onClick={() => void discardRecovery(e).then(() => setLeft((l) => l.filter((x) => x.key !== e.key)))}>
                Discard
              </button>
              <button className="ll-btn primary" onClick={() => recover(e)} data-testid="recover">
                Restore
              </button>
            </div>
          </li>
        ))}
      </ul>
    </Modal>
  );
}

function ConfirmDialog({ d }: { d: Extract<Dialog, { kind: 'confirm' }> }): JSX.Element {
  return (
    <Modal title={d.title} testId="dialog-confirm">
      <p>{d.message}</p>
      <div className="ll-row end">
        <button className="ll-btn" onClick={closeDialog}>
          Cancel
        </button>
        {d.alternative && (
          <button className="ll-btn" onClick={d.alternative.run}>
            {d.alternative.label}
          </button>
        )}
        <button className={`ll-btn ${d.danger ? 'danger' : 'primary'}`} onClick={d.onConfirm} data-testid="confirm">
          {d.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

const SOURCE: Record<PythonInterpreterStatus['source'], string> = {
  setting: 'the saved setting',
  environment: 'LAYERLOOM_PYTHON, which wins over the setting',
  default: 'the default: no interpreter is saved',
};

/**
 * The Keras engine's Python interpreter: the one in use and what it has; another is checked (as
 * `layerloom doctor --set-python` checks it) before it is saved, and a bad one is refused with the
 * reason, keeping what was typed. An app started from a desktop launcher may not see the shell's
 * PATH, so this is where a virtual environment's interpreter is named.
 */
function PythonDialog(): JSX.Element {
  const [status, setStatus] = useState<PythonInterpreterStatus | null>(null);
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState<'checking' | 'saving' | null>('checking');
  const [error, setError] = useState<string | null>(null);
  const native = useUi((s) => s.appInfo?.capabilities.nativeDialogs ?? false);
  // The field keeps the focus across a check (its button is disabled meanwhile), so Escape still closes.
  const input = useRef<HTMLInputElement>(null);
  const show = (s: PythonInterpreterStatus) => {
    setStatus(s);
    setPath(s.saved ?? s.python);
  };
  useEffect(() => {
    void api.getPythonInterpreter().then(show, (e: unknown) => setError(errorMessage(e))).finally(() => setBusy(null));
  }, []);
  const save = (value: string) => {
    setBusy('saving');
    setError(null);
    api.setPythonInterpreter(value).then(
      (s) => {
        show(s);
        toast('success', value ? `The Keras engine now runs ${value}.` : 'Removed the interpreter setting: the Keras engine runs the default.');
      },
      (e: unknown) => setError(errorMessage(e)),
    ).finally(() => {
      setBusy(null);
      input.current?.focus();
    });
  };
  const browse = () => {
    // Electron: the native dialog; the browser host: the host-backed file browser.
    const chosen = native
      ? api.pickPath({ purpose: 'pythonInterpreter', ...(path ? { defaultPath: path } : {}) })
      : browseForPath({ mode: 'file', title: 'Choose the Python interpreter (e.g. a virtual environment’s bin/python)', initialPath: path.trim() ? `${folderOf(path.trim())}/` : '/', actionLabel: 'Choose' });
    void chosen.then((p) => p && setPath(p), () => undefined).finally(() => input.current?.focus());
  };
  return (
    <Modal title="Python interpreter (Keras engine)" testId="dialog-python">
      <p className="ll-muted small">The Keras engine trains in this Python, which needs TensorFlow ≥ 2.16 and Keras ≥ 3. A desktop launcher may not see your shell’s PATH: name a virtual environment’s interpreter here.</p>
      <div className="ll-cards">
        <div className="ll-card">
          <span className="k">In use</span>
          <span className="v small mono" data-testid="python-current">
            {status ? status.python : 'checking…'}
          </span>
          {status && <span className="ll-muted small">from {SOURCE[status.source]}</span>}
        </div>
        <div className="ll-card">
          <span className="k">Found</span>
          <span className={`v small${status?.problem ? ' ll-warn-count' : ''}`} data-testid="python-versions">
            {busy === 'checking' ? 'Checking (starting Python and TensorFlow)…' : status ? (status.description ?? status.problem) : '—'}
          </span>
        </div>
      </div>
      <form
        className="ll-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim()) save(path.trim());
        }}
      >
        <input ref={input} className="ll-input mono grow" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/venv/bin/python" aria-label="Python interpreter path" data-testid="python-path" />
        <button type="button" className="ll-btn" onClick={browse} data-testid="python-browse">
          <Icon name="folder" /> Browse…
        </button>
        <button type="submit" className="ll-btn primary" disabled={!path.trim() || busy !== null} data-testid="python-save">
          {busy === 'saving' ? 'Checking…' : 'Check and save'}
        </button>
      </form>
      {error && (
        <div className="ll-callout error small" role="alert" data-testid="python-error">
          {error}
        </div>
      )}
      <div className="ll-row end">
        {status?.saved && (
          <button className="ll-btn" disabled={busy !== null} onClick={() => save('')} data-testid="python-reset">
            Use the default
          </button>
        )}
        <button className="ll-btn" onClick={closeDialog}>
          Close
        </button>
      </div>
    </Modal>
  );
}

/** Renders the open dialog, if any. */
export function Dialogs(): JSX.Element | null {
  const dialog = useUi((s) => s.dialog);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'open':
      return <OpenDialog />;
    case 'saveAs':
      return <SaveAsDialog then={dialog.then} />;
    case 'templates':
      return <TemplatesDialog />;
    case 'help':
      return <HelpDialog />;
    case 'commands':
      return <CommandPalette />;
    case 'export':
      return <ExportDialog />;
    case 'recovery':
      return <RecoveryDialog entries={dialog.entries} />;
    case 'confirm':
      return <ConfirmDialog d={dialog} />;
    case 'python':
      return <PythonDialog />;
    case 'run':
      return (
        <Modal title="Run" testId="dialog-run" wide>
          <RunView key={dialog.dir} dir={dialog.dir} />
        </Modal>
      );
  }
}
