/**
 * Readers for model files made elsewhere: a Keras 3 `.keras` archive (a zip of `config.json`,
 * `metadata.json`, `model.weights.h5`), an `.h5` file as Keras 3 writes it (`model_config`
 * attribute + `model_weights` group), Keras JSON (`model.to_json()`, no weights) and a
 * TensorFlow.js layers model (`model.json` + weight shards, quantized dtypes included). Each gives
 * the model config and, per imported layer, its weight arrays in Keras's `layer.weights` order.
 *
 * HDF5 is read with jsfive (a pure-JS HDF5 reader), zips with fflate. Every
 * error names the file and the part that is wrong.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'jsfive';
import type * as tfjs from '@tensorflow/tfjs';
import { formatBytes } from '../../../shared/analysis/numbers.js';
import { modelConfigOf, type ImportedLayer } from '../../../shared/import/kerasModel.js';
import { isObject, type Json, type JsonObject } from '../../../shared/import/kerasValues.js';

type TF = typeof tfjs;

/** One weight array. */
export interface WeightArray {
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

/** The file formats read here. */
export type ModelFormat = 'keras' | 'h5' | 'json' | 'tfjs';

/** A model file, read. */
export interface ModelFile {
  readonly format: ModelFormat;
  readonly path: string;
  readonly bytes: number;
  readonly modelConfig: JsonObject;
  /** The layer's weights in `layer.weights` order, or null when the file holds no weights. */
  readonly weightsOf: ((layer: ImportedLayer) => WeightArray[]) | null;
  /** Releases what the reader holds open (HDF5 files). */
  close(): void;
}

/** A file that cannot be read, naming the file and the part. */
export class ModelFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelFileError';
  }
}

/** Largest model file read (2 GiB): larger files need streaming readers Layerloom does not have. */
export const MAX_MODEL_BYTES = 2 * 1024 ** 3;

/** Extensions Open accepts as models to import. */
export const MODEL_EXTENSIONS = ['.keras', '.h5', '.hdf5', '.json'] as const;

/** The format of a path by its extension (a folder or `model.json` with a weights manifest is tfjs). */
export async function formatOf(path: string): Promise<ModelFormat> {
  const ext = extname(path).toLowerCase();
  if (ext === '.keras') return 'keras';
  if (ext === '.h5' || ext === '.hdf5') return 'h5';
  if (ext === '.json') {
    const json = parseJson(await readFile(path, 'utf8'), path);
    return isObject(json) && (Array.isArray(json.weightsManifest) || isObject(json.modelTopology)) ? 'tfjs' : 'json';
  }
  throw new ModelFileError(`${path}: not a model file Layerloom imports. Use a Keras .keras or .h5 file, Keras JSON (model.to_json()), or a TensorFlow.js model.json.`);
}

function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new ModelFileError(`${what} is not valid JSON: ${(e as Error).message}.`, { cause: e });
  }
}

/** Opens HDF5 bytes with jsfive, refusing what is not HDF5 with a message naming the file. */
function openH5(bytes: Uint8Array, what: string): H5File {
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return new H5File(buffer, what);
  } catch (e) {
    throw new ModelFileError(`${what} is not a readable HDF5 file (${(e as Error).message}). It may be truncated or damaged: save it again.`, { cause: e });
  }
}

type H5Entity = ReturnType<H5File['get']>;

function isGroup(e: H5Entity): e is H5Group {
  return e instanceof H5Group;
}

/** Looks up an HDF5 path (`layers/dense/vars/0`) in one file. */
type H5Get = (path: string) => H5Entity;

/**
 * Path lookups that open each group once. jsfive's `get` opens every group on the path again, each
 * time reading all of its links: with one lookup per weight in a group of hundreds of layers,
 * DenseNet121's weights took over 40 s to read; cached, about a second.
 */
function cachedGet(f: H5File): H5Get {
  const groups = new Map<string, H5Group>([['', f]]);
  const split = (path: string): [string, string] => {
    const cut = path.lastIndexOf('/');
    return cut < 0 ? ['', path] : [path.slice(0, cut), path.slice(cut + 1)];
  };
  const groupAt = (path: string): H5Group => {
    const hit = groups.get(path);
    if (hit) return hit;
    const [parent, child] = split(path);
    const e = groupAt(parent).get(child);
    if (!isGroup(e)) throw new Error(`${path} is not a group`);
    groups.set(path, e);
    return e;
  };
  return (path) => {
    const [parent, child] = split(path);
    return groupAt(parent).get(child);
  };
}

