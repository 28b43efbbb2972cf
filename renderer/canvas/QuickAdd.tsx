/**
 * The quick-add search box (double-click the canvas, press "/", or drop a wire on empty canvas):
 * type to filter blocks, Enter to add. Connected after the selected block when there is one.
 */
import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import type { BlockDef } from '../../shared/blocks/types.js';
import { searchBlocks } from '../../shared/editing/blockSearch.js';
import { CommandError, runEditorCommand } from '../editor/commands.js';
import { editor } from '../app/session.js';
import { toast, useUi, type QuickAddState } from '../state/uiStore.js';
import { categoryColor } from './blockStyle.js';
import { blocksAcceptingOutputOf } from './connectHint.js';

/** The quick-add popup. */
export function QuickAdd({ state }: { state: QuickAddState }): JSX.Element {
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const from = state.connectFrom ? editor.doc.nodes.find((n) => n.id === state.connectFrom) : undefined;
  // A wire dropped on the canvas: offer only blocks that take its shape.
  const accepting = useMemo(() => (state.connectFrom && !state.splice ? blocksAcceptingOutputOf(state.connectFrom, state.connectPort) : null), [state.connectFrom, state.connectPort, state.splice]);
  const results = useMemo(() => searchBlocks(query, accepting ?? undefined), [query, accepting]);

  useEffect(() => input.current?.focus(), []);
  useEffect(() => setIndex(0), [query]);

  const close = () => useUi.setState({ quickAdd: null });
  const add = (def: BlockDef | undefined) => {
    if (!def) return;
    close();
    try {
      runEditorCommand(editor, 'graph.addBlock', { type: def.type, position: state.flow, ...(state.connectFrom ? { connectFrom: state.connectFrom, ...(state.connectPort ? { connectPort: state.connectPort } : {}), splice: Boolean(state.splice) } : {}) });
    } catch (e) {
      toast('warning', e instanceof CommandError ? e.message : String(e));
    }
  };

  const left = Math.min(state.screen.x, window.innerWidth - 340);
  const top = Math.min(state.screen.y, window.innerHeight - 380);
  return (
    <div className="ll-quickadd-backdrop" onMouseDown={close}>
      <div className="ll-quickadd" style={{ left, top }} onMouseDown={(e) => e.stopPropagation()} role="dialog" aria-label="Add block">
        <input
          ref={input}
          className="ll-input"
          placeholder={from ? `Add after ${from.label}…` : 'Add block…'}
          value={query}
          aria-label="Search blocks"
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') setIndex((i) => Math.min(i + 1, results.length - 1));
            else if (e.key === 'ArrowUp') setIndex((i) => Math.max(i - 1, 0));
            else if (e.key === 'Enter') add(results[index]);
            else if (e.key === 'Escape') close();
            else return;
            e.preventDefault();
          }}
        />
        <ul className="ll-quickadd-list" role="listbox">
          {results.map((b, i) => (
            <li
              key={b.type}
              role="option"
              aria-selected={i === index}
              className={i === index ? 'active' : ''}
              onMouseEnter={() => setIndex(i)}
              onClick={() => add(b)}
            >
              <span className="ll-dot" style={{ background: categoryColor(b) }} />
              <span className="name">{b.type}</span>
              <span className="cat">{b.category}</span>
            </li>
          ))}
          {results.length === 0 && <li className="empty">No block matches “{query}”.</li>}
        </ul>
      </div>
    </div>
  );
}
