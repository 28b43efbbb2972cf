/**
 * The project document: the single source of truth for a network, saved as `*.layerloom` JSON.
 * See docs/project-format.md.
 */
import type { ParamValue } from '../blocks/types.js';
import type { DatasetRef, TrainingSettings } from '../training/settings.js';

/** Format version written by this build. Bump it with a migration in migrations.ts. */
export const CURRENT_FORMAT_VERSION = 2;

/** Magic value of the `format` field. */
export const FORMAT_ID = 'layerloom-project';

/** A canvas position. */
export interface Position {
  readonly x: number;
  readonly y: number;
}

/** One block on the canvas. */
export interface GraphNode {
  /** Unique within the document; stable across edits. */
  readonly id: string;
  /** Block type id (see blocks/registry.ts). */
  readonly type: string;
  /** User-facing name; also the layer name in compiled and exported models (sanitized). */
  readonly label: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly position: Position;
}

/** A connection from a node's output to another node's input port. */
export interface GraphEdge {
  readonly id: string;
  readonly source: string;
  /**
   * The source block's output port: `out` (every block's output), or a recurrent block's final
   * state with `return_state` on (`h`, `c`, `h_backward`, `c_backward`). One of {@link OUTPUT_PORTS}.
   */
  readonly sourcePort: string;
  readonly target: string;
  readonly targetPort: string;
}

/**
 * Every output port name a block may have. A file naming another is refused on load; a port the
 * block lacks with its current params (return_state off) is kept and reported by the analysis.
 */
export const OUTPUT_PORTS: readonly string[] = ['out', 'h', 'c', 'h_backward', 'c_backward'];

/** A whole project. */
export interface ProjectDocument {
  readonly format: typeof FORMAT_ID;
  readonly version: number;
  readonly name: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly dataset: DatasetRef | null;
  readonly training: TrainingSettings | null;
  /**
   * The weights the model starts from instead of its initialisers (format 2): a TensorFlow.js
   * model folder (`model.json` + shards), stored relative to the project file's folder and inside
   * it (`<project>.weights`). Absent: training starts from the seeded initialisers.
   */
  readonly initialWeights?: string;
}

/** An empty project. */
export function emptyDocument(name = 'Untitled'): ProjectDocument {
  return { format: FORMAT_ID, version: CURRENT_FORMAT_VERSION, name, nodes: [], edges: [], dataset: null, training: null };
}
