/**
 * The React Flow canvas: a view of the document store. Its change events become editor commands
 * (a drag is a gesture, one undo step); selection lives in the store; connections are checked by
 * shape inference before they are made.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type JSX, type MouseEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeChange,
  type OnConnectEnd,
  type OnConnectStart,
  type Viewport,
} from '@xyflow/react';
import { useStore } from 'zustand';
import { getBlock } from '../../shared/blocks/registry.js';
import type { Position } from '../../shared/graph/document.js';
import { moveNodes } from '../../shared/graph/operations.js';
import { checkConnection } from '../../shared/editing/connectCheck.js';
import { CommandError, runEditorCommand } from '../editor/commands.js';
import { DEFAULT_NODE_SIZE } from '../editor/layout.js';
import { editor } from '../app/session.js';
import { toast, useUi } from '../state/uiStore.js';
import { BlockNode } from './BlockNode.js';
import { CATEGORY_HEX } from './blockStyle.js';
import { setCanvasController } from './canvasController.js';
import { useConnectHint } from './connectHint.js';
import { deriveEdges, deriveNodes, newFlowCache, type BlockFlowNode, type ShapeFlowEdge } from './flowModel.js';
import { ConnectionLine, ShapeEdge } from './ShapeEdge.js';
import { QuickAdd } from './QuickAdd.js';
import { CANVAS_CONTEXT_MENU } from './ContextMenu.js';

const nodeTypes = { block: BlockNode };
/** Below this zoom, blocks are drawn without detail. */
const LOD_ZOOM = 0.45;
/** The smallest zoom a freshly opened or laid-out graph is shown at. */
const READABLE_ZOOM = 0.6;

// Props handed to React Flow are module constants or stable callbacks: React Flow copies changed
// props into its store, and every store change re-runs each node's and edge's selectors, so a new
// array or arrow per render would cost O(graph) work on every edit.
const SNAP_GRID: [number, number] = [16, 16];
const MULTI_SELECT_KEYS = ['Meta', 'Control'];
// Fixed margins rather than a fraction of the viewport: a 15% margin on every side shrank blocks to
// unreadable text on a laptop screen. The left margin clears the zoom controls.
const FIT_OPTIONS = { padding: { top: '28px', right: '28px', bottom: '28px', left: '64px' }, maxZoom: 1.2 } as const;
const MINIMAP_STYLE = { width: 140, height: 92 };
const beginDrag = () => editor.beginGesture('graph.move');
const endDrag = () => editor.endGesture();
const minimapColor = (n: BlockFlowNode): string => {
  const def = getBlock(n.data.type);
  return n.data.severity === 'error' ? '#f85149' : def ? CATEGORY_HEX[def.category] : '#888';
};
const edgeTypes = { shape: ShapeEdge };

/** MIME type of a palette drag. */
export const BLOCK_DRAG_TYPE = 'application/x-layerloom-block';

/** The wire under a screen point (its wide invisible hit path counts). */
function wireAt(x: number, y: number): Element | null {
  return document.elementsFromPoint(x, y).find((el) => el.closest('.react-flow__edge'))?.closest('.react-flow__edge') ?? null;
}

function tryRun(f: () => void): void {
  try {
    f();
  } catch (e) {
    toast(e instanceof CommandError ? 'warning' : 'error', e instanceof Error ? e.message : String(e));
  }
}