/** A dataset's values as float32 (int32 kept), with its shape. */
function readDataset(get: H5Get, path: string, what: string): WeightArray {
  let e: H5Entity;
  try {
    e = get(path);
  } catch (err) {
    throw new ModelFileError(`${what} cannot be read (${(err as Error).message}). The file may be truncated.`, { cause: err });
  }
  if (!(e instanceof H5Dataset)) throw new ModelFileError(`${what} is missing.`);
  const shape = e.shape.map(Number);
  let value: ArrayLike<number> | number;
  try {
    value = e.value;
  } catch (err) {
    throw new ModelFileError(`${what} cannot be read (${(err as Error).message}). The file may be truncated.`, { cause: err });
  }
  const isInt = typeof e.dtype === 'string' && /^[<>|]?i/.test(e.dtype);
  if (typeof value === 'number') return { shape, data: isInt ? Int32Array.of(value) : Float32Array.of(value) };
  if (typeof value !== 'object' || value === null || typeof value.length !== 'number') throw new ModelFileError(`${what} holds ${String(e.dtype)} values, not numbers.`);
  return { shape, data: isInt ? Int32Array.from(value) : Float32Array.from(value) };
}

/** `vars/0, vars/1, ...` of a saved layer, then its sublayers (in Keras's weights order where it differs from the alphabet). */
const CHILD_ORDER: Readonly<Record<string, readonly string[]>> = {
  MultiHeadAttention: ['query_dense', 'key_dense', 'value_dense', 'output_dense'],
  Bidirectional: ['forward_layer', 'backward_layer'],
};

function archiveVars(get: H5Get, path: string, kerasClass: string | null, what: string): WeightArray[] {
  const group = get(path);
  if (!isGroup(group)) throw new ModelFileError(`${what}: ${path} is missing from model.weights.h5, so the file does not match its config.json.`);
  const out: WeightArray[] = [];
  const keys = group.keys;
  if (keys.includes('vars')) {
    const vars = get(`${path}/vars`);
    if (isGroup(vars)) {
      const names = vars.keys.filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
      for (const n of names) out.push(readDataset(get, `${path}/vars/${n}`, `${what}: ${path}/vars/${n}`));
    }
  }
  const order = (kerasClass && CHILD_ORDER[kerasClass]) ?? [];
  const children = keys.filter((k) => k !== 'vars').sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return ia >= 0 && ib >= 0 ? ia - ib : a < b ? -1 : a > b ? 1 : 0;
  });
  for (const c of children) if (isGroup(get(`${path}/${c}`))) out.push(...archiveVars(get, `${path}/${c}`, null, what));
  return out;
}

async function checkSize(path: string, maxBytes: number): Promise<number> {
  let size: number;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new ModelFileError(`${path} is a folder. Pass a .keras, .h5 or .json file (for a TensorFlow.js model, its model.json).`);
    size = s.size;
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(`Cannot read ${path}: ${(e as Error).message}.`, { cause: e });
  }
  if (size > maxBytes) {
    throw new ModelFileError(`${path} is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit of this import. Nothing was imported; raise the limit (layerloom import --max-size MB) if the file is right.`);
  }
  return size;
}

async function readKeras(path: string, bytes: number): Promise<ModelFile> {
  const name = basename(path);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(await readFile(path));
  } catch (e) {
    throw new ModelFileError(`${name} is not a readable .keras archive (${(e as Error).message}). It may be truncated: save the model again.`, { cause: e });
  }
  if (!files['config.json']) throw new ModelFileError(`${name} has no config.json: it is a zip, but not a Keras 3 .keras file.`);
  const modelConfig = configOrThrow(parseJson(new TextDecoder().decode(files['config.json']), `${name}: config.json`), `${name}: config.json`);
  const weights = files['model.weights.h5'];
  if (!weights) return { format: 'keras', path, bytes, modelConfig, weightsOf: null, close: () => undefined };
  const get = cachedGet(openH5(weights, `${name}: model.weights.h5`));
  return {
    format: 'keras',
    path,
    bytes,
    modelConfig,
    weightsOf: (layer) => damagedAs(`${name}: model.weights.h5`, () => archiveVars(get, layer.archivePath, layer.kerasClass, `${name}: layer ${layer.name}`)),
    close: () => undefined,
  };
}

function configOrThrow(json: Json, what: string): JsonObject {
  try {
    return modelConfigOf(json, what);
  } catch (e) {
    throw new ModelFileError((e as Error).message, { cause: e });
  }
}

/** Runs a read, turning a reader's low-level failure into an error naming the file (a truncated file fails deep inside). */
function damagedAs<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(`${what} cannot be read (${(e as Error).message}). It may be truncated or damaged: save it again.`, { cause: e });
  }
}

