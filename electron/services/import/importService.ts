/**
 * Importing a model file as a Layerloom project: read the file (modelReaders.ts), turn its config
 * into a document (shared/import), load its weights into the compiled model (checking every shape
 * against what the config builds), and write the project with its weights as a tfjs model folder
 * `<project>.weights/` beside it. Nothing is written unless everything was read.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { compileModel } from '../../../shared/compile/compile.js';
import type { ProjectDocument } from '../../../shared/graph/document.js';
import { layerNamesFor } from '../../../shared/graph/layerNames.js';
import { weightsFolderFor } from '../../../shared/graph/projectPaths.js';
import { importKerasModel, KerasImportError } from '../../../shared/import/kerasModel.js';
import { buildSummary } from '../../../shared/analysis/summary.js';
import { analyzeGraph } from '../../../shared/analysis/analyze.js';
import { saveProjectFile } from '../projectService.js';
import { blockTypeWithRole } from '../../../shared/blocks/registry.js';
import { OPAQUE_LAYER_TYPE, opaqueOutputShape } from '../../../shared/graph/opaqueLayer.js';
import { folderSaveHandler } from '../weights/tfjsFolder.js';
import { MAX_MODEL_BYTES, MODEL_EXTENSIONS, ModelFileError, readModelFile, type ModelFormat, type WeightArray } from './modelReaders.js';

type TF = typeof tfjs;

/** A model file imported in memory: the document and, when the file had weights, a model holding them. */
export interface ImportedModel {
  readonly doc: ProjectDocument;
  readonly format: ModelFormat;
  /** The compiled model with the file's weights; null for architecture-only files (Keras JSON). */
  readonly model: tfjs.LayersModel | null;
  readonly report: ImportReport;
}

/** What an import read, for the user and for measurements. */
export interface ImportReport {
  readonly file: string;
  readonly format: ModelFormat;
  readonly bytes: number;
  readonly layers: number;
  readonly params: number;
  readonly trainable: number;
  readonly withWeights: boolean;
  /** Layers kept as opaque blocks (`allowUnsupported`): name and class, each an error until replaced. */
  readonly unsupported: readonly { readonly layer: string; readonly kerasClass: string }[];
  readonly ms: number;
}

/** Options of {@link importModelFile}. */
export interface ImportOptions {
  readonly tf: TF;
  /** Largest file accepted, in bytes (default 2 GiB). */
  readonly maxBytes?: number;
  /** Project name (default: the model's name). */
  readonly name?: string;
  /** Keep layers Layerloom cannot represent as opaque blocks (`--allow-unsupported`) instead of stopping. */
  readonly allowUnsupported?: boolean;
}

/**
 * The document the weights are loaded through: each opaque block stands in as an Input of the shape
 * the file recorded for it (same id and label, so every other layer keeps its name), and whatever
 * fed it goes to an extra Output, so every layer Layerloom can build is in the compiled model.
 */
function withoutOpaqueLayers(doc: ProjectDocument, path: string, kerasClassOf: (id: string) => string): ProjectDocument {
  const opaque = new Set(doc.nodes.filter((n) => n.type === OPAQUE_LAYER_TYPE).map((n) => n.id));
  if (!opaque.size) return doc;
  const inputType = blockTypeWithRole('input');
  const outputType = blockTypeWithRole('output');
  const nodes = doc.nodes.map((n) => {
    if (!opaque.has(n.id)) return n;
    const shape = opaqueOutputShape(n.params);
    if (!shape) {
      throw new ModelFileError(
        `${basename(path)}: layer "${n.label}" (${kerasClassOf(n.id)}) is kept as an opaque block, but the file does not record its output shape, so the weights of the layers after it cannot be loaded. Save the model as .keras with Keras 3 (its config records every shape), or replace the layer before saving.`,
      );
    }
    return { ...n, type: inputType, params: { shape: [...shape], dtype: 'float32' } };
  });
  const feeders = [...new Set(doc.edges.filter((e) => opaque.has(e.target) && !opaque.has(e.source)).map((e) => e.source))];
  const outputs = feeders.map((src, i) => ({ id: `__opaque_feed_${i}`, type: outputType, label: `opaque_feed_${i}`, params: {}, position: { x: 0, y: 0 } }));
  return {
    ...doc,
    nodes: [...nodes, ...outputs],
    edges: [...doc.edges.filter((e) => !opaque.has(e.target)), ...feeders.map((src, i) => ({ id: `__opaque_feed_edge_${i}`, source: src, sourcePort: 'out', target: outputs[i].id, targetPort: 'in' }))],
  };
}

function shapes(list: readonly { shape: readonly (number | null)[] }[]): string {
  return list.map((w) => `[${w.shape.join(', ')}]`).join(', ') || 'none';
}

