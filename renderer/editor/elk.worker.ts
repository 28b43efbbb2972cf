/**
 * Runs ELK off the main thread: laying out a 150-block graph takes about a second, which froze the
 * window while a project opened (its wires' routes are recomputed on open) or while auto-layout ran.
 * One request at a time per message; answers carry the request's id.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api.js';

const elk = new ELK();
const scope = self as unknown as { onmessage: ((e: MessageEvent<{ id: number; graph: ElkNode }>) => void) | null; postMessage(m: unknown): void };

scope.onmessage = (e) => {
  const { id, graph } = e.data;
  elk.layout(graph).then(
    (result) => scope.postMessage({ id, result }),
    (error: unknown) => scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) }),
  );
};
