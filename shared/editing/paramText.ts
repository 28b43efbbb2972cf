/**
 * Text typed into an inspector field, parsed into a parameter value: numbers, comma-separated
 * sizes (tuples, shapes with None for a variable size) and plain text.
 */
import type { Dim, ParamSpec, ParamValue } from '../blocks/types.js';

/** Parses field text into a value for the spec, or returns why it cannot. */
export function parseParamText(spec: ParamSpec, text: string): { value: ParamValue } | { error: string } {
  const t = text.trim();
  if (spec.kind === 'int' || spec.kind === 'float') {
    if (t === '') return spec.nullable ? { value: null } : { error: 'Enter a number.' };
    const n = Number(t);
    if (!Number.isFinite(n)) return { error: `“${t}” is not a number.` };
    if (spec.kind === 'int' && !Number.isInteger(n)) return { error: 'Enter a whole number.' };
    return { value: n };
  }
  if (spec.kind === 'ints' || spec.kind === 'shape') {
    if (t === '') return spec.nullable ? { value: null } : { error: 'Enter sizes separated by commas, e.g. 3, 3.' };
    const parts = t.replace(/^[([]|[)\]]$/g, '').split(/[\s,×x]+/).filter(Boolean);
    const dims: Dim[] = [];
    for (const p of parts) {
      if (spec.kind === 'shape' && /^(none|null|\?)$/i.test(p)) dims.push(null);
      else if (/^-?\d+$/.test(p)) dims.push(Number(p));
      else return { error: `“${p}” is not a whole number${spec.kind === 'shape' ? ' (use None for a variable size)' : ''}.` };
    }
    if (spec.kind === 'ints' && spec.length !== undefined && dims.length === 1) return { value: new Array<Dim>(spec.length).fill(dims[0]) };
    return { value: dims };
  }
  return { value: text };
}
