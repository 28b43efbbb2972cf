/**
 * Every diagnostic Layerloom can raise, in one table with stable codes. Tests, the UI and the CLI
 * refer to codes, never to message text. Messages themselves are built where the problem is found
 * and always say how to fix it.
 */

/** Diagnostic severity: errors block compile/training/export, warnings do not. */
export type Severity = 'error' | 'warning';

/** One entry of the table. */
export interface DiagnosticInfo {
  readonly code: string;
  readonly severity: Severity;
  /** What the code means, for docs and the diagnostics panel's help. */
  readonly title: string;
}

/** The diagnostic table. Codes are never reused or renumbered. */
export const DIAGNOSTICS = {
  LL001: { code: 'LL001', severity: 'error', title: 'The graph has no Input block' },
  LL002: { code: 'LL002', severity: 'error', title: 'The graph has no Output block' },
  LL003: { code: 'LL003', severity: 'error', title: 'The graph has a cycle' },
  LL004: { code: 'LL004', severity: 'error', title: 'A required input port is not connected' },
  LL005: { code: 'LL005', severity: 'warning', title: 'A block does not reach any Output' },
  LL006: { code: 'LL006', severity: 'error', title: 'Too many connections into one port' },
  LL007: { code: 'LL007', severity: 'error', title: 'Input rank does not fit the block' },
  LL008: { code: 'LL008', severity: 'warning', title: 'Dense acts on the last axis of a multi-dimensional tensor' },
  LL009: { code: 'LL009', severity: 'error', title: 'A dimension shrinks to zero or below' },
  LL010: { code: 'LL010', severity: 'error', title: 'Merge inputs have incompatible shapes' },
  LL011: { code: 'LL011', severity: 'error', title: 'A parameter is invalid or out of range' },
  LL012: { code: 'LL012', severity: 'error', title: 'A recurrent block needs a sequence (rank-3 input)' },
  LL013: { code: 'LL013', severity: 'warning', title: 'Attention heads × key size is unusual for the model width' },
  LL014: { code: 'LL014', severity: 'error', title: 'The output block does not fit the loss' },
  LL015: { code: 'LL015', severity: 'error', title: 'Unknown block type' },
  LL016: { code: 'LL016', severity: 'error', title: 'A connection refers to a missing block or port' },
  LL017: { code: 'LL017', severity: 'error', title: 'Reshape target size does not match its input' },
  LL018: { code: 'LL018', severity: 'error', title: 'A fixed size is needed where the shape is variable' },
  LL019: { code: 'LL019', severity: 'warning', title: 'Embedding expects integer token ids' },
  LL021: { code: 'LL021', severity: 'error', title: 'Integer token ids feed a block other than Embedding' },
  LL022: { code: 'LL022', severity: 'warning', title: 'A block holds more than 1 GiB of weights' },
  LL023: { code: 'LL023', severity: 'warning', title: 'One batch of a block’s output takes more than 2 GiB' },
  LL024: { code: 'LL024', severity: 'warning', title: 'A parameter is far larger than any usual model uses' },
  LL025: { code: 'LL025', severity: 'error', title: 'A size is too large to compute' },
  LL026: { code: 'LL026', severity: 'warning', title: 'Two blocks have the same layer name' },
  LL027: { code: 'LL027', severity: 'error', title: 'An imported layer Layerloom cannot represent (kept as it was)' },
  LL030: { code: 'LL030', severity: 'warning', title: 'A block drops the padding mask of an Embedding with mask_zero' },
  LL031: { code: 'LL031', severity: 'error', title: 'A block cannot take the padding mask of an Embedding with mask_zero yet' },
} as const satisfies Record<string, DiagnosticInfo>;

/** A diagnostic code. */
export type DiagnosticCode = keyof typeof DIAGNOSTICS;

/** One problem found in a graph, attached to the node (and parameter) that caused it. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  /** The node the problem is about; absent for whole-graph problems (no Input, no Output). */
  readonly nodeId?: string;
  /** The parameter, when the problem is about one. */
  readonly param?: string;
  /** The edge, when the problem is about a connection. */
  readonly edgeId?: string;
  /** What is wrong and how to fix it, naming the sizes involved. */
  readonly message: string;
}

/** Builds a diagnostic with the table's severity unless one is given. */
export function diagnostic(
  code: DiagnosticCode,
  message: string,
  where: { nodeId?: string; param?: string; edgeId?: string; severity?: Severity } = {},
): Diagnostic {
  const { severity, ...rest } = where;
  return { code, severity: severity ?? DIAGNOSTICS[code].severity, message, ...rest };
}

/** True when a code is a known one (for files and CLI input). */
export function isDiagnosticCode(code: string): code is DiagnosticCode {
  return Object.prototype.hasOwnProperty.call(DIAGNOSTICS, code);
}
