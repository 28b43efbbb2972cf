/**
 * The block palette: every block of the registry, grouped by category and searchable. Drag a block
 * onto the canvas (or onto a connection to splice it in), or click to add it after the selection.
 */
import { useMemo, useState, type JSX } from 'react';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { BLOCK_CATEGORIES, type BlockDef } from '../../shared/blocks/types.js';
import { CommandError, runEditorCommand } from '../editor/commands.js';
import { editor } from '../app/session.js';
import { canvas } from '../canvas/canvasController.js';
import { BLOCK_DRAG_TYPE } from '../canvas/Canvas.js';
import { categoryColor } from '../canvas/blockStyle.js';
import { searchBlocks } from '../../shared/editing/blockSearch.js';
import { blocksAcceptingOutputOf, useConnectHint } from '../canvas/connectHint.js';
import { formatShapeCompact } from '../../shared/blocks/shapeUtils.js';
import { toast } from '../state/uiStore.js';
import { Icon } from '../ui/Icon.js';

function addNear(def: BlockDef): void {
  const { selection, doc } = editor.state;
  const from = selection.nodes.length === 1 ? doc.nodes.find((n) => n.id === selection.nodes[0]) : undefined;
  const position = from ? { x: from.position.x + 280, y: from.position.y } : (canvas()?.viewCenter() ?? { x: 0, y: 0 });
  try {
    runEditorCommand(editor, 'graph.addBlock', { type: def.type, position, ...(from ? { connectFrom: from.id, splice: true } : {}) });
  } catch (e) {
    toast('warning', e instanceof CommandError ? e.message : String(e));
  }
}

/** The palette sidebar. */
export function Palette(): JSX.Element {
  const [query, setQuery] = useState('');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  // While a wire is dragged out of a block: only the blocks that take its shape.
  const dragFrom = useConnectHint((s) => s.dragFrom);
  const dragPort = useConnectHint((s) => s.dragPort);
  const accepting = useMemo(() => (dragFrom ? blocksAcceptingOutputOf(dragFrom, dragPort) : null), [dragFrom, dragPort]);
  const filtering = Boolean(query) || accepting !== null;
  const found = useMemo(() => searchBlocks(query, accepting ?? undefined), [query, accepting]);
  const groups = useMemo(() => {
    const byCat = new Map<string, BlockDef[]>();
    for (const b of found) {
      const list = byCat.get(b.category);
      if (list) list.push(b);
      else byCat.set(b.category, [b]);
    }
    // Registry order within a group; category order from the palette definition.
    return BLOCK_CATEGORIES.filter((c) => byCat.has(c)).map((c) => ({
      category: c,
      blocks: filtering ? (byCat.get(c) ?? []) : BLOCKS.filter((b) => b.category === c),
    }));
  }, [found, filtering]);
  const dragShape = dragFrom ? editor.state.analysis.nodes.get(dragFrom)?.outputShapes.get(dragPort ?? 'out') : undefined;

  return (
    <aside className="ll-palette" aria-label="Blocks">
      <div className="ll-panel-title">Blocks</div>
      <div className="ll-search">
        <Icon name="search" />
        <input
          className="ll-input"
          placeholder="Search blocks (relu, bn, resize…)"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            // Enter adds the best match (after the selected block, when there is one).
            if (e.key === 'Enter' && found[0]) {
              e.preventDefault();
              addNear(found[0]);
            } else if (e.key === 'Escape') setQuery('');
          }}
          aria-label="Search blocks"
        />
      </div>
      {accepting && (
        <p className="ll-palette-note" data-testid="palette-accepting">
          Blocks that take {dragShape ? formatShapeCompact(dragShape) : 'this wire'}: drop the wire on the canvas to add one.
        </p>
      )}
      <div className="ll-palette-groups">
        {groups.map(({ category, blocks }) => {
          const closed = collapsed.has(category) && !filtering;
          return (
            <section key={category} className="ll-palette-group">
              <button
                className="ll-group-head"
                aria-expanded={!closed}
                onClick={() => {
                  const next = new Set(collapsed);
                  if (next.has(category)) next.delete(category);
                  else next.add(category);
                  setCollapsed(next);
                }}
              >
                <Icon name="chevron" className={closed ? '' : 'open'} size={12} />
                {category}
                <span className="count">{blocks.length}</span>
              </button>
              {!closed && (
                <ul>
                  {blocks.map((b) => (
                    <li
                      key={b.type}
                      className="ll-palette-item"
                      draggable
                      data-block-type={b.type}
                      title={b.description}
                      onDragStart={(e) => {
                        e.dataTransfer.setData(BLOCK_DRAG_TYPE, b.type);
                        e.dataTransfer.effectAllowed = 'copy';
                      }}
                      onClick={() => addNear(b)}
                    >
                      <span className="ll-dot" style={{ background: categoryColor(b) }} />
                      <span className="name">{b.type}</span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })}
        {groups.length === 0 && <p className="ll-muted ll-pad">No block matches “{query}”.</p>}
      </div>
    </aside>
  );
}
