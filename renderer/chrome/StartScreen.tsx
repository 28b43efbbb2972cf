/**
 * The start screen, over the workspace when the app opens without a project (and from File →
 * Start screen): a new blank project, the bundled examples as templates (opened as unsaved
 * copies), Open, the recent projects, and the four steps of the work in one line.
 */
import { useEffect, useRef, useState, type JSX } from 'react';
import type { RecentProject, TemplateInfo } from '../../shared/api/types.js';
import { formatCount } from '../../shared/analysis/numbers.js';
import { newFromTemplate, newProject, open } from '../app/session.js';
import { displayChord, runCommand } from '../app/appCommands.js';
import { api, errorMessage } from '../platform/api.js';
import { useUi } from '../state/uiStore.js';
import { Icon } from '../ui/Icon.js';
import { TemplatePreview } from '../ui/TemplatePreview.js';
import { Logo } from './TopBar.js';

const STEPS = ['Build the network', 'Choose a dataset', 'Train', 'Export code'] as const;

/** The start screen (rendered while `useUi.start`). */
export function StartScreen(): JSX.Element {
  const [templates, setTemplates] = useState<TemplateInfo[] | null>(null);
  const [recent, setRecent] = useState<RecentProject[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    void api.listTemplates().then(setTemplates, (e: unknown) => setError(errorMessage(e)));
    void api.listRecent().then(setRecent, () => setRecent([]));
    first.current?.focus();
  }, []);

  return (
    <section
      className="ll-start"
      aria-label="Start"
      data-testid="start-screen"
      onKeyDown={(e) => {
        // Escape goes to the (empty) project underneath, as "Blank project" would.
        if (e.key === 'Escape' && !useUi.getState().dialog) useUi.setState({ start: false });
      }}
    >
      <div className="ll-start-inner">
        <header className="ll-start-head">
          <Logo />
          <div>
            <h1>Layerloom</h1>
            <ol className="ll-start-guide" aria-label="How it goes">
              {STEPS.map((s, i) => (
                <li key={s}>
                  <span className="n">{i + 1}</span>
                  {s}
                </li>
              ))}
            </ol>
          </div>
        </header>
        <div className="ll-start-cols">
          <div className="ll-start-actions">
            <h2>Start</h2>
            <button ref={first} className="ll-start-action" onClick={newProject} data-testid="start-blank">
              <Icon name="new" />
              <span>
                <b>Blank project</b>
                <span className="ll-muted small">An empty canvas; drag blocks in from the left.</span>
              </span>
            </button>
            <button className="ll-start-action" onClick={() => runCommand('file.open')} data-testid="start-open">
              <Icon name="open" />
              <span>
                <b>Open…</b>
                <span className="ll-muted small">A .layerloom project file ({displayChord('Mod+O')}).</span>
              </span>
            </button>
            <h2>Recent</h2>
            {recent === null ? (
              <p className="ll-muted small">Loading…</p>
            ) : recent.length === 0 ? (
              <p className="ll-muted small">Projects you open or save appear here.</p>
            ) : (
              <ul className="ll-start-recent" data-testid="start-recent">
                {recent.slice(0, 8).map((r) => (
                  <li key={r.path}>
                    <button onClick={() => open(r.path)} title={r.path}>
                      <b>{r.name}</b>
                      <span className="mono small ll-muted">{r.path}</span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="ll-start-templates">
            <h2>Templates</h2>
            <p className="ll-muted small">Each opens as an unsaved copy; the example files stay as they are.</p>
            {error && <div className="ll-callout error">{error}</div>}
            {templates === null && !error && <p className="ll-muted small">Loading templates…</p>}
            <div className="ll-start-grid">
              {templates?.map((t) => (
                <button key={t.id} className="ll-template" onClick={() => newFromTemplate(t.id)} data-start-template={t.id}>
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
          </div>
        </div>
      </div>
    </section>
  );
}
