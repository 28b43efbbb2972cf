/**
 * The title bar: project name with the unsaved marker, file actions, undo/redo, layout and view.
 */
import type { JSX } from 'react';
import { useStore } from 'zustand';
import { editor } from '../app/session.js';
import { displayChord, runCommand } from '../app/appCommands.js';
import { EDITOR_COMMAND_INFO } from '../editor/commands.js';
import { useUi } from '../state/uiStore.js';
import { Icon, type IconName } from '../ui/Icon.js';

function Tool({ icon, label, command, shortcut, disabled, testId }: { icon: IconName; label: string; command: string; shortcut?: string; disabled?: boolean; testId?: string }): JSX.Element {
  return (
    <button className="ll-tool" onClick={() => runCommand(command)} disabled={disabled} title={shortcut ? `${label} (${displayChord(shortcut)})` : label} aria-label={label} data-testid={testId}>
      <Icon name={icon} />
    </button>
  );
}

/** The logo mark: three stacked layers woven by a line. */
export function Logo(): JSX.Element {
  return (
    <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
      <defs>
        <linearGradient id="ll-g" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#7c9bff" />
          <stop offset="1" stopColor="#b084ff" />
        </linearGradient>
      </defs>
      <rect x="3" y="5" width="26" height="6" rx="3" fill="url(#ll-g)" opacity="0.95" />
      <rect x="3" y="13" width="26" height="6" rx="3" fill="url(#ll-g)" opacity="0.7" />
      <rect x="3" y="21" width="26" height="6" rx="3" fill="url(#ll-g)" opacity="0.45" />
      <path d="M8 8 L16 16 L24 24" stroke="#0f1115" strokeWidth="2.2" fill="none" strokeLinecap="round" />
    </svg>
  );
}

/** The end of a long path: `…/projects/mnist.layerloom`. */
function shortPath(path: string, max = 56): string {
  return path.length <= max ? path : `…${path.slice(path.length - max + 1)}`;
}

/** The top bar. */
export function TopBar(): JSX.Element {
  const name = useStore(editor.store, (s) => s.doc.name);
  const path = useStore(editor.store, (s) => s.path);
  const dirty = useStore(editor.store, (s) => s.doc !== s.savedDoc);
  const canUndo = useStore(editor.store, (s) => s.past.length > 0);
  const canRedo = useStore(editor.store, (s) => s.future.length > 0);
  const undoName = useStore(editor.store, (s) => s.past[s.past.length - 1]?.command);
  const theme = useUi((s) => s.theme);
  const undoTitle = undoName && undoName in EDITOR_COMMAND_INFO ? EDITOR_COMMAND_INFO[undoName as keyof typeof EDITOR_COMMAND_INFO].title : undoName;
  return (
    <header className="ll-topbar">
      <div className="ll-brand">
        <Logo />
        <span>Layerloom</span>
      </div>
      <div className="ll-tools">
        <Tool icon="new" label="New project" command="file.new" testId="tb-new" />
        <Tool icon="template" label="New from template" command="file.newFromTemplate" testId="tb-template" />
        <Tool icon="open" label="Open" command="file.open" shortcut="Mod+O" testId="tb-open" />
        <Tool icon="save" label="Save" command="file.save" shortcut="Mod+S" testId="tb-save" />
        <span className="ll-sep" />
        <Tool icon="undo" label={undoTitle ? `Undo ${undoTitle}` : 'Undo'} command="history.undo" shortcut="Mod+Z" disabled={!canUndo} testId="tb-undo" />
        <Tool icon="redo" label="Redo" command="history.redo" shortcut="Mod+Shift+Z" disabled={!canRedo} testId="tb-redo" />
        <span className="ll-sep" />
        <Tool icon="layout" label="Auto-layout" command="graph.autoLayout" shortcut="Shift+L" testId="tb-layout" />
        <Tool icon="fit" label="Zoom to fit" command="view.fit" shortcut="F" />
      </div>
      <div className="ll-title" title={path ?? 'Not saved yet'} data-testid="project-title">
        <span className="name">{name}</span>
        {dirty && <span className="ll-dirty" title="Unsaved changes" data-testid="dirty-marker" />}
        <span className="path">{path ? shortPath(path) : 'unsaved'}</span>
      </div>
      <div className="ll-tools right">
        <button className="ll-btn small" onClick={() => runCommand('training.start')} title={`Start training (${displayChord('Mod+Enter')})`}>
          <Icon name="play" size={14} /> Train
        </button>
        <button className="ll-btn small" onClick={() => runCommand('file.export')} title="Export Keras or TypeScript code">
          <Icon name="export" size={14} /> Export
        </button>
        <span className="ll-sep" />
        <Tool icon="sidebarLeft" label="Show/hide blocks panel" command="view.togglePalette" shortcut="Mod+B" testId="tb-toggle-palette" />
        <Tool icon="sidebarRight" label="Show/hide inspector" command="view.toggleInspector" shortcut="Mod+Alt+B" testId="tb-toggle-inspector" />
        <Tool icon={theme === 'dark' ? 'sun' : 'moon'} label={theme === 'dark' ? 'Light theme' : 'Dark theme'} command="view.toggleTheme" testId="tb-theme" />
        <Tool icon="help" label="Keyboard shortcuts" command="view.help" shortcut="?" testId="tb-help" />
      </div>
    </header>
  );
}
