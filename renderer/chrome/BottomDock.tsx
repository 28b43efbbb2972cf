/**
 * The bottom dock with the Problems, Analyzer, Dataset, Training, Explain and Code panels. Its size and
 * collapsing belong to the layout (Workspace.tsx); collapsed, only the tab bar shows.
 */
import type { JSX } from 'react';
import { useStore } from 'zustand';
import { editor } from '../app/session.js';
import { AnalyzerPanel } from '../panels/AnalyzerPanel.js';
import { CodePanel } from '../panels/CodePanel.js';
import { DatasetPanel } from '../panels/DatasetPanel.js';
import { ExplainPanel } from '../panels/ExplainPanel.js';
import { ProblemsPanel } from '../panels/ProblemsPanel.js';
import { TrainingPanel } from '../panels/TrainingPanel.js';
import { showTab, useUi, type BottomTab } from '../state/uiStore.js';
import { useTraining } from '../state/trainingStore.js';
import { Icon, type IconName } from '../ui/Icon.js';

const TABS: readonly { id: BottomTab; label: string; icon: IconName }[] = [
  { id: 'problems', label: 'Problems', icon: 'list' },
  { id: 'analyzer', label: 'Analyzer', icon: 'chart' },
  { id: 'dataset', label: 'Dataset', icon: 'database' },
  { id: 'training', label: 'Training', icon: 'chart' },
  { id: 'explain', label: 'Explain', icon: 'search' },
  { id: 'code', label: 'Code', icon: 'code' },
];

/** The dock. */
export function BottomDock(): JSX.Element {
  const tab = useUi((s) => s.bottomTab);
  const open = useUi((s) => s.bottomOpen);
  const errors = useStore(editor.store, (s) => s.analysis.diagnostics.filter((d) => d.severity === 'error').length);
  const warnings = useStore(editor.store, (s) => s.analysis.diagnostics.length) - errors;
  const phase = useTraining((s) => s.phase);
  const epoch = useUi((s) => s.projectEpoch);


  return (
    <section className={`ll-dock${open ? '' : ' closed'}`} aria-label="Panels">
      <div className="ll-dock-tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.id}
            role="tab"
            aria-selected={open && tab === t.id}
            className={open && tab === t.id ? 'active' : ''}
            onClick={() => (open && tab === t.id ? useUi.setState({ bottomOpen: false }) : showTab(t.id))}
            data-testid={`tab-${t.id}`}
          >
            <Icon name={t.icon} size={14} />
            {t.label}
            {t.id === 'problems' && errors > 0 && <span className="ll-count error">{errors}</span>}
            {t.id === 'problems' && errors === 0 && warnings > 0 && <span className="ll-count warning">{warnings}</span>}
            {t.id === 'training' && (phase === 'running' || phase === 'starting') && <span className="ll-live" />}
          </button>
        ))}
        <span className="grow" />
        <button className="ll-tool" onClick={() => useUi.setState({ bottomOpen: !open })} aria-label={open ? 'Hide panel' : 'Show panel'} title="Ctrl+J">
          <Icon name="chevron" className={open ? 'down' : 'up'} size={14} />
        </button>
      </div>
      {open && (
        // Keyed by the loaded project: a new or opened project starts every tab afresh.
        <div className="ll-dock-body" key={epoch}>
          {tab === 'problems' && <ProblemsPanel />}
          {tab === 'analyzer' && <AnalyzerPanel />}
          {tab === 'dataset' && <DatasetPanel />}
          {tab === 'training' && <TrainingPanel />}
          {tab === 'explain' && <ExplainPanel />}
          {tab === 'code' && <CodePanel />}
        </div>
      )}
    </section>
  );
}
