/**
 * Writes an export folder: the generated Keras or TypeScript project and the model's weights
 * (trained ones from a run or a saved model, else the initial ones): `weights.npz` for Keras (arrays
 * in `model.get_weights()` order, loaded by model.py's `load_weights()`), a tfjs LayersModel folder
 * (`weights/model.json` + `weights.bin`) for TypeScript. Trained weights come with their run's
 * preprocessing.json, so the scripts prepare data exactly as that training did.
 *
 * An export is all or nothing: every file is first written (and fsynced) into a staging folder
 * inside the export folder, `.layerloom-export.<pid>.<random>.tmp`; only then are the files renamed
 * into place, so an existing file is never written in place and a killed export leaves the previous
 * files as they were. `layerloom-export.json` (format version, target, files with sizes and sha256)
 * is written last: a folder without a valid one is an incomplete export ({@link inspectExport}).
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isAbsolutePath } from '../../shared/codegen/exportFile.js';
import { resolveProjectPath } from '../../shared/graph/projectPaths.js';
import type * as tfjs from '@tensorflow/tfjs';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import type { Diagnostic } from '../../shared/analysis/diagnostics.js';
import { generateKerasFiles, KERAS_WEIGHTS_FILE, TFLITE_FILE, tfliteProblem, type TfliteMode } from '../../shared/codegen/keras/index.js';
import { planTraining } from '../../shared/codegen/training.js';
import { resolveDatasetPath } from './datasetService.js';
import { runTfliteConversion, TfliteError } from './tfliteService.js';
import { planModel } from '../../shared/codegen/plan.js';
import { generateTs, TS_WEIGHTS_FOLDER } from '../../shared/codegen/typescript/index.js';
import { buildOnnxGraph, DEFAULT_OPSET, generateOnnxFiles, ONNX_MODEL_FILE, opsetProblem, type OnnxWeight } from '../../shared/codegen/onnx/index.js';
import type { ExportFile } from '../../shared/codegen/exportFile.js';
import { encodeOnnx } from './onnx/encodeOnnx.js';
import { compileModel } from '../../shared/compile/compile.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';
import { kerasWeightEntries } from './weights/kerasWeights.js';
import { encodeNpz } from './weights/npz.js';
import { folderSaveHandler, loadWeightsInto, readNamedWeights, WEIGHTS_BIN, type SavedWeightSizes } from './weights/tfjsFolder.js';
import { type QuantizationReport, type QuantizedAccuracy, type WeightQuantization } from '../../shared/codegen/quantize.js';
import type { AccuracyJob } from '../../shared/training/protocol.js';
import { measureQuantizedAccuracy } from './quantizedAccuracy.js';
import { defaultWeightPick, initialProvenance, provenanceSentence, WeightSourceError, type WeightProvenance, type WeightSource } from '../../shared/training/weightSource.js';
import { importedInitialWeights, listWeightChoices, resolveWeightSource, type ResolvedWeights } from './weightSourceService.js';
import { STALE_TEMP_AGE_MS, writeFileAtomic } from './projectService.js';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';
import { errnoOf, processAlive } from './osUtil.js';

type TF = typeof tfjs;

/** Export targets; `tfjs` is the editor API's name for `ts`. */
export type ExportTarget = 'keras' | 'ts' | 'tfjs' | 'onnx';

/** The external data file of an ONNX export (written only when the weights exceed the threshold). */
export const ONNX_EXTERNAL_DATA_FILE = `${ONNX_MODEL_FILE}.data`;

