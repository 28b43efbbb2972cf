/**
 * The editor window: top bar, palette, canvas, inspector, bottom dock, status bar, plus the global
 * keyboard handling that routes shortcuts to commands.
 */
import { useEffect, type JSX } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { useStore } from 'zustand';
import { editor } from './app/session.js';
import { commandForKey, recalledClipboard, rememberClipboard, pasteText, runCommand } from './app/appCommands.js';
import { runEditorCommand } from './editor/commands.js';
import { Canvas } from './canvas/Canvas.js';
import { Palette } from './panels/Palette.js';
import { Inspector } from './panels/Inspector.js';
import { TopBar } from './chrome/TopBar.js';
import { StatusBar } from './chrome/StatusBar.js';
import { BottomDock } from './chrome/BottomDock.js';
import { Workspace } from './chrome/Workspace.js';
import { StartScreen } from './chrome/StartScreen.js';
import { FileBrowserDialog } from './chrome/FileBrowser.js';
import { Dialogs } from './chrome/Dialogs.js';
import { Toasts } from './chrome/Toasts.js';
import { ContextMenu } from './canvas/ContextMenu.js';
import { api } from './platform/api.js';
import { toast, useUi } from './state/uiStore.js';
import { parseClipboard } from '../shared/editing/clipboard.js';

/** True when keys should go to the focused element, not to canvas shortcuts. */
function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('.nokey')) return true;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

const NUDGE: Readonly<Record<string, [number, number]>> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (useUi.getState().dialog) return;
      // Save works everywhere, even while typing in a field.
      const cmd = commandForKey(e);
      if (typingInto(e.target) && cmd?.id !== 'file.save' && cmd?.id !== 'file.saveAs') return;
      const nudge = NUDGE[e.key];
      if (nudge && !e.ctrlKey && !e.metaKey && !e.altKey && editor.state.selection.nodes.length) {
        e.preventDefault();
        const step = e.shiftKey ? 64 : 16;
        runEditorCommand(editor, 'selection.nudge', { dx: nudge[0] * step, dy: nudge[1] * step });
        return;
      }
      if (!cmd) return;
      // The start screen covers the canvas: only file and view commands make sense there.
      if (useUi.getState().start && cmd.group !== 'File' && cmd.group !== 'View') return;
      // Paste is handled by the paste event (it carries the system clipboard); see below.
      if (cmd.id === 'clipboard.paste') {
        pendingPaste = window.setTimeout(() => {
          pendingPaste = undefined;
          runCommand('clipboard.paste');
        }, 60);
        return;
      }
      e.preventDefault();
      runCommand(cmd.id);
    };
    const onPaste = (e: ClipboardEvent) => {
      if (typingInto(e.target) || useUi.getState().dialog) return;
      window.clearTimeout(pendingPaste);
      pendingPaste = undefined;
      const text = e.clipboardData?.getData('text/plain') ?? '';
      const payload = text && parseClipboard(text) ? text : recalledClipboard();
      if (!payload) return;
      e.preventDefault();
      try {
        pasteText(payload);
      } catch (err) {
        toast('warning', (err as Error).message);
      }
    };
    const onCopy = (e: ClipboardEvent) => {
      if (typingInto(e.target) || !editor.state.selection.nodes.length) return;
      const text = runEditorCommand(editor, 'clipboard.copy');
      if (!text) return;
      e.clipboardData?.setData('text/plain', text);
      rememberClipboard(text);
      e.preventDefault();
    };
    let pendingPaste: number | undefined;
    window.addEventListener('keydown', onKey);
    document.addEventListener('paste', onPaste);
    document.addEventListener('copy', onCopy);
    const offCommand = api.onAppCommand(({ command }) => {
      if (!runCommand(command)) toast('warning', `Unknown command "${command}".`);
    });
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('paste', onPaste);
      document.removeEventListener('copy', onCopy);
      offCommand();
    };
  }, []);
}

/** The app. */
export function App(): JSX.Element {
  useShortcuts();
  const name = useStore(editor.store, (s) => s.doc.name);
  const dirty = useStore(editor.store, (s) => s.doc !== s.savedDoc);
  const theme = useUi((s) => s.theme);
  const start = useUi((s) => s.start);
  useEffect(() => {
    document.title = `${dirty ? '● ' : ''}${name} — Layerloom`;
  }, [name, dirty]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return (
    <ReactFlowProvider>
      <div className="ll-app">
        <TopBar />
        <div className="ll-body">
          <Workspace palette={<Palette />} canvas={<Canvas />} dock={<BottomDock />} inspector={<Inspector />} />
          {start && <StartScreen />}
        </div>
        <StatusBar />
        <ContextMenu />
        <Dialogs />
        <FileBrowserDialog />
        <Toasts />
      </div>
    </ReactFlowProvider>
  );
}
