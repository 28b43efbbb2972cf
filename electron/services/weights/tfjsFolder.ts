/**
 * TensorFlow.js LayersModel files on disk (`model.json` + `weights.bin`) without tfjs-node: an
 * IOHandler that saves into a folder, and reading a saved folder's weights back by name. Works with
 * any backend, so exports and tests run where only the pure-JS `@tensorflow/tfjs` is installed.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { writeFileAtomic } from '../projectService.js';
import { quantizeWeightData, type WeightQuantization } from '../../../shared/codegen/quantize.js';

type TF = typeof tfjs;
type LayersModel = tfjs.LayersModel;

/** File name of the binary weights next to model.json. */
export const WEIGHTS_BIN = 'weights.bin';

/** Joins tfjs weight data (one buffer or several) into one ArrayBuffer. */
function joinWeightData(data: tfjs.io.WeightData): ArrayBuffer {
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out.buffer;
}

/** Sizes of the weights a {@link folderSaveHandler} wrote. */
export interface SavedWeightSizes {
  /** Bytes of the float32 weights (what an unquantized save writes). */
  readonly floatBytes: number;
  /** Bytes written to weights.bin. */
  readonly writtenBytes: number;
}

/**
 * An IOHandler for `model.save(handler)` writing `folder/model.json` and `folder/weights.bin`, in
 * the layout `tf.loadLayersModel('file://folder/model.json')` (tfjs-node) reads. With `quantize`,
 * the float32 weights are written quantized in tfjs's own manifest form (shared/codegen/quantize.ts),
 * which tfjs dequantizes when it loads them; `onSizes` hears the sizes before and after.
 */
export function folderSaveHandler(folder: string, options: { quantize?: WeightQuantization; onSizes?: (s: SavedWeightSizes) => void } = {}): tfjs.io.IOHandler {
  return {
    save: async (artifacts: tfjs.io.ModelArtifacts): Promise<tfjs.io.SaveResult> => {
      await mkdir(folder, { recursive: true });
      let weights = artifacts.weightData ? joinWeightData(artifacts.weightData) : new ArrayBuffer(0);
      let specs: tfjs.io.WeightsManifestEntry[] = artifacts.weightSpecs ?? [];
      const floatBytes = weights.byteLength;
      if (options.quantize) {
        const q = quantizeWeightData(specs, new Uint8Array(weights), options.quantize);
        specs = q.entries;
        weights = q.data.buffer as ArrayBuffer;
      }
      options.onSizes?.({ floatBytes, writtenBytes: weights.byteLength });
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
      };
      // Each file lands whole; the weights first, so a model.json on disk always has its weights.
      await writeFileAtomic(join(folder, WEIGHTS_BIN), new Uint8Array(weights));
      await writeFileAtomic(join(folder, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    },
  };
}

/** The folder of a saved tfjs model, given the folder or its model.json. */
export function modelFolder(path: string): string {
  return path.endsWith('.json') ? dirname(path) : path;
}

/**
 * Reads the weights of a saved tfjs model (`model.json` + the shards it lists) as tensors keyed by
 * weight name (`dense/kernel`). The caller disposes them.
 */
export async function readNamedWeights(tf: TF, path: string): Promise<tfjs.NamedTensorMap> {
  const folder = modelFolder(path);
  let manifest: tfjs.io.WeightsManifestConfig;
  try {
    const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as { weightsManifest?: tfjs.io.WeightsManifestConfig };
    if (!Array.isArray(json.weightsManifest)) throw new Error('it has no weightsManifest');
    manifest = json.weightsManifest;
  } catch (e) {
    throw new Error(`Cannot read weights from ${join(folder, 'model.json')}: ${(e as Error).message}. Pass the folder of a model saved by Layerloom (model.json + weights).`, { cause: e });
  }
  const specs = manifest.flatMap((g) => g.weights);
  const shards = await Promise.all(manifest.flatMap((g) => g.paths).map((p) => readFile(join(folder, p))));
  const bytes = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let at = 0;
  for (const s of shards) {
    bytes.set(s, at);
    at += s.byteLength;
  }
  return tf.io.decodeWeights(bytes.buffer, specs);
}

/**
 * Sets every weight of `model` from `named` (by the weight's original name), checking shapes.
 * Throws naming the first weight that is missing or shaped differently.
 */
export function setNamedWeights(model: LayersModel, named: tfjs.NamedTensorMap, source: string): void {
  const values = model.weights.map((w) => {
    const value = named[w.originalName];
    if (!value) throw new Error(`${source} has no weight "${w.originalName}": it was saved from a different graph. Retrain, or export without these weights.`);
    if (value.shape.join(',') !== w.shape.join(',')) {
      throw new Error(`${source}: weight "${w.originalName}" has shape [${value.shape.join(', ')}] but the model needs [${w.shape.join(', ')}]. The graph changed since it was trained.`);
    }
    return value;
  });
  model.setWeights(values);
}

/** Loads the weights saved at `path` (a folder or its model.json) into `model`. */
export async function loadWeightsInto(tf: TF, model: LayersModel, path: string): Promise<void> {
  const named = await readNamedWeights(tf, path);
  try {
    setNamedWeights(model, named, join(modelFolder(path), 'model.json'));
  } finally {
    tf.dispose(Object.values(named));
  }
}
