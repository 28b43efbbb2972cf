/**
 * The code panel: the Keras and TensorFlow.js code for the graph, regenerated as it changes,
 * with copy and export.
 */
import { lazy, Suspense, useEffect, useState, type JSX } from 'react';
import { useStore } from 'zustand';
import type { CodeTarget, GeneratedCode } from '../../shared/api/types.js';
import { editor } from '../app/session.js';
import { api, errorMessage, isNotAvailable } from '../platform/api.js';
import { openDialog, toast, useUi } from '../state/uiStore.js';
import { Icon } from '../ui/Icon.js';
import { languageOf } from './codeLanguage.js';

const MonacoView = lazy(() => import('./MonacoView.js'));

const TARGETS: readonly { id: CodeTarget; label: string }[] = [
  { id: 'keras', label: 'Keras · Python' },
  { id: 'tfjs', label: 'TF.js · TypeScript' },
];

/** Copies text, falling back to a hidden textarea where the async clipboard is not allowed. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
}

/** The code panel. */
export function CodePanel(): JSX.Element {
  const doc = useStore(editor.store, (s) => s.doc);
  const valid = useStore(editor.store, (s) => s.analysis.valid);
  const theme = useUi((s) => s.theme);
  const [target, setTarget] = useState<CodeTarget>('keras');
  const [code, setCode] = useState<GeneratedCode | null>(null);
  const [file, setFile] = useState(0);
  const [problem, setProblem] = useState<{ message: string; unavailable: boolean } | null>(null);

  useEffect(() => {
    if (!valid) {
      setProblem({ message: 'The graph has errors; code is generated once they are fixed (see Problems).', unavailable: false });
      return;
    }
    let stale = false;
    const timer = window.setTimeout(() => {
      api.generateCode({ doc, target }).then(
        (c) => {
          if (stale) return;
          setCode(c);
          setProblem(null);
        },
        (e: unknown) => !stale && setProblem({ message: errorMessage(e), unavailable: isNotAvailable(e) }),
      );
    }, 250);
    return () => {
      stale = true;
      window.clearTimeout(timer);
    };
  }, [doc, target, valid]);

  useEffect(() => setFile(0), [target]);
  const shown = code && code.target === target ? code.files[Math.min(file, code.files.length - 1)] : undefined;

  return (
    <div className="ll-code" data-testid="code-panel">
      <div className="ll-row ll-code-bar">
        <div className="ll-segmented" role="tablist">
          {TARGETS.map((t) => (
            <button key={t.id} role="tab" aria-selected={target === t.id} className={target === t.id ? 'active' : ''} onClick={() => setTarget(t.id)} data-testid={`code-target-${t.id}`}>
              {t.label}
            </button>
          ))}
        </div>
        <span className="grow" />
        <button className="ll-btn" disabled={!shown} onClick={() => shown && void copyText(shown.content).then(() => toast('success', `Copied ${shown.path}.`))} data-testid="code-copy">
          <Icon name="copy" /> Copy
        </button>
        <button className="ll-btn primary" onClick={() => openDialog({ kind: 'export' })} data-testid="code-export">
          <Icon name="export" /> Export…
        </button>
      </div>
      {code && code.target === target && code.files.length > 1 && (
        <div className="ll-file-tabs" role="tablist" aria-label="Files">
          {code.files.map((f, i) => (
            <button key={f.path} role="tab" aria-selected={i === file} className={i === file ? 'active' : ''} onClick={() => setFile(i)}>
              {f.path}
            </button>
          ))}
        </div>
      )}
      {problem && <div className={`ll-callout ${problem.unavailable ? 'info' : 'warning'}`}>{problem.unavailable ? `Code generation is not available yet: ${problem.message}` : problem.message}</div>}
      <div className={`ll-code-view${problem && !problem.unavailable ? ' stale' : ''}`}>
        {shown ? (
          <Suspense fallback={<div className="ll-muted ll-pad">Loading editor…</div>}>
            <MonacoView value={shown.content} language={languageOf(shown.path, code?.language ?? 'python')} theme={theme} path={`${target}/${shown.path}`} />
          </Suspense>
        ) : (
          !problem && <div className="ll-muted ll-pad">Generating…</div>
        )}
      </div>
    </div>
  );
}
