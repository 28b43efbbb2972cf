/**
 * A Keras-style model summary (`model.summary()`), from analysis alone: no tfjs needed.
 */
import { formatShape } from '../blocks/shapeUtils.js';
import { layerNamesFor } from '../graph/layerNames.js';
import type { ProjectDocument } from '../graph/document.js';
import { analyzeGraph, type GraphAnalysis, type NodeAnalysis } from './analyze.js';
import type { Params } from '../blocks/types.js';
import { formatBytes, formatCount } from './numbers.js';

/** One row of the summary. */
export interface SummaryRow {
  readonly nodeId: string;
  readonly name: string;
  /** Keras class name (`InputLayer` for inputs). */
  readonly kerasType: string;
  readonly outputShape: string;
  readonly params: number;
  /** Multiply-accumulates for one sample; null when a variable size decides it. */
  readonly macs: number | null;
  /** Layer names feeding this one, Keras style `conv2d[0][0]`. */
  readonly connectedTo: readonly string[];
}

/** Summary data. */
export interface ModelSummary {
  readonly name: string;
  readonly rows: readonly SummaryRow[];
  readonly total: number;
  readonly trainable: number;
  readonly nonTrainable: number;
  /** Multiply-accumulates of one forward pass for one sample. */
  readonly macs: number;
  /** False when a variable size leaves some block's count unknown (`macs` is then a lower bound). */
  readonly macsComplete: boolean;
}

/**
 * The Keras class each block's layer call names, by the block's params object (documents are
 * immutable, so an unchanged block keeps its params object) and its input shapes. Deriving the
 * full layer call is the bulk of a summary's cost, and the inspector rebuilds the summary of a
 * large graph on every edit, where only the edited blocks change.
 */
const kerasTypeCache = new WeakMap<Params, Map<string, string>>();

function kerasTypeOf(info: NodeAnalysis): string {
  if (info.def?.role === 'input') return 'InputLayer';
  const key = `${info.node.type} ${JSON.stringify(info.inputShapes)}`;
  let byShapes = kerasTypeCache.get(info.node.params);
  const hit = byShapes?.get(key);
  if (hit !== undefined) return hit;
  const call = info.def?.layerCall?.(info.node.params, info.inputShapes);
  const kerasType = call?.bidirectional ? 'Bidirectional' : call?.timeDistributed ? 'TimeDistributed' : (call?.kerasClass ?? info.node.type);
  if (!byShapes) kerasTypeCache.set(info.node.params, (byShapes = new Map<string, string>()));
  byShapes.set(key, kerasType);
  return kerasType;
}

/** Builds the summary rows (topological order, Output blocks omitted as they are not layers). */
export function buildSummary(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name'>, analysis: GraphAnalysis = analyzeGraph(doc)): ModelSummary {
  const names = layerNamesFor(doc.nodes);
  const rows: SummaryRow[] = [];
  for (const id of analysis.order) {
    const info = analysis.nodes.get(id);
    if (!info || info.def?.role === 'output') continue;
    const connectedTo = info.ports
      .map((p) => info.inputEdges.get(p.name))
      .filter((e) => e !== undefined)
      .map((e) => `${names.get(e.source) ?? e.source}[0][0]`);
    const kerasType = kerasTypeOf(info);
    rows.push({
      nodeId: id,
      name: names.get(id) ?? id,
      kerasType,
      outputShape: formatShape(info.shape),
      params: info.params.trainable + info.params.nonTrainable,
      macs: info.cost.macs,
      connectedTo,
    });
  }
  const { trainable, nonTrainable } = analysis.totals;
  return { name: doc.name, rows, total: trainable + nonTrainable, trainable, nonTrainable, macs: analysis.cost.macs, macsComplete: analysis.cost.macsComplete };
}

/**
 * Renders the summary as Keras 3 does (box table, with a MACs column after Param #), then
 * `Total params: N`, `Trainable params: N`, `Non-trainable params: N` and `Total MACs: N`
 * (multiply-accumulates of one forward pass for one sample; `≥ N` when a variable size leaves a
 * block's count open, shown as `?` in its row).
 */
export function renderSummary(summary: ModelSummary): string {
  const header = ['Layer (type)', 'Output Shape', 'Param #', 'MACs', 'Connected to'];
  const body = summary.rows.map((r) => [
    `${r.name} (${r.kerasType})`,
    r.outputShape,
    formatCount(r.params),
    r.macs === null ? '?' : formatCount(r.macs),
    r.connectedTo.length ? r.connectedTo.join(', ') : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)) + 2);
  const cell = (text: string, i: number): string => {
    const pad = widths[i] - text.length - 1;
    return i === 2 || i === 3 ? ' '.repeat(pad) + text + ' ' : ' ' + text + ' '.repeat(pad);
  };
  const line = (l: string, m: string, r: string, fill: string): string => l + widths.map((w) => fill.repeat(w)).join(m) + r;
  const out: string[] = [`Model: "${summary.name}"`];
  out.push(line('┏', '┳', '┓', '━'));
  out.push('┃' + header.map(cell).join('┃') + '┃');
  out.push(line('┡', '╇', '┩', '━'));
  body.forEach((row, i) => {
    out.push('│' + row.map(cell).join('│') + '│');
    if (i < body.length - 1) out.push(line('├', '┼', '┤', '─'));
  });
  out.push(line('└', '┴', '┘', '─'));
  out.push(` Weights: ${formatBytes(summary.total * 4)} (float32)`);
  out.push(` Total params: ${formatCount(summary.total)}`);
  out.push(` Trainable params: ${formatCount(summary.trainable)}`);
  out.push(` Non-trainable params: ${formatCount(summary.nonTrainable)}`);
  out.push(` Total MACs: ${summary.macsComplete ? '' : '≥ '}${formatCount(summary.macs)}`);
  return out.join('\n');
}
