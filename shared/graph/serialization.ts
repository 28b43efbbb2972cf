/**
 * Reading and writing `*.layerloom` files. Reading validates everything and reports each problem
 * with the path to it (`nodes[3].params.filters: expected integer ≥ 1, got "abc"`); a file from a
 * newer Layerloom is refused whole, never half-loaded. Older files are migrated (migrations.ts).
 */
import { getBlock } from '../blocks/registry.js';
import { checkParamType, defaultParams } from '../blocks/paramUtils.js';
import type { ParamValue } from '../blocks/types.js';
import {
  DEFAULT_TRAINING,
  LOSSES,
  OPTIMIZERS,
  type DatasetRef,
  type EarlyStoppingSettings,
  type TrainingSettings,
} from '../training/settings.js';
import { CURRENT_FORMAT_VERSION, FORMAT_ID, OUTPUT_PORTS, type GraphEdge, type GraphNode, type ProjectDocument } from './document.js';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';
import { initialWeightsPathProblem } from './projectPaths.js';
import { TRAINING_ENGINES } from '../training/protocol.js';

/** Result of reading a project file. */
export type ParseResult =
  | { readonly ok: true; readonly doc: ProjectDocument; readonly migratedFrom?: number }
  | { readonly ok: false; readonly errors: readonly string[] };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Nesting deeper than this is refused: a real project nests about 5 levels. */
export const MAX_NESTING = 64;

/** The path of a value below `path` (`nodes[3].params`, `extra["a b"]`). */
function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  return path === '' ? name : /^[A-Za-z_$]/.test(name) ? `${path}.${name}` : `${path}[${name}]`;
}

/**
 * Checks what JSON.parse accepts but a project cannot hold, without recursion: nesting deeper than
 * {@link MAX_NESTING}, and numbers beyond the double range (`1e400` parses to Infinity).
 */
function checkJsonShape(root: unknown): string[] {
  const errors: string[] = [];
  // `path` stops growing after a few levels: it names the field, not every bracket below it.
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: '', depth: 0 }];
  while (stack.length > 0 && errors.length < MAX_ERRORS) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'number' && !Number.isFinite(value)) {
      errors.push(`${path || 'value'}: the number is too large (beyond ±1.8e308, the largest a project can hold); use a smaller value.`);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_NESTING) {
      errors.push(`${path || 'value'}: nested more than ${MAX_NESTING} levels deep; a project file nests only a few levels. Replace this value with a flat one.`);
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, v] = entries[i];
      stack.push({ value: v, path: depth < FIELD_DEPTH ? childPath(path, key) : path, depth: depth + 1 });
    }
  }
  return errors;
}

/** How many levels of a path are named in nesting and number errors (`nodes[1].params.filters`). */
const FIELD_DEPTH = 4;

/** At most this many errors are listed; a badly broken file should not produce a wall of text. */
const MAX_ERRORS = 20;

/**
 * Parses and validates project file text. `migrations` is injectable for tests.
 */
export function parseProject(text: string, migrations: readonly Migration[] = MIGRATIONS): ParseResult {
  let raw: unknown;
  try {
    // Editors on Windows often start UTF-8 files with a byte order mark; JSON.parse refuses it.
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    return { ok: false, errors: [`Not a Layerloom project: the file is not valid JSON (${(e as Error).message}).`] };
  }
  // Before anything walks the value recursively (which a 100,000-deep nesting would overflow).
  const shapeErrors = checkJsonShape(raw);
  if (shapeErrors.length) return { ok: false, errors: shapeErrors };
  if (!isObject(raw) || raw.format !== FORMAT_ID) {
    return { ok: false, errors: [`Not a Layerloom project: expected "format": "${FORMAT_ID}" at the top level.`] };
  }
  const version = raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, errors: [`version: expected a positive integer, got ${show(version)}.`] };
  }
  if (version > CURRENT_FORMAT_VERSION) {
    return {
      ok: false,
      errors: [
        `This project was saved by a newer Layerloom (file format version ${version}); this app reads versions up to ${CURRENT_FORMAT_VERSION}. ` +
          `Update Layerloom to open it. The file was not changed.`,
      ],
    };
  }
  let current: JsonObject = raw;
  if (version < CURRENT_FORMAT_VERSION) {
    const migrated = migrate(raw, version, CURRENT_FORMAT_VERSION, migrations);
    if (!migrated.ok) return { ok: false, errors: [migrated.error] };
    current = migrated.value as JsonObject;
  }
  const errors: string[] = [];
  const doc = readDocument(current, errors);
  if (errors.length > 0 || !doc) {
    const shown = errors.slice(0, MAX_ERRORS);
    if (errors.length > MAX_ERRORS) shown.push(`…and ${errors.length - MAX_ERRORS} more problems.`);
    return { ok: false, errors: shown };
  }
  return version < CURRENT_FORMAT_VERSION ? { ok: true, doc, migratedFrom: version } : { ok: true, doc };
}

