/**
 * Argument validation for every API method. Hosts run `validateArgs` before calling any service,
 * so a compromised or buggy renderer cannot hand a service a malformed value. Hand-written rather
 * than a schema library because `shared/` imports no packages; each validator returns the value to
 * use (documents are re-read through the project-file parser, so they meet the file format's rules).
 */
import { isAbsolutePath } from '../codegen/exportFile.js';
import { parseProject } from '../graph/serialization.js';
import type { ProjectDocument } from '../graph/document.js';
import type { ApiArgs, ApiMethod } from './contract.js';
import { isApiMethod } from './contract.js';
import type { CodeTarget, ExportTargetKind, PickPurpose } from './types.js';
import { CHECKPOINT_CHOICES } from '../training/weightSource.js';
import { TRAINING_ENGINES } from '../training/protocol.js';
import { WEIGHT_QUANTIZATIONS } from '../codegen/quantize.js';
import { TFLITE_MODES } from '../codegen/keras/tflite.js';

/** The outcome of validating one value. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

/** Validates one value; `path` names it in messages (`request.folder`). */
export type Validator<T> = (value: unknown, path: string) => Checked<T>;

const good = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(...errors: string[]): Checked<T> => ({ ok: false, errors });

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? typeof v;
  } catch {
    s = typeof v;
  }
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Longest path accepted (Windows long paths go to 32k; nobody types more than this). */
export const MAX_PATH_LENGTH = 4096;

/** Text with length bounds. */
export function text(options: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): Validator<string> {
  const { min = 0, max = 10_000, pattern, what } = options;
  return (v, path) => {
    if (typeof v !== 'string') return bad(`${path}: expected text, got ${show(v)}`);
    if (v.length < min) return bad(min === 1 ? `${path}: must not be empty` : `${path}: expected at least ${min} characters`);
    if (v.length > max) return bad(`${path}: too long (${v.length} characters, at most ${max})`);
    if (pattern && !pattern.test(v)) return bad(`${path}: expected ${what ?? `text matching ${pattern}`}, got ${show(v)}`);
    return good(v);
  };
}

/**
 * A filesystem path: non-empty, bounded, no NUL bytes (which truncate paths in C libraries), and
 * absolute (`/…`, `C:\\…`, `\\\\server\\share`): a relative one would be resolved against the host's
 * working folder, which the person typing it cannot see.
 */
export const filePath: Validator<string> = (v, path) => {
  const t = text({ min: 1, max: MAX_PATH_LENGTH })(v, path);
  if (!t.ok) return t;
  if (t.value.includes('\0')) return bad(`${path}: a path cannot contain a NUL character`);
  if (t.value.trim() === '') return bad(`${path}: must not be empty`);
  if (!isAbsolutePath(t.value)) return bad(`${path}: path must be absolute: ${show(t.value)}; give the full path, starting at / (or at a drive such as C:\\ on Windows)`);
  return t;
};

/** One of a fixed set of strings. */
export function oneOf<T extends string>(options: readonly T[]): Validator<T> {
  return (v, path) =>
    typeof v === 'string' && (options as readonly string[]).includes(v)
      ? good(v as T)
      : bad(`${path}: expected one of ${options.map((o) => `"${o}"`).join(', ')}, got ${show(v)}`);
}

/** A whole number (a safe integer). */
const integer: Validator<number> = (v, path) => (typeof v === 'number' && Number.isSafeInteger(v) ? good(v) : bad(`${path}: expected a whole number, got ${show(v)}`));

/** true or false. */
export const boolean: Validator<boolean> = (v, path) => (typeof v === 'boolean' ? good(v) : bad(`${path}: expected true or false, got ${show(v)}`));

/** `null` or the inner validator. */
export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (v, path) => (v === null ? good(null) : inner(v, path));
}