/** What to export and where. */
export interface ExportOptions {
  readonly doc: ProjectDocument;
  readonly target: ExportTarget;
  /** Destination folder; created when missing. */
  readonly folder: string;
  /** The project file: its dataset path is relative to it, and its runs give trained weights. */
  readonly projectPath?: string | null;
  /**
   * Which weights (shared/training/weightSource.ts). Default: `--run best` when the project has a
   * run that fits the graph, else the initial weights.
   */
  readonly source?: WeightSource;
  /** A runs folder to pick runs from instead of the project's `runs/`. */
  readonly runsDir?: string;
  /** Write into a folder that is not empty (files with the same names are replaced, atomically). */
  readonly force?: boolean;
  /**
   * Export the initial weights of this seed (no run is read): each layer's initializers are
   * seeded from it and the block's id, the same weights `layerloom train --seed` starts from.
   * Without it, initial weights (when no run gives trained ones) come from the project's seed.
   */
  readonly seed?: number | null;
  /** The tfjs namespace (any backend); `@tensorflow/tfjs` is loaded when absent. */
  readonly tf?: TF;
  /** ONNX opset (13–21, default 17); ONNX target only. */
  readonly opset?: number;
  /** ONNX target: weights above this many bytes in all go to model.onnx.data (default 1 GiB). */
  readonly externalDataAbove?: number;
  /**
   * TypeScript target only: write the weights quantized (tfjs's manifest form, dequantized by
   * tfjs when loaded) and measure the accuracy of the float and quantized model on the project's
   * validation split when it has a dataset.
   */
  readonly quantize?: WeightQuantization;
  /**
   * Keras target only: also write `model.tflite`, converted by the exported model.py
   * (`--tflite MODE`) in a Python child process with TensorFlow.
   */
  readonly tflite?: TfliteMode;
  /** The Python that converts to TFLite (default: LAYERLOOM_PYTHON, else python3). */
  readonly python?: string;
  /**
   * Scores the float and quantized weights somewhere else than this process (a host serving a UI
   * passes the training worker's check, `measureAccuracyInWorker`); default: here, with `tf`.
   */
  readonly measureAccuracy?: (job: AccuracyJob) => Promise<QuantizedAccuracy | null>;
}

/** What was written. */
export interface ExportResult {
  readonly folder: string;
  /** Absolute paths of the files written, in writing order; the manifest is last. */
  readonly files: readonly string[];
  /** Where the weights came from: `initial`, or the path of the model folder they were read from. */
  readonly weightsFrom: string;
  /** Which run and checkpoint (or saved model, or initial weights) the weights came from. */
  readonly provenance: WeightProvenance;
  /** Notes for the user (e.g. runs passed over because they do not fit the graph any more). */
  readonly notes: readonly string[];
  /** Sizes before → after and accuracy, when the export was quantized. */
  readonly quantization?: QuantizationReport;
  /** The TFLite file written with a Keras export's `tflite` option: its mode and size. */
  readonly tflite?: { readonly mode: TfliteMode; readonly bytes: number; readonly floatBytes: number };
}

/** A refused export; `diagnostics` are the graph's errors when that is why. */
export class ExportError extends Error {
  constructor(
    message: string,
    readonly diagnostics: readonly Diagnostic[] = [],
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

function graphErrors(doc: ProjectDocument): void {
  const analysis = analyzeGraph(doc);
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (!errors.length) return;
  const labels = new Map(doc.nodes.map((n) => [n.id, n.label]));
  const lines = errors.map((d) => `  ${d.code}${d.nodeId ? ` ${labels.get(d.nodeId) ?? d.nodeId}` : ''}: ${d.message}`);
  throw new ExportError(`The graph has ${errors.length} error${errors.length > 1 ? 's' : ''}; fix ${errors.length > 1 ? 'them' : 'it'} before exporting:\n${lines.join('\n')}`, errors);
}

/** The file that marks a complete export: written last, it lists every file with size and sha256. */
export const EXPORT_MANIFEST = 'layerloom-export.json';
const MANIFEST_FORMAT = 'layerloom-export';
const MANIFEST_VERSION = 1;
/** The staging folder of an export in progress (or killed): `.layerloom-export.<pid>.<random>.tmp`. */
const STAGING = /^\.layerloom-export\.(\d+)\.([0-9a-z]+)\.tmp$/;

/** The manifest of an export folder. */
export interface ExportManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: number;
  readonly target: 'keras' | 'ts' | 'onnx';
  readonly project: string;
  readonly weightsFrom: string;
  /** Which run and checkpoint the weights came from (absent in exports written before it was recorded). */
  readonly weights?: WeightProvenance;
  /** Every file of the export but the manifest, relative to the folder with forward slashes. */
  readonly files: readonly { readonly path: string; readonly size: number; readonly sha256: string }[];
}

/** What a folder holds: nothing, a complete export, or something else (a killed export, other files). */
export interface ExportFolderReport {
  readonly state: 'missing' | 'empty' | 'complete' | 'incomplete';
  /** What it holds, to follow the folder's name: "holds a complete Keras export of MNIST". */
  readonly detail: string;
  readonly manifest?: ExportManifest;
}

/** How messages name each target. */
const TARGET_NAMES: Readonly<Record<ExportManifest['target'], string>> = { keras: 'Keras', ts: 'TypeScript', onnx: 'ONNX' };

/** The model's weights per layer, in Keras's layout and order, for the ONNX printer. */
function onnxWeights(model: tfjs.LayersModel, layerNames: Iterable<string>): Map<string, OnnxWeight[]> {
  const out = new Map<string, OnnxWeight[]>();
  for (const name of layerNames) {
    out.set(
      name,
      model.getLayer(name).weights.map((w) => {
        const value = w.read();
        return { shape: value.shape, data: Float32Array.from(value.dataSync()) };
      }),
    );
  }
  return out;
}

function isManifest(v: unknown): v is ExportManifest {
  const m = v as Partial<ExportManifest> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.format === MANIFEST_FORMAT &&
    typeof m.version === 'number' &&
    (m.target === 'keras' || m.target === 'ts' || m.target === 'onnx') &&
    Array.isArray(m.files) &&
    (m.files as unknown[]).every((e) => {
      const f = e as Partial<Record<'path' | 'size' | 'sha256', unknown>> | null;
      return typeof f === 'object' && f !== null && typeof f.path === 'string' && typeof f.size === 'number' && typeof f.sha256 === 'string';
    })
  );
}

