/**
 * Monaco, bundled with the app (never fetched from a CDN): the editor core plus Python, TypeScript,
 * YAML, Dockerfile and Markdown syntax colouring, with its worker built by Vite. Loaded lazily with the Code panel.
 * Wrapped in `nokey` so canvas shortcuts never swallow keys typed into it (see FACTS: Monaco 0.57
 * takes keys through a contenteditable element).
 */
import type { JSX } from 'react';
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/features/find/register';
import 'monaco-editor/features/folding/register';
import 'monaco-editor/features/clipboard/register';
import 'monaco-editor/languages/definitions/python/register';
import 'monaco-editor/languages/definitions/typescript/register';
import 'monaco-editor/languages/definitions/yaml/register';
import 'monaco-editor/languages/definitions/dockerfile/register';
import 'monaco-editor/languages/definitions/markdown/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import Editor, { loader } from '@monaco-editor/react';

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

window.MonacoEnvironment = { getWorker: () => new EditorWorker() };
loader.config({ monaco });

/** A read-only code view. */
export default function MonacoView({ value, language, theme, path }: { value: string; language: string; theme: 'dark' | 'light'; path: string }): JSX.Element {
  return (
    <div className="ll-monaco nokey" data-testid="code-editor">
      <Editor
        value={value}
        language={language}
        path={path}
        theme={theme === 'dark' ? 'vs-dark' : 'vs'}
        options={{
          readOnly: true,
          minimap: { enabled: false },
          fontSize: 13,
          fontFamily: 'ui-monospace, "JetBrains Mono", "SF Mono", Menlo, Consolas, monospace',
          scrollBeyondLastLine: false,
          renderLineHighlight: 'none',
          automaticLayout: true,
          padding: { top: 8 },
        }}
        loading={<div className="ll-muted ll-pad">Loading editor…</div>}
      />
    </div>
  );
}