/** The canvas. Must be inside a ReactFlowProvider. */
export function Canvas(): JSX.Element {
  const doc = useStore(editor.store, (s) => s.doc);
  const analysis = useStore(editor.store, (s) => s.analysis);
  const selection = useStore(editor.store, (s) => s.selection);
  const routes = useStore(editor.store, (s) => s.routes);
  const snap = useUi((s) => s.snap);
  const showMinimap = useUi((s) => s.showMinimap);
  const theme = useUi((s) => s.theme);
  const quickAdd = useUi((s) => s.quickAdd);
  const measured = useRef(new Map<string, { width: number; height: number }>());
  const cache = useRef(newFlowCache());
  const [measureTick, setMeasureTick] = useState(0);
  const rf = useReactFlow<BlockFlowNode, ShapeFlowEdge>();
  const wrapper = useRef<HTMLDivElement>(null);

  const nodes = useMemo(
    () => deriveNodes(doc, analysis, selection, measured.current, cache.current),
    // measureTick: sizes changed (kept in a ref to avoid copying the map on each measurement).
    [doc, analysis, selection, measureTick],
  );
  const edges = useMemo(() => deriveEdges(doc, selection, cache.current, routes), [doc, selection, routes]);

  // Fitting an empty canvas must do nothing: React Flow keeps a fit asked for with no blocks and
  // runs it when the first block appears, so the first block dropped on a blank project threw
  // away the user's zoom (to 120 %, centred on that block) and the next drops landed elsewhere.
  // So the mount-time fit is asked for only when there is something to fit, and so are the
  // controller's fits; a blank project starts at 100 % at the origin.
  const [fitOnMount] = useState(() => editor.doc.nodes.length > 0);
  useEffect(() => {
    setCanvasController({
      fitView: () => {
        if (rf.getNodes().length > 0) void rf.fitView({ ...FIT_OPTIONS, duration: 250 });
      },
      fitReadable: () => {
        // A deep network laid out top to bottom is far taller than the window: fitted whole, its
        // blocks are specks. Show its top at a readable size instead (scroll or F for the rest).
        const rect = wrapper.current?.getBoundingClientRect();
        const all = rf.getNodes();
        if (all.length === 0) return void rf.setViewport({ x: 0, y: 0, zoom: 1 });
        if (!rect) return void rf.fitView({ ...FIT_OPTIONS, duration: 250 });
        const b = rf.getNodesBounds(all);
        const fit = Math.min((rect.width - 92) / b.width, (rect.height - 56) / b.height, FIT_OPTIONS.maxZoom);
        if (fit >= READABLE_ZOOM) return void rf.fitView({ ...FIT_OPTIONS, duration: 250 });
        const zoom = Math.max(READABLE_ZOOM, Math.min(0.75, (rect.width - 92) / b.width));
        void rf.setViewport({ x: rect.width / 2 - (b.x + b.width / 2) * zoom, y: 28 - b.y * zoom, zoom }, { duration: 250 });
      },
      zoomIn: () => void rf.zoomIn({ duration: 150 }),
      zoomOut: () => void rf.zoomOut({ duration: 150 }),
      focusNode: (id) => {
        const n = editor.doc.nodes.find((x) => x.id === id);
        if (!n) return;
        const size = measured.current.get(id) ?? DEFAULT_NODE_SIZE;
        void rf.setCenter(n.position.x + size.width / 2, n.position.y + size.height / 2, { zoom: Math.max(rf.getZoom(), 1), duration: 300 });
      },
      viewCenter: () => {
        const rect = wrapper.current?.getBoundingClientRect();
        if (!rect) return { x: 0, y: 0 };
        const p = rf.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 });
        return { x: p.x - DEFAULT_NODE_SIZE.width / 2, y: p.y - DEFAULT_NODE_SIZE.height / 2 };
      },
      toFlow: (point) => rf.screenToFlowPosition(point),
    });
    return () => setCanvasController(null);
  }, [rf]);

  const onNodesChange = useCallback((changes: NodeChange<BlockFlowNode>[]) => {
    let resized = false;
    let positions: Record<string, Position> | null = null;
    let selectionChanged = false;
    const selected = new Set(editor.state.selection.nodes);
    for (const c of changes) {
      if (c.type === 'dimensions' && c.dimensions) {
        const prev = measured.current.get(c.id);
        if (!prev || prev.width !== c.dimensions.width || prev.height !== c.dimensions.height) {
          measured.current.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
          resized = true;
        }
      } else if (c.type === 'position' && c.position) {
        (positions ??= {})[c.id] = { x: Math.round(c.position.x), y: Math.round(c.position.y) };
      } else if (c.type === 'select') {
        selectionChanged = true;
        if (c.selected) selected.add(c.id);
        else selected.delete(c.id);
      }
    }
    if (positions) editor.updateGesture(moveNodes(editor.doc, positions));
    if (selectionChanged) {
      const order = editor.doc.nodes.map((n) => n.id).filter((id) => selected.has(id));
      editor.setSelection({ nodes: order, edges: editor.state.selection.edges });
    }
    if (resized) setMeasureTick((t) => t + 1);
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<ShapeFlowEdge>[]) => {
    const selected = new Set(editor.state.selection.edges);
    let changed = false;
    for (const c of changes) {
      if (c.type === 'select') {
        changed = true;
        if (c.selected) selected.add(c.id);
        else selected.delete(c.id);
      }
    }
    if (changed) editor.setSelection({ nodes: editor.state.selection.nodes, edges: editor.doc.edges.map((e) => e.id).filter((id) => selected.has(id)) });
  }, []);

  const isValidConnection: IsValidConnection<ShapeFlowEdge> = useCallback((c) => {
    const verdict = checkConnection(editor.doc, { node: c.source, port: c.sourceHandle ?? 'out' }, c.target, c.targetHandle ?? 'in');
    useConnectHint.setState({ reason: verdict.ok ? null : verdict.reason });
    return verdict.ok;
  }, []);

  const onConnect = useCallback((c: Connection) => {
    const targetPort = c.targetHandle ?? 'in';
    const sourcePort = c.sourceHandle ?? 'out';
    const verdict = checkConnection(editor.doc, { node: c.source, port: sourcePort }, c.target, targetPort);
    tryRun(() => void runEditorCommand(editor, 'graph.connect', { source: c.source, sourcePort, target: c.target, targetPort }));
    // Wired with a problem a quick fix repairs: say so, and show the block with its fix.
    if (verdict.ok && verdict.problem) {
      toast('warning', `Connected, with a problem: ${verdict.problem} Fix it with "${verdict.fix}" on the block.`);
      editor.setSelection({ nodes: [c.target], edges: [] });
    }
  }, []);

  const onConnectStart: OnConnectStart = useCallback((_: unknown, { nodeId, handleType, handleId }: { nodeId: string | null; handleType: string | null; handleId: string | null }) => {
    if (nodeId && handleType === 'source') useConnectHint.setState({ dragFrom: nodeId, dragPort: handleId ?? 'out' });
  }, []);

  const onConnectEnd: OnConnectEnd = useCallback((event: globalThis.MouseEvent | TouchEvent, state: FinalConnectionState) => {
    const reason = useConnectHint.getState().reason;
    useConnectHint.setState({ reason: null, dragFrom: null });
    if (state.toHandle && !state.isValid && reason) {
      toast('warning', `Connection refused: ${reason}`);
      return;
    }
    // A wire dropped on empty canvas: offer to add a block connected to it.
    if (!state.toNode && state.fromNode && state.fromHandle?.type === 'source' && 'clientX' in event) {
      const flow = rf.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const port = state.fromHandle.id && state.fromHandle.id !== 'out' ? { connectPort: state.fromHandle.id } : {};
      useUi.setState({ quickAdd: { screen: { x: event.clientX, y: event.clientY }, flow: { x: flow.x, y: flow.y - 40 }, connectFrom: state.fromNode.id, ...port } });
    }
  }, [rf]);

  // A block dragged over a wire: the wire lights up, saying a drop splices the block into it.
  // Toggled on the DOM directly: a drag must not re-render the graph at every mouse move.
  const dropWire = useRef<Element | null>(null);
  const markDropWire = useCallback((el: Element | null) => {
    if (dropWire.current === el) return;
    dropWire.current?.classList.remove('ll-drop-target');
    el?.classList.add('ll-drop-target');
    dropWire.current = el;
  }, []);
  const onDragOver = useCallback(
    (e: DragEvent) => {
      if (e.dataTransfer.types.includes(BLOCK_DRAG_TYPE)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        markDropWire(wireAt(e.clientX, e.clientY));
      }
    },
    [markDropWire],
  );
  const onDragLeave = useCallback(() => markDropWire(null), [markDropWire]);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(BLOCK_DRAG_TYPE);
      if (!type || !getBlock(type)) return;
      e.preventDefault();
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const position = { x: Math.round(p.x - DEFAULT_NODE_SIZE.width / 2), y: Math.round(p.y - 40) };
      // Dropped onto a connection: splice the block into it.
      const edgeEl = wireAt(e.clientX, e.clientY);
      markDropWire(null);
      const edgeId = edgeEl?.getAttribute('data-id') ?? edgeEl?.getAttribute('data-testid')?.replace(/^rf__edge-/, '');
      tryRun(() => {
        if (edgeId && editor.doc.edges.some((x) => x.id === edgeId)) runEditorCommand(editor, 'graph.insertBetween', { edgeId, type, position });
        else runEditorCommand(editor, 'graph.addBlock', { type, position });
      });
    },
    [rf, markDropWire],
  );

  const onDoubleClick = useCallback(
    (e: MouseEvent) => {
      const target = e.target as Element;
      if (!target.classList.contains('react-flow__pane')) return;
      const flow = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      useUi.setState({ quickAdd: { screen: { x: e.clientX, y: e.clientY }, flow: { x: flow.x - DEFAULT_NODE_SIZE.width / 2, y: flow.y - 40 } } });
    },
    [rf],
  );

  const onMoveEnd = useCallback((_: unknown, viewport: Viewport) => useUi.setState({ zoom: viewport.zoom }), []);
  // Level of detail: zoomed far out, blocks drop their parameter rows, shadows and wire labels
  // (unreadable there anyway), which keeps large graphs cheap to paint. Only crossing the
  // threshold re-renders (one class on the wrapper).
  const [far, setFar] = useState(false);
  const onMove = useCallback((_: unknown, viewport: Viewport) => {
    setFar(viewport.zoom < LOD_ZOOM);
    // The status bar's zoom follows a zoom gesture as it happens, not only when it ends; only a
    // change of the shown percentage updates the store, so panning re-renders nothing.
    if (Math.round(viewport.zoom * 100) !== Math.round(useUi.getState().zoom * 100)) useUi.setState({ zoom: viewport.zoom });
  }, []);
  const onInit = useCallback((instance: { getZoom(): number }) => setFar(instance.getZoom() < LOD_ZOOM), []);

  return (
    <div className={`ll-canvas${far ? ' ll-far' : ''}`} ref={wrapper} onDoubleClick={onDoubleClick} data-testid="canvas">
      <ReactFlow<BlockFlowNode, ShapeFlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        connectionLineComponent={ConnectionLine}
        onNodeDragStart={beginDrag}
        onNodeDragStop={endDrag}
        onSelectionDragStart={beginDrag}
        onSelectionDragStop={endDrag}
        onDragOver={onDragOver}
        onDrop={onDrop}
        onDragLeave={onDragLeave}
        onMoveEnd={onMoveEnd}
        onMove={onMove}
        onInit={onInit}
        {...CANVAS_CONTEXT_MENU}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        disableKeyboardA11y
        zoomOnDoubleClick={false}
        snapToGrid={snap}
        snapGrid={SNAP_GRID}
        minZoom={0.08}
        maxZoom={2.5}
        onlyRenderVisibleElements
        colorMode={theme}
        fitView={fitOnMount}
        fitViewOptions={FIT_OPTIONS}
        attributionPosition="top-right"
      >
        <Background variant={BackgroundVariant.Dots} gap={16} size={1.2} className="ll-bg" />
        {showMinimap && (
          <MiniMap
            pannable
            zoomable
            className="ll-minimap"
            style={MINIMAP_STYLE}
            nodeStrokeWidth={0}
            nodeBorderRadius={6}
            nodeColor={minimapColor}
          />
        )}
        <Controls showInteractive={false} className="ll-controls" />
      </ReactFlow>
      {quickAdd && <QuickAdd state={quickAdd} />}
      {doc.nodes.length === 0 && (
        <div className="ll-empty-hint">
          <p>Drag blocks from the palette, double-click the canvas, or press <kbd>/</kbd> to add one.</p>
          <p>Or start from a template: <b>New from template</b>.</p>
        </div>
      )}
    </div>
  );
}
