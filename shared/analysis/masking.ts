/**
 * Padding masks (Keras's `mask_zero` on Embedding, and the Masking layer): which block outputs carry
 * a mask, and where the graph drops one or feeds one to a block that cannot take it yet.
 *
 * The rules are Keras 3.15's, measured block by block, and hold for the app's tfjs layers too:
 * - keep: the block passes its input's mask on unchanged (Dense, Dropout, LayerNormalization, …);
 * - recurrent blocks use it (a padded step carries the state over and repeats the last output) and
 *   pass it on only with `return_sequences`;
 * - GlobalAveragePooling1D uses it (averages the real steps only) and ends it;
 * - every other layer drops it (Keras warns "does not support masking"): the blocks after it see
 *   padded steps as data. Layerloom warns on that block (LL030).
 * - MultiHeadAttention uses it (padded keys get no weight) and passes it on, in self-attention.
 * Blocks where Keras does something with the mask that the app's tfjs layers would not do the same
 * way (merges, cross-attention, Softmax, and layers whose tfjs version drops the mask where Keras
 * keeps it) get an error (LL031) rather than a model that predicts differently from its Keras export.
 */
import type { BlockDef, Params, Shape } from '../blocks/types.js';
import type { GraphEdge, GraphNode } from '../graph/document.js';
import { diagnostic, type Diagnostic } from './diagnostics.js';

/** Blocks that pass a mask on unchanged, in Keras and in the app's tfjs layers alike. */
const KEEPS_MASK: ReadonlySet<string> = new Set([
  'Dense',
  'Dropout',
  'Activation',
  'LayerNormalization',
  'BatchNormalization',
  'ReLU',
  'PReLU',
  'Normalization',
  'GaussianNoise',
  'GaussianDropout',
  'SpatialDropout1D',
]);

/** Recurrent blocks: they skip masked steps. */
const RECURRENT: ReadonlySet<string> = new Set(['LSTM', 'GRU', 'SimpleRNN']);

/** Why a block cannot take a masked input yet, by block type. */
const NOT_YET: Readonly<Record<string, string>> = {
  Softmax: 'Keras’s Softmax applies the mask along the last axis, which is the features here, not the steps',
  LeakyReLU: 'Keras passes the mask on through it, but tfjs’s LeakyReLU drops it',
  ELU: 'Keras passes the mask on through it, but tfjs’s ELU drops it',
  Rescaling: 'Keras passes the mask on through it, but tfjs’s Rescaling drops it',
  ...Object.fromEntries(
    ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'].map((t) => [
      t,
      'Keras ORs the inputs’ masks (and Multiply, Maximum and Minimum replace the masked values), where tfjs’s merge layers AND them into a mask of another shape',
    ]),
  ),
};

/** The mask a masked block output came from (an Embedding or a Masking block), for the messages. */
interface MaskSource {
  /** How messages name it: `Embedding "emb" (mask_zero)`, `Masking "pad" (mask_value 0)`. */
  readonly name: string;
  /** How a message says to remove it. */
  readonly off: string;
}

/** The mask a block starts (a masked Embedding, a Masking block), or null. */
function maskSourceOf(def: BlockDef, node: GraphNode): MaskSource | null {
  if (def.type === 'Embedding' && node.params.mask_zero === true) return { name: `Embedding "${node.label}" (mask_zero)`, off: 'turn mask_zero off' };
  if (def.type === 'Masking') return { name: `Masking "${node.label}" (mask_value ${String(node.params.mask_value)})`, off: 'remove the Masking block' };
  return null;
}

/**
 * LL030 (a block drops the padding mask) and LL031 (a block cannot take it yet) for a graph, given
 * its topological order, nodes, definitions and incoming edges per port.
 */
