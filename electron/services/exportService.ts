/**
 * Writes an export folder: the generated Keras or TypeScript project and the model's weights
 * (trained ones from a run or a saved model, else the initial ones): `weights.npz` for Keras (arrays
 * in `model.get_weights()` order, loaded by model.py's `load_weights()`), a tfjs LayersModel folder
 * (`weights/model.json` + `weights.bin`) for TypeScript. Trained weights come with their run's
 * preprocessing.json, so the scripts prepare data exactly as that training did.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import type { Diagnostic } from '../../shared/analysis/diagnostics.js';
import { generateKerasFiles, KERAS_WEIGHTS_FILE } from '../../shared/codegen/keras/index.js';
import { planModel } from '../../shared/codegen/plan.js';
import { generateTs, TS_WEIGHTS_FOLDER } from '../../shared/codegen/typescript/index.js';
import { compileModel } from '../../shared/compile/compile.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { kerasWeightEntries } from './weights/kerasWeights.js';
import { encodeNpz } from './weights/npz.js';
import { folderSaveHandler, loadWeightsInto } from './weights/tfjsFolder.js';
import { listRuns } from './runsService.js';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';

type TF = typeof tfjs;

/** Export targets; `tfjs` is the editor API's name for `ts`. */
export type ExportTarget = 'keras' | 'ts' | 'tfjs';

/** What to export and where. */
export interface ExportOptions {
  readonly doc: ProjectDocument;
  readonly target: ExportTarget;
  /** Destination folder; created when missing. */
  readonly folder: string;
  /** The project file: its dataset path is relative to it, and its latest run gives trained weights. */
  readonly projectPath?: string | null;
  /** A saved tfjs model (folder or model.json) whose weights to export; overrides the latest run. */
  readonly weights?: string | null;
  /** Write into a folder that is not empty (files with the same names are replaced). */
  readonly force?: boolean;
  /** The tfjs namespace (any backend); `@tensorflow/tfjs` is loaded when absent. */
  readonly tf?: TF;
}

/** What was written. */
export interface ExportResult {
  readonly folder: string;
  /** Absolute paths of the files written, in writing order. */
  readonly files: readonly string[];
  /** Where the weights came from: `initial`, or the path of the run / model they were read from. */
  readonly weightsFrom: string;
  /** Notes for the user (e.g. the latest run does not fit the graph any more). */
  readonly notes: readonly string[];
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

async function checkFolder(folder: string, force: boolean): Promise<void> {
  const info = await stat(folder).catch(() => null);
  if (!info) return;
  if (!info.isDirectory()) throw new ExportError(`${folder} is a file, not a folder. Choose a folder to export into.`);
  const entries = await readdir(folder);
  if (entries.length && !force) {
    throw new ExportError(`${folder} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}). Choose an empty or new folder, or pass --force to write into it anyway.`);
  }
}

/** `path` as model.py / train.ts should name it from the export folder (forward slashes). */
function fromFolder(folder: string, target: string): string {
  const rel = relative(folder, target) || '.';
  return rel.split(sep).join('/');
}

/** The newest finished run of the project that saved a model, if any. */
async function latestRunModel(projectPath: string): Promise<string | null> {
  for (const run of await listRuns(projectPath)) {
    const model = join(run.dir, 'model');
    if (await stat(join(model, 'model.json')).then(() => true, () => false)) return model;
  }
  return null;
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
 * Exports a project. Refuses a graph with errors (listing them) and a non-empty folder unless
 * `force`. The weights written are those of `weights`, else of the project's latest run, else the
 * model's initial (random) weights.
 */
export async function exportProject(options: ExportOptions): Promise<ExportResult> {
  const { doc, target } = options;
  if (target !== 'keras' && target !== 'ts' && target !== 'tfjs') throw new ExportError(`Unknown export target "${String(target)}": use keras or ts.`);
  graphErrors(doc);
  const folder = resolve(options.folder);
  await checkFolder(folder, options.force === true);
  const tf = options.tf ?? (await import('@tensorflow/tfjs'));
  if (!options.tf) {
    await tf.ready();
    silenceCpuBanner(tf);
  }
  const notes: string[] = [];

  const { model } = compileModel(doc, tf);
  try {
    let weightsFrom = 'initial';
    let preprocessing: string | null = null;
    if (options.weights) {
      const source = resolve(options.weights);
      await loadWeightsInto(tf, model, source);
      weightsFrom = source;
      preprocessing = await runPreprocessing(source.endsWith('.json') ? dirname(source) : source);
    } else if (options.projectPath) {
      const run = await latestRunModel(options.projectPath);
      if (run) {
        try {
          await loadWeightsInto(tf, model, run);
          weightsFrom = run;
          preprocessing = await runPreprocessing(run);
        } catch (e) {
          notes.push(`The latest run (${run}) does not fit the graph any more, so the initial weights were exported: ${(e as Error).message}`);
        }
      }
    }

    const datasetPath = doc.dataset?.path ?? null;
    const projectDir = options.projectPath ? dirname(resolve(options.projectPath)) : null;
    const dataPath = datasetPath === null ? null : projectDir && !isAbsolute(datasetPath) ? fromFolder(folder, join(projectDir, datasetPath)) : datasetPath;
    const preprocessingFile = preprocessing ? PREPROCESSING_FILE : null;
    const isKeras = target === 'keras';
    const files = isKeras
      ? generateKerasFiles(doc, { dataPath, weightsFile: KERAS_WEIGHTS_FILE, preprocessingFile })
      : generateTs(doc, { dataPath, weightsFolder: TS_WEIGHTS_FOLDER, preprocessingFile });

    await mkdir(folder, { recursive: true });
    const written: string[] = [];
    for (const f of files) {
      const path = join(folder, f.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, f.content);
      written.push(path);
    }
    if (preprocessing) {
      const path = join(folder, PREPROCESSING_FILE);
      await writeFile(path, preprocessing);
      written.push(path);
    }
    if (isKeras) {
      const path = join(folder, KERAS_WEIGHTS_FILE);
      await writeFile(path, encodeNpz(kerasWeightEntries(model, planModel(doc))));
      written.push(path);
    } else {
      const dir = join(folder, TS_WEIGHTS_FOLDER);
      await model.save(folderSaveHandler(dir));
      written.push(join(dir, 'model.json'), join(dir, 'weights.bin'));
    }
    return { folder, files: written, weightsFrom, notes };
  } finally {
    model.dispose();
  }
}
