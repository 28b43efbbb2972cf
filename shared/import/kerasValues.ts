/**
 * Values as Keras writes them in a layer config (`get_config()` / `to_json()`), read back into the
 * spelling Layerloom's block specs print: initializer objects become their short names
 * (`{"class_name": "GlorotUniform", ...}` → `glorot_uniform`), lists become tuples. Keras 3 and the
 * older Keras 2 / tfjs-layers spellings (`VarianceScaling` with a mode) are both read.
 */
import { VARIANCE_SCALING_INITIALIZERS } from '../blocks/paramUtils.js';
import type { KerasArg } from '../blocks/types.js';

/** A JSON value. */
export type Json = null | boolean | number | string | readonly Json[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  readonly [key: string]: Json;
}

/** True for a JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Keras 3 class names of the initializers Layerloom offers, and the config each must have to be
// exactly the short name (a different gain or range is a different initializer).
const INITIALIZER_CLASSES: Readonly<Record<string, { readonly name: string; readonly config?: JsonObject }>> = {
  GlorotUniform: { name: 'glorot_uniform' },
  GlorotNormal: { name: 'glorot_normal' },
  HeUniform: { name: 'he_uniform' },
  HeNormal: { name: 'he_normal' },
  LecunUniform: { name: 'lecun_uniform' },
  LecunNormal: { name: 'lecun_normal' },
  Zeros: { name: 'zeros' },
  Ones: { name: 'ones' },
  Orthogonal: { name: 'orthogonal', config: { gain: 1 } },
  RandomUniform: { name: 'uniform', config: { minval: -0.05, maxval: 0.05 } },
  RandomNormal: { name: 'normal', config: { mean: 0, stddev: 0.05 } },
};

// tfjs-layers and Keras 2 write the Glorot/He/LeCun family as VarianceScaling(scale, mode, distribution).
const VARIANCE_SCALING: ReadonlyArray<{ scale: number; mode: string; uniform: boolean; name: string }> = [
  { scale: 1, mode: 'fan_avg', uniform: true, name: 'glorot_uniform' },
  { scale: 1, mode: 'fan_avg', uniform: false, name: 'glorot_normal' },
  { scale: 2, mode: 'fan_in', uniform: true, name: 'he_uniform' },
  { scale: 2, mode: 'fan_in', uniform: false, name: 'he_normal' },
  { scale: 1, mode: 'fan_in', uniform: true, name: 'lecun_uniform' },
  { scale: 1, mode: 'fan_in', uniform: false, name: 'lecun_normal' },
  ...Object.entries(VARIANCE_SCALING_INITIALIZERS).map(([name, v]) => ({ scale: v.scale, mode: v.mode, uniform: v.distribution === 'uniform', name })),
];

// Layerloom's own tfjs initializer classes, as a tfjs model saved by Layerloom names them.
const LAYERLOOM_CLASSES: Readonly<Record<string, string>> = { LayerloomHeNormalFanOut: 'he_normal_fan_out', LayerloomUniformFanOut: 'uniform_fan_out' };

const SHORT_NAMES = new Set(['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal', 'zeros', 'ones', 'orthogonal', 'uniform', 'normal', ...Object.keys(VARIANCE_SCALING_INITIALIZERS)]);

/** Keras 2 / tfjs spellings of short names (`GlorotUniform` as a plain string, tfjs's camelCase). */
function shortName(s: string): string {
  const snake = s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return snake === 'random_uniform' ? 'uniform' : snake === 'random_normal' ? 'normal' : snake;
}

/**
 * The short name of a serialized initializer (`glorot_uniform`, `orthogonal`, ...), or null when it
 * is not one Layerloom can write (another class, a seed, a non-default gain or range).
 */
export function initializerName(value: Json): string | null {
  if (typeof value === 'string') {
    const s = shortName(value);
    return SHORT_NAMES.has(s) ? s : null;
  }
  if (!isObject(value) || typeof value.class_name !== 'string') return null;
  const config = isObject(value.config) ? value.config : {};
  if (value.class_name in LAYERLOOM_CLASSES) return LAYERLOOM_CLASSES[value.class_name];
  // A seed fixes the random start: dropping it would change what the model trains from.
  if (config.seed !== undefined && config.seed !== null) return null;
  if (value.class_name === 'VarianceScaling') {
    const dist = config.distribution;
    const uniform = dist === 'uniform';
    const hit = VARIANCE_SCALING.find((v) => v.scale === config.scale && v.mode === config.mode && v.uniform === uniform && (uniform || dist === 'truncated_normal' || dist === 'normal'));
    return hit?.name ?? null;
  }
  const known = INITIALIZER_CLASSES[value.class_name];
  if (!known) {
    const s = shortName(value.class_name);
    return SHORT_NAMES.has(s) && Object.keys(config).every((k) => k === 'seed') ? s : null;
  }
  for (const [k, v] of Object.entries(known.config ?? {})) if (config[k] !== undefined && config[k] !== v) return null;
  return known.name;
}