async function readH5(path: string, bytes: number): Promise<ModelFile> {
  const name = basename(path);
  const bytesRead = await readFile(path);
  return damagedAs(name, () => readH5Bytes(path, name, bytes, bytesRead));
}

function readH5Bytes(path: string, name: string, bytes: number, bytesRead: Uint8Array): ModelFile {
  const f = openH5(bytesRead, name);
  const raw = f.attrs.model_config;
  if (typeof raw !== 'string') {
    throw new ModelFileError(
      `${name} has no model_config attribute: it holds weights only (model.save_weights), not a model. Save the whole model with model.save("model.h5") or model.save("model.keras").`,
    );
  }
  const modelConfig = configOrThrow(parseJson(raw, `${name}: model_config`), `${name}: model_config`);
  const get = cachedGet(f);
  const root = f.get('model_weights');
  const weightsOf = isGroup(root)
    ? (layer: ImportedLayer): WeightArray[] => {
        const group = get(`model_weights/${layer.h5Group}`);
        if (!isGroup(group)) throw new ModelFileError(`${name}: model_weights/${layer.h5Group} is missing, so the weights do not match model_config.`);
        const names = group.attrs.weight_names;
        // Fixed-length strings (as h5py stores a numpy bytes array, e.g. Keras 2's `dense/bias:0`
        // beside `dense/kernel:0`) come back padded with NULs.
        const list = Array.isArray(names) ? names.map((n) => String(n).replace(/\0+$/, '')) : [];
        // A nested model's group holds all its layers' weights: take this layer's.
        const own = layer.h5Group === layer.name ? list : list.filter((w) => w.startsWith(`${layer.localName}/`) || w.includes(`/${layer.localName}/`));
        return own.map((w) => readDataset(get, `model_weights/${layer.h5Group}/${w}`, `${name}: model_weights/${layer.h5Group}/${w}`));
      }
    : null;
  return { format: 'h5', path, bytes, modelConfig, weightsOf: weightsOf && ((layer) => damagedAs(name, () => weightsOf(layer))), close: () => undefined };
}

async function readTfjs(path: string, bytes: number, tf: TF): Promise<ModelFile> {
  const name = basename(path);
  const json = parseJson(await readFile(path, 'utf8'), name);
  const modelConfig = configOrThrow(json, name);
  const manifest = isObject(json) && Array.isArray(json.weightsManifest) ? (json.weightsManifest as unknown as tfjs.io.WeightsManifestConfig) : null;
  if (!manifest) return { format: 'tfjs', path, bytes, modelConfig, weightsOf: null, close: () => undefined };
  const folder = dirname(path);
  const shards: Uint8Array[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      try {
        shards.push(await readFile(join(folder, p)));
      } catch (e) {
        throw new ModelFileError(`${name} lists the weight shard "${p}", but ${join(folder, p)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Copy the shards next to model.json.`, { cause: e });
      }
    }
  }
  const total = shards.reduce((n, s) => n + s.byteLength, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    all.set(s, at);
    at += s.byteLength;
  }
  const specs = manifest.flatMap((g) => g.weights);
  let named: tfjs.NamedTensorMap;
  try {
    named = tf.io.decodeWeights(all.buffer, specs);
  } catch (e) {
    throw new ModelFileError(`${name}: the weight shards do not hold what the manifest describes (${(e as Error).message}).`, { cause: e });
  }
  const arrays = new Map<string, WeightArray>();
  for (const spec of specs) {
    const t = named[spec.name];
    arrays.set(spec.name, { shape: [...t.shape], data: t.dtype === 'int32' ? Int32Array.from(t.dataSync()) : Float32Array.from(t.dataSync()) });
  }
  tf.dispose(Object.values(named));
  return {
    format: 'tfjs',
    path,
    bytes,
    modelConfig,
    weightsOf: (layer) => specs.filter((s) => s.name.startsWith(`${layer.localName}/`)).map((s) => arrays.get(s.name) as WeightArray),
    close: () => undefined,
  };
}

/** Reads a model file; `maxBytes` (default {@link MAX_MODEL_BYTES}) bounds the file size. */
export async function readModelFile(path: string, tf: TF, maxBytes = MAX_MODEL_BYTES): Promise<ModelFile> {
  const bytes = await checkSize(path, maxBytes);
  const format = await formatOf(path);
  switch (format) {
    case 'keras':
      return readKeras(path, bytes);
    case 'h5':
      return readH5(path, bytes);
    case 'tfjs':
      return readTfjs(path, bytes, tf);
    case 'json':
      return { format, path, bytes, modelConfig: configOrThrow(parseJson(await readFile(path, 'utf8'), basename(path)), basename(path)), weightsOf: null, close: () => undefined };
  }
}