function readDocument(raw: JsonObject, errors: string[]): ProjectDocument | null {
  const name = typeof raw.name === 'string' ? raw.name : (errors.push(`name: expected text, got ${show(raw.name)}`), '');
  if (!Array.isArray(raw.nodes)) errors.push(`nodes: expected a list, got ${show(raw.nodes)}`);
  if (!Array.isArray(raw.edges)) errors.push(`edges: expected a list, got ${show(raw.edges)}`);
  const rawNodes = Array.isArray(raw.nodes) ? raw.nodes : [];
  const nodes = rawNodes.map((n, i) => readNode(n, `nodes[${i}]`, errors));
  // Every node that has an id counts for the edges, also one with a bad parameter: its own error
  // is reported once, and its edges are not reported as dangling on top of it.
  const ids = new Set<string>();
  rawNodes.forEach((n, i) => {
    const id = isObject(n) ? n.id : undefined;
    if (typeof id !== 'string' || id === '') return;
    if (ids.has(id)) errors.push(`nodes[${i}].id: "${id}" is used by another node; ids must be unique`);
    ids.add(id);
  });
  const edges = Array.isArray(raw.edges) ? raw.edges.map((e, i) => readEdge(e, `edges[${i}]`, ids, errors)) : [];
  const edgeIds = new Map<string, number>();
  (Array.isArray(raw.edges) ? raw.edges : []).forEach((e, i) => {
    const id = isObject(e) ? e.id : undefined;
    if (typeof id !== 'string' || id === '') return;
    const first = edgeIds.get(id);
    if (first !== undefined) errors.push(`edges[${i}].id: "${id}" is also the id of edges[${first}]; edge ids must be unique (rename one of them)`);
    else edgeIds.set(id, i);
  });
  const dataset = raw.dataset === undefined || raw.dataset === null ? null : readDataset(raw.dataset, errors);
  const training = raw.training === undefined || raw.training === null ? null : readTraining(raw.training, errors);
  const initialWeights = raw.initialWeights;
  if (initialWeights !== undefined) {
    const problem = typeof initialWeights === 'string' ? initialWeightsPathProblem(initialWeights) : `expected text, got ${show(initialWeights)}`;
    if (problem) errors.push(`initialWeights: ${problem}`);
  }
  if (errors.length) return null;
  return {
    ...unknownKeys(raw, TOP_KEYS),
    format: FORMAT_ID,
    version: CURRENT_FORMAT_VERSION,
    name,
    nodes: nodes.filter((n): n is GraphNode => n !== null),
    edges: edges.filter((e): e is GraphEdge => e !== null),
    dataset,
    training,
    ...(typeof initialWeights === 'string' ? { initialWeights } : {}),
  };
}