function close(a: number, b: number): boolean {
  // Configs hold float32 values printed as float64 (0.2 → 0.20000000298023224).
  return a === b || Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Names Keras writes for a value under another name (its legacy .h5 writer says `silu` for `swish`). */
const STRING_ALIASES: Readonly<Record<string, string>> = { silu: 'swish' };

/** A string value in the spelling the block specs use. */
export function canonicalString(s: string): string {
  return STRING_ALIASES[s] ?? s;
}

/**
 * True when a value a block prints (`printed`) is what Keras wrote (`written`): numbers within
 * float32 rounding, tuples element-wise, a 1-tuple equal to its number (Keras stores Conv1D's
 * `kernel_size=3` as `[3]`), initializers by short name, `linear` for a missing activation.
 */
export function sameKerasValue(printed: KerasArg, written: Json | undefined): boolean {
  if (written === undefined) return false;
  if (printed === null) return written === null;
  if (typeof printed === 'number') {
    if (typeof written === 'number') return close(printed, written);
    return Array.isArray(written) && written.length === 1 && typeof written[0] === 'number' && close(printed, written[0]);
  }
  if (typeof printed === 'boolean') return written === printed;
  if (typeof printed === 'string') {
    if (written === printed || (typeof written === 'string' && canonicalString(written) === printed)) return true;
    if (printed === 'linear' && written === null) return true;
    if (typeof written === 'string' || isObject(written)) {
      const init = initializerName(written);
      return init !== null && init === printed;
    }
    return false;
  }
  if ('tuple' in printed) {
    if (!Array.isArray(written) || written.length !== printed.tuple.length) return false;
    return printed.tuple.every((p, i) => sameKerasValue(p, (written as readonly Json[])[i]));
  }
  if ('module' in printed) {
    if (printed.module === 'regularizers') {
      const mine = regularizerFactors({ class_name: printed.className, config: Object.fromEntries(printed.args.map(([k, v]) => [k, typeof v === 'number' ? v : null])) });
      const theirs = regularizerFactors(written);
      return mine !== null && theirs !== null && close(mine.l1, theirs.l1) && close(mine.l2, theirs.l2);
    }
    if (!isObject(written) || typeof written.class_name !== 'string' || !isObject(written.config)) return false;
    // Keras also knows its constraints by snake-case aliases (`max_norm` for MaxNorm).
    if (written.class_name.replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase()) !== printed.className) return false;
    const config = written.config;
    return printed.args.every(([k, v]) => sameKerasValue(v, config[k])) && Object.keys(config).every((k) => printed.args.some(([name]) => name === k));
  }
  return false;
}

/**
 * The l1 and l2 factors of a regularizer as Keras (`L1`, `L2`, `L1L2`, also their snake-case
 * aliases) or tfjs (`L1L2`) writes it; null for anything else (a custom regularizer). `L1(0.01)`,
 * `L1L2(l1=0.01, l2=0)` and tfjs's `l1(0.01)` are one penalty.
 */
export function regularizerFactors(v: Json | undefined): { readonly l1: number; readonly l2: number } | null {
  if (!isObject(v) || typeof v.class_name !== 'string') return null;
  const config = isObject(v.config) ? v.config : {};
  const read = (k: string): number | null => (config[k] === undefined || config[k] === null ? 0 : typeof config[k] === 'number' ? config[k] : null);
  const name = v.class_name.replace(/_/g, '').toUpperCase();
  const l1 = name === 'L1' || name === 'L1L2' ? read('l1') : 0;
  const l2 = name === 'L2' || name === 'L1L2' ? read('l2') : 0;
  if (!['L1', 'L2', 'L1L2'].includes(name) || l1 === null || l2 === null) return null;
  return { l1, l2 };
}

/** A config value shown in a report: short, valid JSON-ish text. */
export function showValue(v: Json | undefined): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