/** A list of at most `max` values, each checked by `inner`. */
export function listOf<T>(inner: Validator<T>, max: number): Validator<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) return bad(`${path}: expected a list, got ${show(v)}`);
    if (v.length > max) return bad(`${path}: at most ${max} entries, got ${v.length}`);
    const out: T[] = [];
    const errors: string[] = [];
    v.forEach((item, i) => {
      const r = inner(item, `${path}[${i}]`);
      if (r.ok) out.push(r.value);
      else errors.push(...r.errors);
    });
    return errors.length ? bad(...errors) : good(out);
  };
}

/** A project document, validated by the same rules as a project file. */
export const projectDocument: Validator<ProjectDocument> = (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(`${path}: expected a project document, got ${show(v)}`);
  let json: string;
  try {
    json = JSON.stringify(v);
  } catch (e) {
    return bad(`${path}: not serialisable (${(e as Error).message})`);
  }
  const parsed = parseProject(json);
  if (!parsed.ok) return bad(...parsed.errors.map((e) => `${path}: ${e}`));
  return good(parsed.doc);
};

type Shape = Record<string, { readonly validator: Validator<unknown>; readonly optional?: boolean }>;
type ShapeValue<S extends Shape> = { [K in keyof S]: S[K]['validator'] extends Validator<infer T> ? T : never };

/** A plain object with exactly these keys (unknown keys are refused, so typos surface). */
export function object<S extends Shape>(shape: S): Validator<ShapeValue<S>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(`${path}: expected an object, got ${show(v)}`);
    const o = v as Record<string, unknown>;
    const errors: string[] = [];
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(o)) {
      if (!Object.prototype.hasOwnProperty.call(shape, key)) errors.push(`${path}.${key}: unknown field`);
    }
    for (const [key, field] of Object.entries(shape)) {
      if (!Object.prototype.hasOwnProperty.call(o, key) || o[key] === undefined) {
        if (!field.optional) errors.push(`${path}.${key}: missing`);
        continue;
      }
      const r = field.validator(o[key], `${path}.${key}`);
      if (r.ok) out[key] = r.value;
      else errors.push(...r.errors);
    }
    return errors.length ? bad(...errors) : good(out as ShapeValue<S>);
  };
}

const req = <T>(validator: Validator<T>) => ({ validator: validator as Validator<unknown> & Validator<T> });
const opt = <T>(validator: Validator<T>) => ({ validator: validator as Validator<unknown> & Validator<T>, optional: true as const });

const PICK_PURPOSES: readonly PickPurpose[] = ['openProject', 'saveProject', 'datasetFolder', 'exportFolder', 'pythonInterpreter'];
const CODE_TARGETS: readonly CodeTarget[] = ['keras', 'tfjs'];
const EXPORT_TARGETS: readonly ExportTargetKind[] = [...CODE_TARGETS, 'onnx'];
/** Ids of templates, runs and recovery entries: short, safe as file names. */
const idText = text({ min: 1, max: 128, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, what: 'letters, digits, ".", "_" or "-"' });

/** A file ending such as `.layerloom` or `.csv`. */
const extension = text({ min: 2, max: 17, pattern: /^\.[A-Za-z0-9_-]{1,16}$/, what: 'a file ending such as ".csv"' });

type ValidatorsFor<T extends readonly unknown[]> = { readonly [I in keyof T]: Validator<T[I]> };
type ArgValidators = { readonly [K in ApiMethod]: ValidatorsFor<ApiArgs<K>> };