/**
 * Tells whether `folder` holds a complete export: its `layerloom-export.json` is valid and every
 * file it lists is there with the listed size. (The sha256 of each file is in the manifest too, to
 * check the contents: `sha256sum`.)
 */
export async function inspectExport(folder: string): Promise<ExportFolderReport> {
  const dir = resolve(folder);
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (entries === null) return { state: 'missing', detail: 'does not exist' };
  if (!entries.length) return { state: 'empty', detail: 'is empty' };
  const incomplete = (why: string): ExportFolderReport => ({ state: 'incomplete', detail: `holds no complete Layerloom export (${why})` });
  const text = await readFile(join(dir, EXPORT_MANIFEST), 'utf8').catch(() => null);
  if (text === null) return incomplete(`there is no ${EXPORT_MANIFEST}: an interrupted export, or other files`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return incomplete(`its ${EXPORT_MANIFEST} is not valid JSON`);
  }
  if (!isManifest(manifest)) return incomplete(`its ${EXPORT_MANIFEST} is not a Layerloom export manifest`);
  if (manifest.version > MANIFEST_VERSION) return incomplete(`its ${EXPORT_MANIFEST} has version ${manifest.version}, newer than this Layerloom reads (${MANIFEST_VERSION})`);
  for (const f of manifest.files) {
    const info = await stat(join(dir, f.path)).catch(() => null);
    if (!info?.isFile()) return incomplete(`${f.path} is missing`);
    if (info.size !== f.size) return incomplete(`${f.path} has ${info.size} bytes, the manifest says ${f.size}`);
  }
  return { state: 'complete', detail: `holds a complete ${TARGET_NAMES[manifest.target]} export of ${manifest.project}`, manifest };
}

async function checkFolder(folder: string, force: boolean): Promise<ExportFolderReport> {
  const info = await stat(folder).catch(() => null);
  if (info && !info.isDirectory()) throw new ExportError(`${folder} is a file, not a folder. Choose a folder to export into.`);
  const report = await inspectExport(folder).catch((e: Error) => {
    throw new ExportError(`Cannot read ${folder}: ${e.message}`);
  });
  if (report.state === 'complete' || report.state === 'incomplete') {
    // What a killed export left is ours to remove; a folder that held only that counts as empty.
    await removeStaleStaging(folder);
  }
  const entries = info ? (await readdir(folder)).length : 0;
  if (entries && !force) {
    throw new ExportError(`${folder} is not empty (${entries} entr${entries === 1 ? 'y' : 'ies'}), and it ${report.detail}. Choose an empty or new folder, or pass --force to write into it anyway.`);
  }
  return report;
}

/**
 * Creates `folder` and its missing parents one by one (Node's recursive mkdir never returns for some
 * paths, e.g. under /proc/sys), failing with the folder that could not be made and why.
 */