/** Reads a model file into a document and, when it has weights, a compiled model holding them. */
export async function importModelFile(path: string, options: ImportOptions): Promise<ImportedModel> {
  const started = performance.now();
  const { tf } = options;
  const file = await readModelFile(path, tf, options.maxBytes ?? MAX_MODEL_BYTES);
  try {
    let imported;
    try {
      imported = importKerasModel(file.modelConfig, { ...(options.name ? { name: options.name } : {}), allowUnsupported: options.allowUnsupported === true });
    } catch (e) {
      if (e instanceof KerasImportError) throw new KerasImportError(`${basename(path)}: ${e.summary}`, e.layers);
      throw e;
    }
    let { doc } = imported;
    let model: tfjs.LayersModel | null = null;
    if (file.weightsOf) {
      const byId = new Map(imported.layers.map((l) => [l.nodeId, l]));
      // Opaque layers keep their weights in their block, exactly as the file holds them.
      const opaqueWeights = new Map(imported.layers.filter((l) => l.opaque).map((l) => [l.nodeId, (file.weightsOf as NonNullable<typeof file.weightsOf>)(l)]));
      if (opaqueWeights.size) {
        doc = {
          ...doc,
          nodes: doc.nodes.map((n) => {
            const arrays = opaqueWeights.get(n.id);
            if (!arrays) return n;
            const weights = JSON.stringify(arrays.map((a) => ({ shape: a.shape, values: Array.from(a.data, (v) => Math.fround(Number(v))) })));
            return { ...n, params: { ...n.params, weights } };
          }),
        };
      }
      const buildable = withoutOpaqueLayers(doc, path, (id) => byId.get(id)?.kerasClass ?? '?');
      // Weights need a model that builds: a block setting this version cannot run stops the import.
      const errors = analyzeGraph(buildable).diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) {
        throw new KerasImportError(
          `${basename(path)}: ${errors.length} layer(s) have settings Layerloom cannot run yet, so their weights cannot be loaded (nothing was imported):`,
          errors.map((d) => ({
            layer: byId.get(d.nodeId ?? '')?.name ?? d.nodeId ?? '?',
            kerasClass: byId.get(d.nodeId ?? '')?.kerasClass ?? '?',
            problems: [{ option: d.param ?? null, reason: `${d.code}: ${d.message}` }],
          })),
        );
      }
      const compiled = compileModel(buildable, tf);
      model = compiled.model;
      const names = layerNamesFor(buildable.nodes);
      try {
        for (const layer of imported.layers) {
          if (layer.opaque) continue;
          const tfLayer = model.getLayer(names.get(layer.nodeId) as string);
          const arrays: WeightArray[] = file.weightsOf(layer);
          const wanted = tfLayer.weights;
          const fits = arrays.length === wanted.length && arrays.every((a, i) => a.shape.join(',') === wanted[i].shape.join(','));
          if (!fits) {
            throw new ModelFileError(
              `${basename(path)}: the weights of layer "${layer.name}" (${layer.kerasClass}) have shapes ${shapes(arrays)}, but its config builds ${shapes(wanted)}. The weights do not belong to this model config.`,
            );
          }
          // Keras keeps some counters as integers (e.g. a step count) where tfjs holds float32: take tfjs's dtype.
          tfLayer.setWeights(arrays.map((a, i) => tf.tensor(wanted[i].dtype === 'int32' ? Int32Array.from(a.data) : Float32Array.from(a.data), [...a.shape], wanted[i].dtype === 'int32' ? 'int32' : 'float32')));
        }
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    const summary = buildSummary(doc);
    return {
      doc,
      format: file.format,
      model,
      report: {
        file: path,
        format: file.format,
        bytes: file.bytes,
        layers: imported.layers.length,
        params: summary.total,
        trainable: summary.trainable,
        withWeights: model !== null,
        unsupported: doc.nodes.filter((n) => n.type === OPAQUE_LAYER_TYPE).map((n) => ({ layer: n.label, kerasClass: String(n.params.keras_class) })),
        ms: Math.round(performance.now() - started),
      },
    };
  } finally {
    file.close();
  }
}

/** The weights folder of a project file: `model.layerloom` → `model.weights` beside it (the name Save As also gives). */
export function projectWeightsFolder(projectPath: string): string {
  return join(dirname(projectPath), weightsFolderFor(projectPath));
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

/**
 * Writes an imported model as a project: the weights first (to a staging folder renamed into
 * `<project>.weights/`), then the project file. Refuses to replace existing files unless `force`.
 * Returns the weights folder, or null when the model had no weights.
 */
export async function writeImportedProject(imported: ImportedModel, projectPath: string, force = false): Promise<string | null> {
  const folder = projectWeightsFolder(projectPath);
  if (!force) {
    for (const p of [projectPath, ...(imported.model ? [folder] : [])]) {
      if (await exists(p)) throw new ModelFileError(`${p} already exists. Choose another name, or pass --force to replace it.`);
    }
  }
  if (imported.model) {
    const staging = `${folder}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await imported.model.save(folderSaveHandler(staging));
    await rm(folder, { recursive: true, force: true });
    await rename(staging, folder);
  }
  // The project names its weights folder relative to itself, so the two move together.
  await saveProjectFile(projectPath, imported.model ? { ...imported.doc, initialWeights: basename(folder) } : imported.doc);
  return imported.model ? folder : null;
}

/** True for a path Open should import as a model (`.keras`, `.h5`, a JSON that is not a project). */
export function isModelPath(path: string): boolean {
  return (MODEL_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/**
 * Opens a model file as a project: imports it and writes `<name>.layerloom` with its weights folder
 * beside the model (`<name>-2.layerloom`, ... when that name is taken, so nothing is replaced).
 * Returns the project's path and document.
 */
export async function openModelAsProject(path: string, tf: TF, options: { allowUnsupported?: boolean } = {}): Promise<{ path: string; doc: ProjectDocument }> {
  const imported = await importModelFile(path, { tf, allowUnsupported: options.allowUnsupported === true });
  try {
    const base = join(dirname(path), basename(path, extname(path)));
    let projectPath = `${base}.layerloom`;
    for (let i = 2; (await exists(projectPath)) || (await exists(projectWeightsFolder(projectPath))); i++) projectPath = `${base}-${i}.layerloom`;
    const folder = await writeImportedProject(imported, projectPath);
    return { path: projectPath, doc: folder ? { ...imported.doc, initialWeights: basename(folder) } : imported.doc };
  } finally {
    imported.model?.dispose();
  }
}
