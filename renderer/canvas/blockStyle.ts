/**
 * How blocks look: a colour per palette category and a short formatting of parameter values.
 */
import { formatCompact } from '../../shared/analysis/numbers.js';
import type { BlockCategory, BlockDef, ParamSpec, ParamValue, Params } from '../../shared/blocks/types.js';

/** CSS colour variable per category. */
const CATEGORY_COLOR: Readonly<Record<BlockCategory, string>> = {
  'Input / Output': 'var(--cat-io)',
  Core: 'var(--cat-core)',
  Convolution: 'var(--cat-conv)',
  Pooling: 'var(--cat-pool)',
  Recurrent: 'var(--cat-rnn)',
  Attention: 'var(--cat-attn)',
  Normalization: 'var(--cat-norm)',
  Regularization: 'var(--cat-reg)',
  Reshaping: 'var(--cat-reshape)',
  Merge: 'var(--cat-merge)',
};

/** The colour of a block's category (grey for unknown blocks). */
export function categoryColor(def: BlockDef | undefined): string {
  return def ? (CATEGORY_COLOR[def.category] ?? 'var(--muted)') : 'var(--danger)';
}

/** Raw colours (for the minimap and thumbnails, which cannot read CSS variables). */
export const CATEGORY_HEX: Readonly<Record<BlockCategory, string>> = {
  'Input / Output': '#2dd4bf',
  Core: '#60a5fa',
  Convolution: '#a78bfa',
  Pooling: '#f472b6',
  Recurrent: '#fb923c',
  Attention: '#facc15',
  Normalization: '#4ade80',
  Regularization: '#94a3b8',
  Reshaping: '#22d3ee',
  Merge: '#f87171',
};

/** A parameter value, compactly: `3×3`, `28×28×1`, `relu`, `0.5`. */
export function formatParamValue(spec: ParamSpec | undefined, value: ParamValue | undefined): string {
  if (value === undefined) return '—';
  if (value === null) return spec?.nullable ? 'auto' : 'None';
  if (Array.isArray(value)) return value.length ? value.map((d) => (d === null ? '?' : String(d))).join('×') : '()';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  return String(value);
}

/**
 * The activation a layer applies, for its header (`relu`, `linear`): null for blocks without one,
 * and for the Activation block, whose only row already says it.
 */
export function activationOf(def: BlockDef | undefined, params: Params): string | null {
  const spec = def?.params.find((p) => p.name === 'activation');
  if (!def || !spec || def.type === 'Activation') return null;
  const value = params.activation ?? spec.default;
  return typeof value === 'string' ? value : 'linear';
}

/** The few parameters worth showing on the node itself (the activation shows in the header). */
export function keyParams(def: BlockDef | undefined, params: Params, max = 3): { label: string; value: string }[] {
  if (!def) return Object.entries(params).slice(0, max).map(([k, v]) => ({ label: k, value: formatParamValue(undefined, v) }));
  const inHeader = activationOf(def, params) !== null;
  // Trainable is not a row: a frozen block carries the ❄ mark instead, and "Trainable yes" on every
  // Flatten and Add would only crowd the canvas.
  const specs = def.params.filter((p) => !p.advanced && p.name !== 'trainable' && !(inHeader && p.name === 'activation'));
  return specs.slice(0, max).map((spec) => ({ label: spec.label, value: formatParamValue(spec, params[spec.name]) }));
}

/**
 * A count short enough for a block's footer: `9,999`, `93.3K`, `1.23M`, `586G` (never exponent
 * notation or `Infinity`); the inspector and the tooltip have the exact figure.
 */
export function compactCount(n: number): string {
  return formatCompact(n).replace(' ', '');
}