const TOP_KEYS = ['format', 'version', 'name', 'nodes', 'edges', 'dataset', 'training', 'initialWeights'] as const;
const NODE_KEYS = ['id', 'type', 'label', 'params', 'position'] as const;
const EDGE_KEYS = ['id', 'source', 'sourcePort', 'target', 'targetPort'] as const;
const DATASET_KEYS = ['path', 'kind', 'targetColumn'] as const;
// `engine` is optional (absent: tfjs), so projects that never chose one are saved as before.
const TRAINING_KEYS = [...Object.keys(DEFAULT_TRAINING), 'engine'];

/**
 * Keys this build does not know (written by a newer Layerloom or another tool), kept as they are so
 * opening and re-saving a file loses nothing; {@link serializeProject} writes them after the known
 * keys. Object.fromEntries defines properties, so a key such as `__proto__` stays a plain key.
 */
function unknownKeys(raw: JsonObject, known: readonly string[]): JsonObject {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !known.includes(k)));
}

function readNode(raw: Json, path: string, errors: string[]): GraphNode | null {
  if (!isObject(raw)) return errors.push(`${path}: expected an object, got ${show(raw)}`), null;
  const before = errors.length;
  const id = raw.id;
  const type = raw.type;
  if (typeof id !== 'string' || id === '') errors.push(`${path}.id: expected non-empty text, got ${show(id)}`);
  if (typeof type !== 'string') errors.push(`${path}.type: expected a block type, got ${show(type)}`);
  const label = raw.label === undefined ? type : raw.label;
  if (typeof label !== 'string') errors.push(`${path}.label: expected text, got ${show(label)}`);
  const pos = raw.position;
  if (!isObject(pos) || typeof pos.x !== 'number' || typeof pos.y !== 'number' || !Number.isFinite(pos.x) || !Number.isFinite(pos.y)) {
    errors.push(`${path}.position: expected {"x": number, "y": number}, got ${show(pos)}`);
  }
  const def = typeof type === 'string' ? getBlock(type) : undefined;
  const rawParams = raw.params === undefined ? {} : raw.params;
  const params: Record<string, ParamValue> = def ? defaultParams(def.params) : {};
  if (!isObject(rawParams)) errors.push(`${path}.params: expected an object, got ${show(rawParams)}`);
  else if (!def) {
    // An unknown block type (e.g. from a newer Layerloom) is kept as it is and reported on the node
    // (LL015), so opening and re-saving the file loses nothing.
    for (const [key, value] of Object.entries(rawParams)) {
      if (isParamValue(value)) params[key] = value;
      else errors.push(`${path}.params.${key}: expected a number, text, true/false, null or a list of integers, got ${show(value)}`);
    }
  } else {
    for (const [key, value] of Object.entries(rawParams)) {
      const spec = def.params.find((p) => p.name === key);
      if (!spec) {
        errors.push(`${path}.params.${key}: ${def.type} has no parameter "${key}"`);
        continue;
      }
      // Wrong types make the file unreadable; right-typed values out of range are kept and
      // reported on the node by analysis (LL011). A one-element list where the block takes one
      // integer (Conv1D's `kernel_size: [3]`, as Keras writes 1-D sizes and the import reads them)
      // is that integer.
      const single = spec.kind === 'int' && Array.isArray(value) && value.length === 1 && Number.isInteger(value[0]) ? (value[0] as number) : value;
      const problem = checkParamType(spec, single);
      if (problem) errors.push(`${path}.params.${key}: ${problem}`);
      else params[key] = single as ParamValue;
    }
  }
  if (errors.length > before) return null;
  return {
    ...unknownKeys(raw, NODE_KEYS),
    id: id as string,
    type: type as string,
    label: label as string,
    params,
    position: { x: (pos as JsonObject).x as number, y: (pos as JsonObject).y as number },
  };
}

function isParamValue(v: Json): v is Exclude<Json, JsonObject> & ParamValue {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return true;
  return Array.isArray(v) && v.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d)));
}

