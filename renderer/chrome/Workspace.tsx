/**
 * The panel layout: block palette | canvas over the bottom dock | inspector. Every border drags
 * (react-resizable-panels); the side panels and the dock collapse (their commands, the top-bar
 * toggles, double-click on a border, or dragging below the minimum) and the sizes are remembered
 * per browser profile. Defaults keep the canvas at least 60 % of a 1280-pixel window.
 */
import { useEffect, useRef, type JSX, type ReactNode, type RefObject } from 'react';
import { Group, Panel, Separator, useDefaultLayout, usePanelRef, type PanelImperativeHandle, type PanelSize } from 'react-resizable-panels';
import { useUi } from '../state/uiStore.js';

/** Height of the dock's tab bar: what stays visible when the dock is collapsed. */
const DOCK_TABS_PX = 34;

/** Layout storage that survives storage being unavailable (privacy modes): sizes are then not remembered. */
const storage = {
  getItem(key: string): string | null {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  setItem(key: string, value: string): void {
    try {
      localStorage.setItem(key, value);
    } catch {
      // Not remembered; the layout still works.
    }
  },
};

type OpenFlag = 'paletteOpen' | 'inspectorOpen' | 'bottomOpen';

/** Keeps a collapsible panel and its `useUi` flag in step, whichever of the two changed. */
function useCollapseSync(ref: RefObject<PanelImperativeHandle | null>, flag: OpenFlag): (size: PanelSize) => void {
  const open = useUi((s) => s[flag]);
  // Only a change of the flag moves the panel: at start the remembered layout wins, and the
  // panel's first resize report sets the flag.
  const seen = useRef(open);
  useEffect(() => {
    const panel = ref.current;
    if (!panel || seen.current === open) return;
    seen.current = open;
    if (open && panel.isCollapsed()) panel.expand();
    if (!open && !panel.isCollapsed()) panel.collapse();
  }, [open, ref]);
  return () => {
    const collapsed = ref.current?.isCollapsed() ?? false;
    seen.current = !collapsed;
    if (useUi.getState()[flag] === collapsed) useUi.setState({ [flag]: !collapsed } as Pick<ReturnType<typeof useUi.getState>, OpenFlag>);
  };
}

/** The layout around the canvas. */
export function Workspace({ palette, canvas, dock, inspector }: { palette: ReactNode; canvas: ReactNode; dock: ReactNode; inspector: ReactNode }): JSX.Element {
  const main = useDefaultLayout({ id: 'layerloom.layout.main', storage });
  const center = useDefaultLayout({ id: 'layerloom.layout.center', storage });
  const paletteRef = usePanelRef();
  const inspectorRef = usePanelRef();
  const dockRef = usePanelRef();
  const onPalette = useCollapseSync(paletteRef, 'paletteOpen');
  const onInspector = useCollapseSync(inspectorRef, 'inspectorOpen');
  const onDockCollapse = useCollapseSync(dockRef, 'bottomOpen');
  const paletteOpen = useUi((s) => s.paletteOpen);
  const inspectorOpen = useUi((s) => s.inspectorOpen);

  // `bottomHeight` is the dock's height in pixels, both ways: dragging updates it, and setting it
  // (a test, or a command) resizes the dock.
  const bottomHeight = useUi((s) => s.bottomHeight);
  const lastHeight = useRef(bottomHeight);
  useEffect(() => {
    const panel = dockRef.current;
    if (!panel || panel.isCollapsed() || Math.abs(lastHeight.current - bottomHeight) < 2) return;
    lastHeight.current = bottomHeight;
    panel.resize(bottomHeight);
  }, [bottomHeight, dockRef]);
  const onDock = (size: PanelSize) => {
    onDockCollapse(size);
    if (dockRef.current?.isCollapsed()) return;
    lastHeight.current = Math.round(size.inPixels);
    if (Math.abs(useUi.getState().bottomHeight - lastHeight.current) >= 2) useUi.setState({ bottomHeight: lastHeight.current });
  };

  return (
    <Group orientation="horizontal" className="ll-main" defaultLayout={main.defaultLayout} onLayoutChanged={main.onLayoutChanged}>
      <Panel id="pane-palette" panelRef={paletteRef} defaultSize={212} minSize={150} maxSize="35%" collapsible collapsedSize={0} groupResizeBehavior="preserve-pixel-size" onResize={onPalette} className={`ll-panel-slot${paletteOpen ? '' : ' collapsed'}`}>
        {palette}
      </Panel>
      <Separator className="ll-resizer vertical" aria-label="Resize the blocks panel" />
      <Panel id="pane-center" minSize="35%" className="ll-panel-slot">
        <Group orientation="vertical" className="ll-center" defaultLayout={center.defaultLayout} onLayoutChanged={center.onLayoutChanged}>
          <Panel id="pane-canvas" minSize={160} className="ll-panel-slot">
            {canvas}
          </Panel>
          <Separator className="ll-resizer horizontal" aria-label="Resize the bottom panel" />
          <Panel id="pane-dock" panelRef={dockRef} defaultSize={bottomHeight} minSize={150} maxSize="80%" collapsible collapsedSize={DOCK_TABS_PX} groupResizeBehavior="preserve-pixel-size" onResize={onDock} className="ll-panel-slot">
            {dock}
          </Panel>
        </Group>
      </Panel>
      <Separator className="ll-resizer vertical" aria-label="Resize the inspector" />
      <Panel id="pane-inspector" panelRef={inspectorRef} defaultSize={284} minSize={220} maxSize="40%" collapsible collapsedSize={0} groupResizeBehavior="preserve-pixel-size" onResize={onInspector} className={`ll-panel-slot${inspectorOpen ? '' : ' collapsed'}`}>
        {inspector}
      </Panel>
    </Group>
  );
}