async function makeFolder(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let at = folder; ; at = dirname(at)) {
    const info = await stat(at).catch((e: unknown) => {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return null;
      throw new ExportError(`Cannot create the folder ${folder}: ${(e as Error).message}`);
    });
    if (info) {
      if (!info.isDirectory()) throw new ExportError(`Cannot create the folder ${folder}: ${at} is a file, not a folder. Choose another output folder.`);
      break;
    }
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const dir of missing) {
    await mkdir(dir).catch((e: unknown) => {
      const code = errnoOf(e);
      if (code === 'EEXIST') return;
      const why =
        code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EROFS'
            ? 'the file system is read-only'
            : code === 'ENOSPC'
              ? 'the disk is full'
              : code === 'ENOENT'
                ? `${dirname(dir)} does not accept new folders`
                : (e as Error).message;
      throw new ExportError(`Cannot create the folder ${dir}: ${why}. Choose an output folder you can write to.`);
    });
  }
}

/**
 * Fails, before anything is written, when a path the export needs is taken by the wrong kind of
 * entry: a file where it needs a folder (`weights` of the TypeScript export) or a folder where it
 * writes a file.
 */
async function checkPaths(folder: string, files: readonly string[]): Promise<void> {
  const folders = new Set<string>();
  for (const f of files) for (let d = dirname(f); d !== '.'; d = dirname(d)) folders.add(d);
  for (const d of folders) {
    const info = await lstat(join(folder, d)).catch(() => null);
    if (info && !info.isDirectory()) throw new ExportError(`${join(folder, d)} is a file, but the export needs a folder there. Move or delete it, or choose another output folder.`);
  }
  for (const f of files) {
    const info = await lstat(join(folder, f)).catch(() => null);
    if (info?.isDirectory()) throw new ExportError(`${join(folder, f)} is a folder, but the export writes a file there. Move or delete it, or choose another output folder.`);
  }
}