function readEdge(raw: Json, path: string, ids: ReadonlySet<string>, errors: string[]): GraphEdge | null {
  if (!isObject(raw)) return errors.push(`${path}: expected an object, got ${show(raw)}`), null;
  const before = errors.length;
  for (const key of ['id', 'source', 'target', 'targetPort'] as const) {
    if (typeof raw[key] !== 'string' || raw[key] === '') errors.push(`${path}.${key}: expected non-empty text, got ${show(raw[key])}`);
  }
  for (const key of ['source', 'target'] as const) {
    const v = raw[key];
    if (typeof v === 'string' && v !== '' && !ids.has(v)) errors.push(`${path}.${key}: no node has id "${v}"`);
  }
  const sourcePort = raw.sourcePort === undefined ? 'out' : raw.sourcePort;
  if (typeof sourcePort !== 'string' || !OUTPUT_PORTS.includes(sourcePort)) {
    errors.push(`${path}.sourcePort: expected one of ${OUTPUT_PORTS.map((p) => `"${p}"`).join(', ')}, got ${show(sourcePort)}`);
  }
  if (errors.length > before) return null;
  return { ...unknownKeys(raw, EDGE_KEYS), id: raw.id as string, source: raw.source as string, sourcePort: sourcePort as string, target: raw.target as string, targetPort: raw.targetPort as string };
}

function readDataset(raw: Json, errors: string[]): DatasetRef | null {
  if (!isObject(raw) || typeof raw.path !== 'string') {
    errors.push(`dataset: expected {"path": text, ...} or null, got ${show(raw)}`);
    return null;
  }
  const kind = raw.kind;
  if (kind !== undefined && kind !== 'images' && kind !== 'csv' && kind !== 'text') {
    errors.push(`dataset.kind: expected "images", "csv" or "text", got ${show(kind)}`);
  }
  if (raw.targetColumn !== undefined && typeof raw.targetColumn !== 'string') {
    errors.push(`dataset.targetColumn: expected text, got ${show(raw.targetColumn)}`);
  }
  const out: { path: string; kind?: DatasetRef['kind']; targetColumn?: string } = { ...unknownKeys(raw, DATASET_KEYS), path: raw.path };
  if (kind === 'images' || kind === 'csv' || kind === 'text') out.kind = kind;
  if (typeof raw.targetColumn === 'string') out.targetColumn = raw.targetColumn;
  return out;
}