export function maskDiagnostics(
  order: readonly string[],
  nodeOf: (id: string) => GraphNode,
  defOf: (id: string) => BlockDef | undefined,
  incoming: ReadonlyMap<string, ReadonlyMap<string, GraphEdge>>,
  shapeOf: (id: string) => Shape | null = () => null,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const masked = new Map<string, MaskSource>();
  for (const id of order) {
    const node = nodeOf(id);
    const def = defOf(id);
    if (!def) continue;
    // A Masking block replaces any mask it gets with its own, as Keras's and tfjs's do.
    const started = maskSourceOf(def, node);
    if (started) {
      masked.set(id, started);
      continue;
    }
    const sources = [...(incoming.get(id)?.values() ?? [])].map((e) => masked.get(e.source)).filter((m): m is MaskSource => m !== undefined);
    if (sources.length === 0 && def.role === 'layer' && masked.size > 0 && readsMask(def.type)) {
      // tfjs's executor keeps the last padding mask it saw in the call arguments and hands it to
      // every later layer that reads one, where Keras passes none: refused rather than wrong.
      out.push(
        diagnostic(
          'LL031',
          `${def.type} "${node.label}" gets no padding mask, but the app's tfjs model would apply the one of ${[...masked.values()][0].name} to it. Feed it from that block's masked path, or ${[...masked.values()][0].off}.`,
          { nodeId: id },
        ),
      );
      continue;
    }
    if (sources.length === 0 || def.role !== 'layer') continue;
    const from = sources[0];
    const edges = [...(incoming.get(id)?.values() ?? [])];
    const rule = def.type === 'MultiHeadAttention' ? attentionRule(edges, shapeOf(id)) : maskRule(def.type, node.params);
    if (rule.kind === 'keep') masked.set(id, from);
    else if (rule.kind === 'error') {
      out.push(
        diagnostic(
          'LL031',
          `${def.type} "${node.label}" gets the padding mask of ${from.name}, and ${rule.why}. Put a recurrent layer or GlobalAveragePooling1D between them, or ${from.off}.`,
          { nodeId: id },
        ),
      );
    } else if (rule.kind === 'drop') {
      out.push(
        diagnostic(
          'LL030',
          `${def.type} "${node.label}" drops the padding mask of ${from.name}, as Keras does: the blocks after it treat padded steps as data. To skip padding, use the mask before it (a recurrent layer or GlobalAveragePooling1D).`,
          { nodeId: id },
        ),
      );
    }
  }
  return out;
}

/**
 * True when a block of this type and these params passes a masked input's mask on to its output
 * (Keras 3.15's rule, the same in the app's tfjs layers).
 */
export function passesMask(type: string, params: Params): boolean {
  return maskRule(type, params).kind === 'keep';
}

/**
 * True when Keras calls a layer of this block with its input's mask as a `mask=` argument (its call
 * takes one), which Keras 3 records in the saved graph as op layers computing the mask: measured in
 * 3.15 for every block that can get a mask.
 */
export function takesMaskArgument(type: string, params: Params): boolean {
  return RECURRENT.has(type) || TAKES_MASK_ARGUMENT.has(type) || params.time_distributed === true;
}

/**
 * Blocks besides the recurrent ones whose Keras call has a `mask` argument. (MultiHeadAttention and
 * the merges read their inputs' masks inside the call: no `mask=` is recorded for them.)
 */
const TAKES_MASK_ARGUMENT: ReadonlySet<string> = new Set(['GlobalAveragePooling1D', 'BatchNormalization', 'Softmax']);

/** Blocks whose tfjs layer reads a padding mask from its call arguments (tfjs's Softmax adds -1e9 where it is 0). */
function readsMask(type: string): boolean {
  return RECURRENT.has(type) || type === 'GlobalAveragePooling1D' || type === 'Softmax' || type === 'MultiHeadAttention';
}

/**
 * MultiHeadAttention with a masked input: Keras turns the query's and value's masks into an
 * attention mask (padded keys get no weight, padded queries none) and passes the query's mask on.
 * The app's layer does the same when query, value and key are one tensor of rank 3 (tfjs hands a
 * layer only its first input's mask while predicting, so other mixes could not be told apart).
 */
function attentionRule(edges: readonly GraphEdge[], shape: Shape | null): MaskRule {
  if (edges.some((e) => e.source !== edges[0].source)) {
    return { kind: 'error', why: 'the app’s attention takes a padding mask only in self-attention, with query, value and key all from that one block' };
  }
  if (shape !== null && shape.length !== 2) return { kind: 'error', why: 'the app’s attention takes a padding mask only on sequences (batch, steps, features), not on rank-4/5 inputs' };
  return { kind: 'keep' };
}

type MaskRule = { readonly kind: 'keep' | 'use' | 'drop' } | { readonly kind: 'error'; readonly why: string };

/** What a block of this type and these params does with a masked input. */
function maskRule(type: string, params: Params): MaskRule {
  // Attention keeps it only in self-attention, which the analysis checks on the graph.
  if (KEEPS_MASK.has(type) || type === 'MultiHeadAttention') return { kind: 'keep' };
  if (RECURRENT.has(type)) {
    if (params.bidirectional === true && params.return_sequences === true) {
      return { kind: 'error', why: 'Keras’s Bidirectional zeroes the outputs of padded steps when it returns sequences, which the app’s layer does not do yet' };
    }
    return { kind: params.return_sequences === true ? 'keep' : 'use' };
  }
  if (type === 'GlobalAveragePooling1D') return { kind: 'use' };
  const why = Object.prototype.hasOwnProperty.call(NOT_YET, type) ? NOT_YET[type] : undefined;
  return why === undefined ? { kind: 'drop' } : { kind: 'error', why };
}