/** Removes staging folders of killed exports: their process is dead, or they are over 10 minutes old. */
async function removeStaleStaging(folder: string): Promise<void> {
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const m = STAGING.exec(name);
    if (!m) continue;
    const info = await lstat(join(folder, name)).catch(() => null);
    if (!info?.isDirectory()) continue;
    if (processAlive(Number(m[1])) && Date.now() - info.mtimeMs < STALE_TEMP_AGE_MS) continue;
    await rm(join(folder, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Writes a new file and fsyncs it. */
async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/** How a note names what an export replaced. */
function replacedNote(folder: string, report: ExportFolderReport): string | null {
  if (report.state === 'complete') return `${folder} ${report.detail}; it was replaced.`;
  if (report.state === 'incomplete') return `${folder} ${report.detail}; files named like this export's were replaced, the others kept.`;
  return null;
}

/** `path` as model.py / train.ts should name it from the export folder (forward slashes). */
function fromFolder(folder: string, target: string): string {
  const rel = relative(folder, target) || '.';
  return rel.split(sep).join('/');
}

/**
 * The preprocessing.json of the run a trained model comes from (its classes, CSV scaling or
 * vocabulary), looked for beside the model folder and inside it; null when there is none.
 */
async function runPreprocessing(modelDir: string): Promise<string | null> {
  for (const file of [join(dirname(modelDir), 'preprocessing.json'), join(modelDir, 'preprocessing.json')]) {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) continue;
    try {
      const json = JSON.parse(text) as { kind?: unknown };
      if (typeof json.kind === 'string') return text;
    } catch {
      // Not ours: ignore it.
    }
  }
  return null;
}

/** File name of the shipped preprocessing in an export folder. */
export const PREPROCESSING_FILE = 'preprocessing.json';

/**
 * Sizes of a quantized export and the accuracy it costs: the staged weights are read back through
 * tfjs's own decoder (as any tfjs app will read them) and scored against the float model. A dataset
 * that cannot be read is a note, not a failed export.
 */
async function quantizationReport(
  quantize: WeightQuantization,
  sizes: SavedWeightSizes,
  weightsDir: string,
  ctx: { tf: TF; doc: ProjectDocument; projectPath: string | null; runDir: string | null; model: tfjs.LayersModel; modelDir: string | null; seed: number; measure?: (job: AccuracyJob) => Promise<QuantizedAccuracy | null> },
): Promise<QuantizationReport> {
  const base = { quantize, floatBytes: sizes.floatBytes, quantizedBytes: sizes.writtenBytes };
  if (!ctx.doc.dataset?.path) return { ...base, accuracy: null, accuracyNote: 'the project has no dataset' };
  const noAccuracy = { ...base, accuracy: null, accuracyNote: 'the dataset has a numeric target' };
  if (ctx.measure) {
    try {
      const accuracy = await ctx.measure({ doc: ctx.doc, projectPath: ctx.projectPath, runDir: ctx.runDir, modelDir: ctx.modelDir, seed: ctx.seed, quantizedDir: weightsDir, source: `the ${quantize} weights` });
      return accuracy ? { ...base, accuracy } : noAccuracy;
    } catch (e) {
      return { ...base, accuracy: null, accuracyNote: `the accuracy could not be measured: ${(e as Error).message}` };
    }
  }
  const quantized = await readNamedWeights(ctx.tf, weightsDir);
  try {
    const accuracy = await measureQuantizedAccuracy(ctx.tf, { ...ctx, quantized, source: `the ${quantize} weights` });
    return accuracy ? { ...base, accuracy } : noAccuracy;
  } catch (e) {
    return { ...base, accuracy: null, accuracyNote: `the dataset could not be read: ${(e as Error).message}` };
  } finally {
    ctx.tf.dispose(Object.values(quantized));
  }
}

/**
 * Exports a project. Refuses a graph with errors (listing them) and a non-empty folder unless
 * `force` (a folder holding only what a killed export left counts as empty). The weights written are
 * those of `source` (or the initial weights of `seed`), else of the project's best run that fits the
 * graph, else the initial weights of the project's seed (bit-identical for the same seed); the README
 * and the manifest say which run and checkpoint they came from.
 */
export async function exportProject(options: ExportOptions): Promise<ExportResult> {
  const { doc, target } = options;
  if (target !== 'keras' && target !== 'ts' && target !== 'tfjs' && target !== 'onnx') throw new ExportError(`Unknown export target "${String(target)}": use keras, ts or onnx.`);
  const opset = options.opset ?? DEFAULT_OPSET;
  const badOpset = target === 'onnx' ? opsetProblem(opset) : null;
  if (badOpset) throw new ExportError(badOpset);
  if (options.quantize !== undefined && options.quantize !== 'float16' && options.quantize !== 'uint8') throw new ExportError(`Unknown quantization "${String(options.quantize)}": use float16 or uint8.`);
  if (options.quantize && (target === 'keras' || target === 'onnx')) throw new ExportError(`--quantize ${options.quantize} applies to the TypeScript export (--to ts); the ${target === 'keras' ? 'Keras' : 'ONNX'} export ships float32 weights.`);
  if (options.tflite !== undefined && target !== 'keras') throw new ExportError(`--tflite ${String(options.tflite)} applies to the Keras export (--to keras): its model.py does the conversion.`);
  if (options.tflite !== undefined && !['dynamic', 'float16', 'int8'].includes(options.tflite)) throw new ExportError(`Unknown TFLite mode "${String(options.tflite)}": use dynamic, float16 or int8.`);
  graphErrors(doc);
  if (options.tflite) {
    // Refused before anything is written: the converter would crash or have nothing to calibrate on.
    const plan = planModel(doc);
    const why = tfliteProblem(plan, planTraining(doc, plan), options.tflite);
    if (why) throw new ExportError(why);
  }
  const folder = resolve(options.folder);
  const previous = await checkFolder(folder, options.force === true);
  const tf = options.tf ?? (await import('@tensorflow/tfjs'));
  if (!options.tf) {
    await tf.ready();
    silenceCpuBanner(tf);
  }
  const notes: string[] = [];

  if (typeof options.seed === 'number' && options.source && options.source.kind !== 'initial') throw new ExportError('Give either a seed (initial weights) or weights to export, not both.');
  // `seed` is the grammar's `--seed`: the initial weights of that seed, whatever runs the project has.
  const source: WeightSource | undefined = typeof options.seed === 'number' ? { kind: 'initial', seed: options.seed } : options.source;
  const seed = (source?.kind === 'initial' ? source.seed : undefined) ?? doc.training?.seed ?? DEFAULT_TRAINING.seed;
  const { model } = compileModel(doc, tf, { seed });
  try {
    const ctx = { doc, projectPath: options.projectPath ?? null, tf, ...(options.runsDir ? { runsDir: options.runsDir } : {}) };
    let resolved: ResolvedWeights;
    try {
      if (source) resolved = await resolveWeightSource(source, ctx);
      else {
        // No source named: the best run when one fits, else the initial weights (saying why); as the dialog.
        // An unsaved project's runs are not told apart from other unsaved projects' here, so none is picked.
        const choices = options.projectPath || options.runsDir ? await listWeightChoices(ctx) : { runs: [], best: null, latest: null };
        const pick = defaultWeightPick(choices);
        const notUsed = choices.runs.map((r) => `Run ${r.id} was not used: ${r.why ?? 'it recorded no score'}.`);
        const imported = pick ? null : importedInitialWeights(ctx);
        resolved = pick
          ? await resolveWeightSource({ kind: 'run', ...pick }, ctx)
          : imported
            ? { ...imported, notes: notUsed }
            : { modelDir: null, runDir: null, provenance: initialProvenance(seed), notes: notUsed };
        if (pick) resolved = { ...resolved, notes: [...resolved.notes, ...choices.runs.filter((r) => !r.usable).map((r) => `Run ${r.id} was not considered: ${r.why ?? 'unknown'}.`)] };
      }
    } catch (e) {
      if (e instanceof WeightSourceError) throw new ExportError(e.message);
      throw e;
    }
    notes.push(...resolved.notes);
    // Initial weights always name the seed they were drawn with.
    const provenance = resolved.modelDir ? resolved.provenance : initialProvenance(seed);
    let weightsFrom = 'initial';
    let preprocessing: string | null = null;
    if (resolved.modelDir) {
      try {
        await loadWeightsInto(tf, model, resolved.modelDir);
      } catch (e) {
        throw new ExportError(`The weights of ${provenance.label} cannot be used: ${(e as Error).message}`);
      }
      weightsFrom = resolved.modelDir;
      preprocessing = await runPreprocessing(resolved.runDir ?? resolved.modelDir);
    }

    const datasetPath = doc.dataset?.path ?? null;
    const projectDir = options.projectPath ? dirname(resolve(options.projectPath)) : null;
    // The dataset as the exported scripts should find it from the export folder (one rule: shared/graph/projectPaths.ts).
    const dataPath = datasetPath === null || isAbsolutePath(datasetPath) || !projectDir ? datasetPath : fromFolder(folder, resolveProjectPath(datasetPath, resolve(options.projectPath ?? '')));
    const preprocessingFile = preprocessing ? PREPROCESSING_FILE : null;
    const isKeras = target === 'keras';
    const isOnnx = target === 'onnx';
    let onnx: { model: Uint8Array; externalData: Uint8Array | null } | null = null;
    let files: readonly ExportFile[];
    if (isOnnx) {
      const plan = planModel(doc);
      let graph;
      try {
        graph = buildOnnxGraph(plan, onnxWeights(model, plan.layerNames.values()), opset);
      } catch (e) {
        throw new ExportError(`Cannot export ${doc.name} to ONNX: ${(e as Error).message}`);
      }
      onnx = encodeOnnx(graph, { externalDataAbove: options.externalDataAbove, externalFile: ONNX_EXTERNAL_DATA_FILE });
      files = generateOnnxFiles(doc, graph, onnx.externalData ? ONNX_EXTERNAL_DATA_FILE : null, provenanceSentence(provenance));
    } else {
      files = isKeras
        ? generateKerasFiles(doc, { dataPath, weightsFile: KERAS_WEIGHTS_FILE, preprocessingFile, weightsNote: provenanceSentence(provenance), ...(options.tflite ? { tflite: options.tflite } : {}) })
        : generateTs(doc, { dataPath, weightsFolder: TS_WEIGHTS_FOLDER, preprocessingFile, weightsNote: provenanceSentence(provenance) });
    }

    const rels = files.map((f) => f.path);
    if (preprocessing) rels.push(PREPROCESSING_FILE);
    if (onnx) rels.push(ONNX_MODEL_FILE, ...(onnx.externalData ? [ONNX_EXTERNAL_DATA_FILE] : []));
    else rels.push(...(isKeras ? [KERAS_WEIGHTS_FILE, ...(options.tflite ? [TFLITE_FILE] : [])] : [`${TS_WEIGHTS_FOLDER}/model.json`, `${TS_WEIGHTS_FOLDER}/${WEIGHTS_BIN}`]));
    await checkPaths(folder, rels);
    await makeFolder(folder);

    // 1. Everything into the staging folder: a kill here leaves the folder as it was.
    const staging = join(folder, `.layerloom-export.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fail = (e: unknown): never => {
      if (e instanceof ExportError) throw e;
      throw new ExportError(`Cannot write the export into ${folder}: ${(e as Error).message}`);
    };
    const written: string[] = [];
    let quantization: QuantizationReport | undefined;
    let tflite: ExportResult['tflite'];
    const manifestFiles: { path: string; size: number; sha256: string }[] = [];
    try {
      await mkdir(staging);
      const stage = async (rel: string, data: string | Uint8Array): Promise<void> => {
        await writeSynced(join(staging, rel), data);
        manifestFiles.push({ path: rel, size: Buffer.byteLength(data), sha256: createHash('sha256').update(data).digest('hex') });
      };
      for (const f of files) await stage(f.path, f.content);
      if (preprocessing) await stage(PREPROCESSING_FILE, preprocessing);
      if (onnx) {
        if (onnx.externalData) await stage(ONNX_EXTERNAL_DATA_FILE, onnx.externalData);
        await stage(ONNX_MODEL_FILE, onnx.model);
      } else if (isKeras) {
        const npz = encodeNpz(kerasWeightEntries(model, planModel(doc)));
        await stage(KERAS_WEIGHTS_FILE, npz);
        if (options.tflite) {
          // model.py converts what it ships (its build_model() and weights.npz), from the staging folder.
          const data = options.tflite === 'int8' && datasetPath !== null ? resolveDatasetPath(datasetPath, options.projectPath ?? null) : null;
          try {
            await runTfliteConversion({ folder: staging, mode: options.tflite, output: join(staging, TFLITE_FILE), data, ...(options.python ? { python: options.python } : {}) });
          } catch (e) {
            if (e instanceof TfliteError) throw new ExportError(e.message);
            throw e;
          }
          const content = await readFile(join(staging, TFLITE_FILE));
          manifestFiles.push({ path: TFLITE_FILE, size: content.byteLength, sha256: createHash('sha256').update(content).digest('hex') });
          tflite = { mode: options.tflite, bytes: content.byteLength, floatBytes: 4 * model.countParams() };
        }
      } else {
        let sizes: SavedWeightSizes | null = null;
        await model.save(folderSaveHandler(join(staging, TS_WEIGHTS_FOLDER), { ...(options.quantize ? { quantize: options.quantize } : {}), onSizes: (s) => (sizes = s) }));
        if (options.quantize && sizes) {
          quantization = await quantizationReport(options.quantize, sizes, join(staging, TS_WEIGHTS_FOLDER), { tf, doc, projectPath: options.projectPath ?? null, runDir: resolved.runDir ?? null, model, modelDir: resolved.modelDir, seed, ...(options.measureAccuracy ? { measure: options.measureAccuracy } : {}) });
        }
        for (const name of ['model.json', WEIGHTS_BIN]) {
          const rel = `${TS_WEIGHTS_FOLDER}/${name}`;
          await syncFile(join(staging, rel));
          const data = await readFile(join(staging, rel));
          manifestFiles.push({ path: rel, size: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') });
        }
      }

      // 2. Into place: the old manifest goes first, so an interruption from here on reads as incomplete.
      await unlink(join(folder, EXPORT_MANIFEST)).catch((e: unknown) => {
        if (errnoOf(e) !== 'ENOENT') throw e;
      });
      await syncFolder(folder);
      const touched = new Set<string>([folder]);
      for (const { path: rel } of manifestFiles) {
        const target = join(folder, rel);
        await mkdir(dirname(target), { recursive: true });
        await rename(join(staging, rel), target);
        touched.add(dirname(target));
        written.push(target);
      }
      for (const d of touched) await syncFolder(d);

      // 3. The manifest, last.
      const manifest: ExportManifest = { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, target: isOnnx ? 'onnx' : isKeras ? 'keras' : 'ts', project: doc.name, weightsFrom, weights: provenance, files: manifestFiles };
      await writeFileAtomic(join(folder, EXPORT_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
      written.push(join(folder, EXPORT_MANIFEST));
    } catch (e) {
      fail(e);
    } finally {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
    const note = replacedNote(folder, previous);
    if (note) notes.unshift(note);
    return { folder, files: written, weightsFrom, provenance, notes, ...(quantization ? { quantization } : {}), ...(tflite ? { tflite } : {}) };
  } finally {
    model.dispose();
  }
}