function readTraining(raw: Json, errors: string[]): TrainingSettings | null {
  if (!isObject(raw)) {
    errors.push(`training: expected an object or null, got ${show(raw)}`);
    return null;
  }
  const d = DEFAULT_TRAINING;
  const numberIn = (key: string, def: number, ok: (x: number) => boolean, want: string): number => {
    const v = raw[key];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
      errors.push(`training.${key}: expected ${want}, got ${show(v)}`);
      return def;
    }
    return v;
  };
  const oneOf = <T extends string>(key: string, options: readonly T[], def: T): T => {
    const v = raw[key];
    if (v === undefined) return def;
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
      // AdamW was listed once but tfjs has no AdamW, so no build ever trained with it.
      const hint = key === 'optimizer' && v === 'adamw' ? ' (AdamW is not available: TensorFlow.js has no AdamW optimizer; use "adam")' : '';
      errors.push(`training.${key}: expected one of ${options.map((o) => `"${o}"`).join(', ')}, got ${show(v)}${hint}`);
      return def;
    }
    return v as T;
  };
  const metrics = raw.metrics === undefined ? d.metrics : raw.metrics;
  if (!Array.isArray(metrics) || metrics.some((m) => typeof m !== 'string')) errors.push(`training.metrics: expected a list of names, got ${show(metrics)}`);
  const es = raw.earlyStopping === undefined ? {} : raw.earlyStopping;
  let earlyStopping: EarlyStoppingSettings = d.earlyStopping;
  if (!isObject(es)) errors.push(`training.earlyStopping: expected an object, got ${show(es)}`);
  else {
    const monitor = es.monitor ?? d.earlyStopping.monitor;
    const monitors = ['val_loss', 'val_accuracy', 'loss', 'accuracy'] as const;
    if (typeof monitor !== 'string' || !(monitors as readonly string[]).includes(monitor)) {
      errors.push(`training.earlyStopping.monitor: expected one of ${monitors.join(', ')}, got ${show(monitor)}`);
    }
    const patience = es.patience ?? d.earlyStopping.patience;
    if (typeof patience !== 'number' || !Number.isInteger(patience) || patience < 0) {
      errors.push(`training.earlyStopping.patience: expected integer ≥ 0, got ${show(patience)}`);
    }
    earlyStopping = {
      enabled: es.enabled === undefined ? d.earlyStopping.enabled : es.enabled === true,
      monitor: monitor as EarlyStoppingSettings['monitor'],
      patience: patience as number,
      restoreBestWeights: es.restoreBestWeights === undefined ? d.earlyStopping.restoreBestWeights : es.restoreBestWeights === true,
    };
  }
  return {
    ...unknownKeys(raw, TRAINING_KEYS),
    optimizer: oneOf('optimizer', OPTIMIZERS, d.optimizer),
    learningRate: numberIn('learningRate', d.learningRate, (x) => x > 0 && x <= 10, 'a number > 0 and ≤ 10'),
    learningRateDecay: numberIn('learningRateDecay', d.learningRateDecay, (x) => x > 0 && x <= 1, 'a number > 0 and ≤ 1'),
    loss: oneOf('loss', LOSSES, d.loss),
    metrics: Array.isArray(metrics) ? (metrics as string[]) : d.metrics,
    epochs: numberIn('epochs', d.epochs, (x) => Number.isInteger(x) && x >= 1 && x <= 100000, 'integer ≥ 1'),
    batchSize: numberIn('batchSize', d.batchSize, (x) => Number.isInteger(x) && x >= 1 && x <= 65536, 'integer ≥ 1 and ≤ 65536'),
    validationSplit: numberIn('validationSplit', d.validationSplit, (x) => x >= 0 && x < 1, 'a number ≥ 0 and < 1'),
    earlyStopping,
    seed: numberIn('seed', d.seed, (x) => Number.isInteger(x), 'an integer'),
    augment: raw.augment === undefined ? d.augment : raw.augment === true,
    ...(raw.engine === undefined ? {} : { engine: oneOf('engine', TRAINING_ENGINES, 'tfjs') }),
  };
}

/**
 * Serializes a document deterministically (fixed key order, 2-space indent, trailing newline),
 * so saving an unchanged project produces an identical file and diffs stay readable.
 */
export function serializeProject(doc: ProjectDocument): string {
  const ordered = {
    format: FORMAT_ID,
    version: CURRENT_FORMAT_VERSION,
    name: doc.name,
    nodes: doc.nodes.map((n) => ({ id: n.id, type: n.type, label: n.label, params: n.params, position: { x: n.position.x, y: n.position.y }, ...rest(n, NODE_KEYS) })),
    edges: doc.edges.map((e) => ({ id: e.id, source: e.source, sourcePort: e.sourcePort, target: e.target, targetPort: e.targetPort, ...rest(e, EDGE_KEYS) })),
    dataset: doc.dataset && { ...pick(doc.dataset, DATASET_KEYS), ...rest(doc.dataset, DATASET_KEYS) },
    training: doc.training && { ...pick(doc.training, TRAINING_KEYS), ...rest(doc.training, TRAINING_KEYS) },
    ...(doc.initialWeights === undefined ? {} : { initialWeights: doc.initialWeights }),
    ...rest(doc, TOP_KEYS),
  };
  return JSON.stringify(ordered, null, 2) + '\n';
}

/** The keys of `value` outside `known`, in their order (keys read from a file that this build does not know). */
function rest(value: object, known: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !known.includes(k)));
}

/** The keys of `value` in `known`, in the order of `known`. */
function pick(value: object, known: readonly string[]): Record<string, unknown> {
  const entries = new Map(Object.entries(value));
  return Object.fromEntries(known.filter((k) => entries.has(k)).map((k) => [k, entries.get(k)]));
}
