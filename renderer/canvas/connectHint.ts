/**
 * The verdict of the connection being dragged right now, so the wire can show why a target refuses.
 */
import { create } from 'zustand';

/** Why the hovered target refuses the wire (null when it accepts or nothing is hovered). */
export const useConnectHint = create<{ reason: string | null }>(() => ({ reason: null }));
