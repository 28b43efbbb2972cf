/**
 * Literals and call formatting for generated Python and TypeScript. Everything here is
 * deterministic (no locale, no clocks), so the same graph always gives byte-identical files.
 */
import type { KerasArg } from '../blocks/types.js';

/** Width Black formats Python to; calls longer than this are wrapped. */
export const PY_LINE_WIDTH = 88;
/** Width the TypeScript export is formatted to (Prettier's common setting). */
export const TS_LINE_WIDTH = 100;

/** A number as source text; both languages accept JavaScript's shortest round-trip form. */
export function numberLiteral(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`Cannot write ${n} into generated code: give the parameter a finite value.`);
  return Object.is(n, -0) ? '0' : String(n);
}

/** A Python literal: strings in double quotes, `True`/`False`/`None`, tuples as `(4,)` / `(3, 3)`. */
export function pyLiteral(arg: KerasArg): string {
  if (arg === null) return 'None';
  if (typeof arg === 'boolean') return arg ? 'True' : 'False';
  if (typeof arg === 'number') return numberLiteral(arg);
  if (typeof arg === 'string') return pyString(arg);
  if ('raw' in arg) return arg.raw;
  if ('module' in arg) return `keras.${arg.module}.${arg.className}(${arg.args.map(([k, v]) => `${k}=${pyLiteral(v)}`).join(', ')})`;
  const items = arg.tuple.map(pyLiteral);
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** A Python string literal (JSON escapes are valid Python escapes). */
export function pyString(s: string): string {
  return JSON.stringify(s);
}

/** A TypeScript literal: strings in single quotes, tuples as arrays. */
export function tsLiteral(arg: KerasArg): string {
  if (arg === null) return 'null';
  if (typeof arg === 'boolean' || typeof arg === 'number') return typeof arg === 'number' ? numberLiteral(arg) : String(arg);
  if (typeof arg === 'string') return tsString(arg);
  if ('raw' in arg) return arg.raw;
  // tfjs's factories (tf.regularizers.l1l2, tf.constraints.maxNorm, ...), typed where a layer config takes them.
  if ('module' in arg) {
    const factory = arg.className === 'L1L2' ? 'l1l2' : arg.className.charAt(0).toLowerCase() + arg.className.slice(1);
    const config = arg.args.length ? `{ ${arg.args.map(([k, v]) => `${k}: ${tsLiteral(v)}`).join(', ')} }` : '';
    return `tf.${arg.module}.${factory}(${config})`;
  }
  return `[${arg.tuple.map(tsLiteral).join(', ')}]`;
}

/** A single-quoted TypeScript string literal. */
export function tsString(s: string): string {
  const json = JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${json}'`;
}

/** True when two literals print the same (tuples compare element-wise). */
export function sameArg(a: KerasArg, b: KerasArg): boolean {
  return pyLiteral(a) === pyLiteral(b);
}

/**
 * Formats `prefix(args)suffix` the way Black does: on one line when it fits, else the arguments on
 * one indented line, else one argument per line with a trailing comma. An argument may itself be a
 * call that needs wrapping: give it as `(indent) => text` and it is formatted at its own indent.
 */
export function wrapCall(indent: string, prefix: string, args: readonly CallArg[], suffix: string, width: number): string {
  const flatArgs = args.map((a) => (typeof a === 'string' ? a : a(null)));
  const flat = `${indent}${prefix}(${flatArgs.join(', ')})${suffix}`;
  if (flat.length <= width || args.length === 0) return flat;
  const inner = `${indent}    ${flatArgs.join(', ')}`;
  if (inner.length <= width) return `${indent}${prefix}(\n${inner}\n${indent})${suffix}`;
  const lines = args.map((a) => {
    const text = typeof a === 'string' ? a : a(null);
    if (typeof a === 'string' || `${indent}    ${text},`.length <= width) return `${indent}    ${text},`;
    return `${a(`${indent}    `)},`;
  });
  return `${indent}${prefix}(\n${lines.join('\n')}\n${indent})${suffix}`;
}

/**
 * An argument of {@link wrapCall}: literal text, or a nested call that formats itself on one line
 * (`indent` null) or wrapped at `indent` (the text then starts with that indent).
 */
export type CallArg = string | ((indent: string | null) => string);

/** A nested call argument for {@link wrapCall}: `prefix(args)`. */
export function nestedCall(prefix: string, args: readonly string[], width: number): CallArg {
  return (indent) => (indent === null ? `${prefix}(${args.join(', ')})` : wrapCall(indent, prefix, args, '', width));
}

/** A list argument for {@link wrapCall}: `[a, b]`, or one item per line when it does not fit. */
export function nestedList(items: readonly string[]): CallArg {
  return (indent) => (indent === null ? `[${items.join(', ')}]` : `${indent}[\n${items.map((i) => `${indent}    ${i},`).join('\n')}\n${indent}]`);
}

/**
 * A layer built and applied in one statement, `prefix(ctorArgs)(callArgs)`, wrapped like Black:
 * the constructor first, then the call's arguments when the line is still too long.
 */
export function wrapApplied(indent: string, prefix: string, ctorArgs: readonly CallArg[], callArgs: readonly CallArg[], width: number): string {
  const flat = (args: readonly CallArg[]): string => args.map((a) => (typeof a === 'string' ? a : a(null))).join(', ');
  const fits = (text: string): boolean => text.split('\n').every((l) => l.length <= width);
  const simple = wrapCall(indent, prefix, ctorArgs, `(${flat(callArgs)})`, width);
  if (fits(simple)) return simple;
  const ctorFlat = `${indent}${prefix}(${flat(ctorArgs)})`;
  const ctor = ctorFlat.length + 1 <= width ? ctorFlat : wrapCall(indent, prefix, ctorArgs, '', width);
  return wrapCall(indent, ctor.slice(indent.length), callArgs, '', width);
}


/** Python keywords and the module names model.py uses: a layer named like one gets a `_` suffix. */
export const PY_RESERVED: ReadonlySet<string> = new Set([
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass',
  'raise', 'return', 'try', 'while', 'with', 'yield', 'keras', 'layers', 'np', 'tf', 'ops', 'os', 'argparse',
  'contextlib', 'csv', 'json', 'build_model', 'main', 'load_weights', 'print', 'list', 'dict', 'len', 'range',
  // Builtins a label could shadow: legal, but confusing to read.
  'input', 'type', 'id', 'max', 'min', 'sum', 'abs', 'all', 'any', 'filter', 'map', 'zip', 'iter', 'next',
  'open', 'format', 'hash', 'object', 'super', 'round', 'slice', 'set', 'str', 'int', 'float', 'bool', 'tuple',
]);

/** TypeScript reserved words and the identifiers model.ts uses. */
export const TS_RESERVED: ReadonlySet<string> = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null',
  'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
  'let', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'await', 'async',
  'arguments', 'eval', 'undefined', 'tf', 'fs', 'path', 'model', 'buildModel', 'loadWeights', 'registerLayerloomLayers',
]);

/** A variable name for a layer name that is safe in the language (`lambda` → `lambda_`). */
export function safeVar(name: string, reserved: ReadonlySet<string>): string {
  return reserved.has(name) ? `${name}_` : name;
}