/** The validators of every method's positional arguments. */
export const API_ARGUMENTS: ArgValidators = {
  getAppInfo: [],
  listTemplates: [],
  openTemplate: [idText],
  openProject: [filePath],
  importModel: [filePath, object({ allowUnsupported: req(boolean) })],
  saveProject: [filePath, projectDocument, nullable(filePath)],
  listRecent: [],
  pickPath: [object({ purpose: req(oneOf(PICK_PURPOSES)), defaultPath: opt(filePath) })],
  listFolder: [object({ path: req(filePath), extensions: opt(listOf(extension, 16)) })],
  createFolder: [filePath],
  writeRecovery: [object({ key: req(idText), path: req(nullable(filePath)), doc: req(projectDocument) })],
  listRecovery: [],
  discardRecovery: [idText],
  scanDataset: [object({ path: req(filePath), projectPath: req(nullable(filePath)), targetColumn: opt(text({ min: 1, max: 1000 })) })],
  startTraining: [object({ doc: req(projectDocument), projectPath: req(nullable(filePath)), sessionKey: opt(idText), engine: opt(oneOf(TRAINING_ENGINES)) })],
  stopTraining: [idText],
  listRuns: [object({ projectPath: req(nullable(filePath)), sessionKey: opt(idText) })],
  adoptRuns: [object({ sessionKey: req(idText), projectPath: req(filePath) })],
  openRun: [filePath],
  labelRun: [object({ dir: req(filePath), name: opt(text({ max: 120 })), note: opt(text({ max: 4000 })) })],
  generateCode: [object({ doc: req(projectDocument), target: req(oneOf(CODE_TARGETS)) })],
  listWeightChoices: [object({ doc: req(projectDocument), projectPath: req(nullable(filePath)), sessionKey: opt(idText) })],
  exportCode: [
    object({
      doc: req(projectDocument),
      target: req(oneOf(EXPORT_TARGETS)),
      folder: req(filePath),
      projectPath: req(nullable(filePath)),
      overwrite: opt(boolean),
      weights: opt(object({ run: opt(text({ min: 1, max: 128 })), checkpoint: opt(oneOf(CHECKPOINT_CHOICES)), weights: opt(filePath), seed: opt(integer) })),
      sessionKey: opt(idText),
      quantize: opt(oneOf(WEIGHT_QUANTIZATIONS)),
      tflite: opt(oneOf(TFLITE_MODES)),
    }),
  ],
  getBackendStatus: [],
  getPythonInterpreter: [],
  // An absolute path, or "" to remove the setting.
  setPythonInterpreter: [(v, path) => (v === '' ? good('') : filePath(v, path))],
  listExplainSamples: [object({ doc: req(projectDocument), projectPath: req(nullable(filePath)) })],
  explainSample: [
    object({
      doc: req(projectDocument),
      projectPath: req(nullable(filePath)),
      sessionKey: opt(idText),
      run: opt(text({ min: 1, max: 128 })),
      checkpoint: opt(oneOf(CHECKPOINT_CHOICES)),
      sample: opt(filePath),
      upload: opt(object({ name: req(text({ min: 1, max: 1024 })), dataUrl: req(text({ min: 5, max: 64 * 1024 * 1024 })) })),
      text: opt(text({ max: 100_000 })),
      smoothGradSamples: opt(integer),
      classIndex: opt(integer),
      layer: opt(text({ min: 1, max: 200 })),
    }),
  ],
  cellSamples: [object({ runDir: req(filePath), actual: req(integer), predicted: req(integer) })],
};

/**
 * Validates a call: the method exists, the argument count matches, and every argument passes.
 * Returns the cleaned arguments to pass to the service.
 */
export function validateArgs(method: unknown, args: unknown): { ok: true; method: ApiMethod; args: readonly unknown[] } | { ok: false; unknownMethod: boolean; errors: readonly string[] } {
  if (!isApiMethod(method)) return { ok: false, unknownMethod: true, errors: [`Unknown API method ${show(method)}.`] };
  if (!Array.isArray(args)) return { ok: false, unknownMethod: false, errors: [`${method}: arguments must be a list, got ${show(args)}`] };
  const validators = API_ARGUMENTS[method] as readonly Validator<unknown>[];
  if (args.length !== validators.length) {
    return { ok: false, unknownMethod: false, errors: [`${method}: expected ${validators.length} argument(s), got ${args.length}`] };
  }
  const errors: string[] = [];
  const cleaned: unknown[] = [];
  validators.forEach((validate, i) => {
    const r = validate(args[i], `${method}[${i}]`);
    if (r.ok) cleaned.push(r.value);
    else errors.push(...r.errors);
  });
  return errors.length ? { ok: false, unknownMethod: false, errors } : { ok: true, method, args: cleaned };
}
