/**
 * The connection being dragged right now: why the hovered target refuses it (so the wire can say
 * so), and which block it comes from (so the palette can offer only blocks that take its shape).
 */
import { create } from 'zustand';
import { blocksAccepting } from '../../shared/editing/connectCheck.js';
import type { BlockDef } from '../../shared/blocks/types.js';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { editor } from '../app/session.js';

/**
 * `reason`: why the hovered target refuses the wire (null when it accepts or nothing is hovered).
 * `dragFrom`: the source block of a wire being dragged; `dragPort`: the output port it leaves from.
 */
export const useConnectHint = create<{ reason: string | null; dragFrom: string | null; dragPort?: string }>(() => ({ reason: null, dragFrom: null }));

/** The blocks that take what `sourceId` puts out on `port` without an error (null: its shape is unknown). */
export function blocksAcceptingOutputOf(sourceId: string, port = 'out'): BlockDef[] | null {
  const { doc, analysis } = editor.state;
  const shape = analysis.nodes.get(sourceId)?.outputShapes.get(port);
  const src = doc.nodes.find((n) => n.id === sourceId);
  if (!shape || !src) return null;
  // Token ids stay int32 only straight out of an int32 Input; every computed value is float.
  const dtype = src.type === 'Input' && src.params.dtype === 'int32' ? 'int32' : 'float32';
  return blocksAccepting(shape, dtype, BLOCKS);
}
