/**
 * Explaining a trained model on one input, headless: loads the weights a weight source names
 * (a run's checkpoint or a saved model folder), prepares an input file exactly as training
 * prepared the dataset (the same image decoding and scale, the run's vocabulary for text), and
 * computes and writes Grad-CAM, saliency or per-block activations (shared/explain) as PNG files
 * (sharp encodes them). The CLI (`layerloom explain`) and the training worker call it.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type * as tfjs from '@tensorflow/tfjs';
import { compileModel } from '../../shared/compile/compile.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { IMAGE_SCALE } from '../../shared/training/dataset.js';
import { encodeTokens, tokenize, vocabularyIndex } from '../../shared/training/tokenizer.js';
import type { WeightProvenance, WeightSource } from '../../shared/training/weightSource.js';
import { activations, attentionMaps, ExplainError, firstConvFilters, gradCam, predictSample, saliency, tokenAttribution, weightSummaries, type BlockActivation } from '../../shared/explain/explain.js';
import { decodeImage, decodeImageBytes, isImageFile, mapLimit, thumbnail, type ImageTarget } from './datasets/images.js';
import { resolveDatasetPath } from './datasetService.js';
import { PREDICTIONS_FILE, type CellSample, type CellSamples, type RunPredictions } from '../../shared/explain/gallery.js';
import { EXPLAIN_VALUE_LIMIT, type ExplainRequest, type ExplainResult, type ExplainSample, type ExplainUpload } from '../../shared/explain/protocol.js';
import type { Preprocessing } from './datasets/pipeline.js';
import { loadWeightsInto, WEIGHTS_BIN } from './weights/tfjsFolder.js';
import type { ExplainModelCache } from './explainModelCache.js';
import { resolveWeightSource } from './weightSourceService.js';

type TF = typeof tfjs;

/** A model with trained weights, ready to explain. */
export interface ExplainModel {
  readonly model: tfjs.LayersModel;
  /** Layer name → block id (the canvas's node). */
  readonly blockOf: ReadonlyMap<string, string>;
  /** How the run prepared its data, when known (its preprocessing.json). */
  readonly preprocessing: Preprocessing | null;
  readonly provenance: WeightProvenance;
  readonly notes: readonly string[];
}

async function readPreprocessing(dirs: readonly string[]): Promise<Preprocessing | null> {
  for (const dir of dirs) {
    const text = await readFile(join(dir, 'preprocessing.json'), 'utf8').catch(() => null);
    if (text === null) continue;
    try {
      const json = JSON.parse(text) as Preprocessing;
      if (typeof json.kind === 'string') return json;
    } catch {
      // Not a preprocessing file of ours: look further.
    }
  }
  return null;
}

/**
 * Compiles the project's graph and loads the weights `source` names into it. The initial weights
 * (a seed) are refused: there is nothing trained to explain.
 */
export async function loadExplainModel(
  tf: TF,
  options: { doc: ProjectDocument; projectPath: string | null; source: WeightSource; runsDir?: string },
  cache?: ExplainModelCache,
): Promise<ExplainModel> {
  if (options.source.kind === 'initial') throw new ExplainError('Explaining needs trained weights: name a run (--run best|latest|ID) or a saved model (--weights DIR), not a seed.');
  const resolved = await resolveWeightSource(options.source, { doc: options.doc, projectPath: options.projectPath, tf, ...(options.runsDir ? { runsDir: options.runsDir } : {}) });
  const modelDir = resolved.modelDir;
  if (!modelDir) throw new ExplainError('Explaining needs trained weights, and the weight source gave none.');
  const load = async (): Promise<ExplainModel> => {
    const compiled = compileModel(options.doc, tf);
    try {
      await loadWeightsInto(tf, compiled.model, modelDir);
    } catch (e) {
      compiled.model.dispose();
      throw new ExplainError((e as Error).message);
    }
    const blockOf = new Map<string, string>();
    for (const [node, layer] of compiled.layerNames) blockOf.set(layer, node);
    const dirs = [...(resolved.runDir ? [resolved.runDir] : []), dirname(modelDir), modelDir];
    return { model: compiled.model, blockOf, preprocessing: await readPreprocessing(dirs), provenance: resolved.provenance, notes: resolved.notes };
  };
  if (!cache) return load();
  // The same graph (moving a block on the canvas does not count) and the same weight files (a
  // resumed run rewrites them: their times change).
  const times = await Promise.all(['model.json', WEIGHTS_BIN].map((f) => stat(join(modelDir, f)).then((s) => s.mtimeMs, () => 0)));
  const graph = { nodes: options.doc.nodes.map(({ id, type, label, params }) => ({ id, type, label, params })), edges: options.doc.edges, initialWeights: options.doc.initialWeights ?? null };
  return cache.get(JSON.stringify([graph, modelDir, times]), load);
}

/** One input prepared for the model, and the image a person sees (for overlays). */
export interface PreparedInput {
  /** One sample with the batch axis (1, …). The caller disposes it. */
  readonly x: tfjs.Tensor;
  /** The decoded image at the model's size, 0–255, interleaved channels (images only). */
  readonly image: { readonly width: number; readonly height: number; readonly channels: 1 | 3 | 4; readonly pixels: Uint8Array } | null;
  /** Text: the tokens in model order (padded positions are ''). */
  readonly tokens: readonly string[] | null;
}

function imageTargetOf(shape: readonly (number | null)[]): ImageTarget | null {
  if (shape.length === 2 && shape[0] !== null && shape[1] !== null) return { height: shape[0], width: shape[1], channels: 1 };
  if (shape.length !== 3 || shape.some((d) => d === null)) return null;
  const c = shape[2];
  return c === 1 || c === 3 || c === 4 ? { height: shape[0] as number, width: shape[1] as number, channels: c } : null;
}

/** Prepares decoded image values (0–255) for the model: the run's scale, as training did. */
function preparedImage(tf: TF, model: ExplainModel, decoded: Uint8Array | Float32Array, target: ImageTarget): PreparedInput {
  const shape = model.model.inputs[0].shape.slice(1) as number[];
  const scale = model.preprocessing?.kind === 'images' ? model.preprocessing.scale : IMAGE_SCALE;
  const values = Float32Array.from(decoded, (v) => v * scale);
  const pixels = Uint8Array.from(decoded, (v) => Math.max(0, Math.min(255, Math.round(v))));
  return { x: tf.tensor(values, [1, ...shape], 'float32'), image: { width: target.width, height: target.height, channels: target.channels, pixels }, tokens: null };
}

function imageTargetFor(model: ExplainModel, what: string): ImageTarget {
  const shape = model.model.inputs[0].shape.slice(1);
  const target = imageTargetOf(shape);
  if (!target) throw new ExplainError(`${what} is an image, but the model's Input is (${shape.map((d) => d ?? 'None').join(', ')}), not (height, width, channels).`);
  return target;
}

/**
 * Prepares text as training prepared its dataset: tokenized as the dataset was (lower case, no
 * punctuation), encoded with the run's vocabulary (id 0 pads, 1 is an unknown word, the
 * vocabulary's words from 2), padded or cut to its sequence length.
 */
export function prepareText(tf: TF, model: ExplainModel, text: string): PreparedInput {
  const pre = model.preprocessing;
  if (pre?.kind !== 'text') {
    throw new ExplainError(
      pre ? 'This model was trained on images, not text: give it an image.' : 'The weights have no preprocessing.json (a text vocabulary) beside them, so text cannot be encoded for this model. Train it in Layerloom on a text dataset.',
    );
  }
  const input = model.model.inputs[0];
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ExplainError('The text has no words to explain (punctuation and spaces are dropped, as in training). Type a sentence.');
  const ids = new Int32Array(pre.sequenceLength);
  encodeTokens(tokens, vocabularyIndex({ tokens: pre.vocabulary, maxTokens: pre.maxTokens, sequenceLength: pre.sequenceLength }), pre.sequenceLength, ids);
  const shown = Array.from({ length: pre.sequenceLength }, (_, i) => (ids[i] === 0 ? '' : (tokens[i] ?? '')));
  return { x: tf.tensor(ids, [1, pre.sequenceLength], input.dtype === 'int32' ? 'int32' : 'float32'), image: null, tokens: shown };
}

/**
 * Prepares an input file as training prepared its dataset: an image is decoded, resized to the
 * Input block's size (half-pixel bilinear, as tf.image.resize) and scaled to 0–1; a text file is
 * tokenized and encoded with the run's vocabulary, padded or cut to its sequence length.
 */
export async function prepareInputFile(tf: TF, model: ExplainModel, file: string): Promise<PreparedInput> {
  if (isImageFile(file)) {
    const target = imageTargetFor(model, file);
    let decoded: Uint8Array | Float32Array;
    try {
      decoded = await decodeImage(file, target);
    } catch (e) {
      throw new ExplainError(`${file} cannot be read as an image: ${(e as Error).message}`);
    }
    return preparedImage(tf, model, decoded, target);
  }
  const pre = model.preprocessing;
  if (pre?.kind === 'text') return prepareText(tf, model, await readFile(file, 'utf8'));
  throw new ExplainError(
    `${file} is not an image (png, jpg, bmp, …)${pre ? '' : ', and the weights have no preprocessing.json (a text vocabulary) beside them'}. Give an image for an image model, or a .txt file for a text model trained in Layerloom.`,
  );
}

/**
 * Prepares a file dropped into the Explain view: decoded from its bytes exactly as a dataset file
 * (an image for an image model, UTF-8 text for a text model).
 */
export async function prepareUpload(tf: TF, model: ExplainModel, upload: ExplainUpload): Promise<PreparedInput> {
  const match = /^data:([^;,]*)(;base64)?,/.exec(upload.dataUrl);
  if (!match) throw new ExplainError(`${upload.name} did not arrive as a file (no data URL). Drop the file again.`);
  const body = upload.dataUrl.slice(match[0].length);
  const bytes = match[2] ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
  if (model.preprocessing?.kind === 'text') {
    if (isImageFile(upload.name) || match[1].startsWith('image/')) throw new ExplainError(`${upload.name} is an image, but this is a text model: drop a .txt file or type the text.`);
    return prepareText(tf, model, bytes.toString('utf8'));
  }
  const target = imageTargetFor(model, upload.name);
  try {
    return preparedImage(tf, model, await decodeImageBytes(bytes, /\.bmp$/i.test(upload.name) || match[1] === 'image/bmp', target), target);
  } catch (e) {
    throw new ExplainError(`${upload.name} cannot be read as an image (${(e as Error).message}). Drop a PNG, JPEG, WebP, GIF or BMP file.`);
  }
}

/** A colour map from 0 (dark blue) through green and yellow to 1 (red), as RGB bytes. */
function heatColour(v: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, v));
  const r = Math.max(0, Math.min(1, 1.5 - Math.abs(4 * t - 3)));
  const g = Math.max(0, Math.min(1, 1.5 - Math.abs(4 * t - 2)));
  const b = Math.max(0, Math.min(1, 1.5 - Math.abs(4 * t - 1)));
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/** A greyscale PNG of values 0–1 (0–255). */
export function greyPng(values: ArrayLike<number>, width: number, height: number): Promise<Buffer> {
  const bytes = Buffer.alloc(width * height);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(values[i] * 255)));
  return sharp(bytes, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

/**
 * The heat map (0–1) blended over the input image as an RGB PNG, enlarged (nearest neighbour) so
 * that its longer side is at least 224 pixels: a 28 × 28 digit is readable.
 */
export function overlayPng(heat: ArrayLike<number>, image: NonNullable<PreparedInput['image']>, alpha = 0.5): Promise<Buffer> {
  const { width, height, channels, pixels } = image;
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const grey = channels === 1 ? pixels[i] : 0;
    const base = channels === 1 ? [grey, grey, grey] : [pixels[i * channels], pixels[i * channels + 1], pixels[i * channels + 2]];
    const c = heatColour(heat[i]);
    for (let k = 0; k < 3; k++) rgb[i * 3 + k] = Math.round((1 - alpha) * base[k] + alpha * c[k]);
  }
  const factor = Math.max(1, Math.ceil(224 / Math.max(width, height)));
  return sharp(rgb, { raw: { width, height, channels: 3 } }).resize(width * factor, height * factor, { kernel: 'nearest' }).png().toBuffer();
}

/**
 * An image of one block's output: a grid of feature maps (one tile per channel) for (h, w, c),
 * a time × units heat map for (t, units), a bar strip for (units); values scaled from the block's
 * min to its max.
 */
export function activationPng(a: BlockActivation): Promise<Buffer> {
  const { min, max } = a.stats;
  const span = max > min ? max - min : 1;
  const norm = (v: number) => (v - min) / span;
  let width: number;
  let height: number;
  let grey: Float32Array;
  if (a.shape.length === 3) {
    const [h, w, c] = a.shape;
    const cols = Math.ceil(Math.sqrt(c));
    const rows = Math.ceil(c / cols);
    width = cols * (w + 1) - 1;
    height = rows * (h + 1) - 1;
    grey = new Float32Array(width * height);
    for (let k = 0; k < c; k++) {
      const ox = (k % cols) * (w + 1);
      const oy = Math.floor(k / cols) * (h + 1);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) grey[(oy + y) * width + ox + x] = norm(a.values[(y * w + x) * c + k]);
    }
  } else if (a.shape.length === 2) {
    [height, width] = a.shape;
    grey = Float32Array.from(a.values, norm);
  } else {
    width = a.values.length;
    height = 8;
    grey = new Float32Array(width * height);
    for (let x = 0; x < width; x++) for (let y = 0; y < height; y++) grey[y * width + x] = norm(a.values[x]);
  }
  const factor = Math.max(1, Math.min(8, Math.floor(512 / Math.max(width, height))));
  return greyPng(grey, width, height).then((png) => sharp(png).resize(width * factor, height * factor, { kernel: 'nearest' }).png().toBuffer());
}

/** The layer name of a block given by its layer name or its block id. */
function layerNameOf(model: ExplainModel, name: string): string {
  if (model.blockOf.has(name)) return name;
  for (const [layer, node] of model.blockOf) if (node === name) return layer;
  return name;
}

/** What {@link explainToFolder} computes. */
export type ExplainMethod = 'gradcam' | 'saliency' | 'activations';

/** What {@link explainToFolder} wrote and found. */
export interface ExplainOutcome {
  readonly files: readonly string[];
  readonly predicted: number;
  readonly classIndex: number | null;
  readonly className: string | null;
  readonly probabilities: readonly number[];
  /** Grad-CAM: the layer explained. */
  readonly layer: string | null;
  /** Text models: per-token attribution (gradient × embedding). */
  readonly tokens?: readonly { token: string; score: number }[];
}

/**
 * Computes `method` for one prepared input and writes the files into `out`: heatmap.png (grey,
 * the input's width × height, 0–255 = importance) and overlay.png for gradcam and saliency; one PNG
 * per block plus activations.json (shape, min, max, mean, dead ReLU share) for activations. A text
 * model's attribution is written as attribution.json.
 */
export async function explainToFolder(
  tf: TF,
  model: ExplainModel,
  input: PreparedInput,
  options: { method: ExplainMethod; out: string; layer?: string; classIndex?: number },
): Promise<ExplainOutcome> {
  await mkdir(options.out, { recursive: true });
  const { probabilities, predicted } = predictSample(tf, model.model, input.x);
  const classes = model.preprocessing && 'classes' in model.preprocessing ? model.preprocessing.classes : [];
  const units = probabilities.length;
  if (options.classIndex !== undefined && (options.classIndex < 0 || options.classIndex >= Math.max(units, 2))) {
    throw new ExplainError(`--class ${options.classIndex}: the model has ${Math.max(units, 2)} classes (0–${Math.max(units, 2) - 1}).`);
  }
  const files: string[] = [];
  const write = async (name: string, data: Buffer | string) => {
    const path = join(options.out, name);
    await writeFile(path, data);
    files.push(path);
  };
  const classIndex = options.method === 'activations' ? null : (options.classIndex ?? predicted);
  let layer: string | null = null;
  let tokens: { token: string; score: number }[] | undefined;
  if (options.method === 'activations') {
    const acts = activations(tf, model.model, input.x);
    const summary = [];
    for (const [i, a] of acts.entries()) {
      const file = `${String(i + 1).padStart(2, '0')}-${a.layer}.png`;
      await write(file, await activationPng(a));
      summary.push({ layer: a.layer, block: model.blockOf.get(a.layer) ?? null, kind: a.kind, shape: a.shape, min: a.stats.min, max: a.stats.max, mean: a.stats.mean, deadShare: a.stats.deadShare, image: file });
    }
    await write('activations.json', `${JSON.stringify({ predicted, probabilities: Array.from(probabilities), blocks: summary }, null, 2)}\n`);
  } else if (input.tokens) {
    const attribution = tokenAttribution(tf, model.model, input.x, { ...(classIndex !== null ? { classIndex } : {}) });
    layer = attribution.layer;
    tokens = input.tokens.map((token, i) => ({ token, score: attribution.scores[i] })).filter((t) => t.token !== '');
    await write('attribution.json', `${JSON.stringify({ method: 'gradient × embedding', classIndex, layer, tokens }, null, 2)}\n`);
  } else {
    if (!input.image) throw new ExplainError('Grad-CAM and saliency overlay an image; this input is not one.');
    const result =
      options.method === 'gradcam'
        ? gradCam(tf, model.model, input.x, { ...(options.layer ? { layer: layerNameOf(model, options.layer) } : {}), ...(classIndex !== null ? { classIndex } : {}) })
        : saliency(tf, model.model, input.x, { ...(classIndex !== null ? { classIndex } : {}) });
    if ('layer' in result) layer = result.layer;
    const [h, w] = result.heatmapShape;
    await write('heatmap.png', await greyPng(result.heatmap, w, h));
    await write('overlay.png', await overlayPng(result.heatmap, input.image));
  }
  return {
    files,
    predicted,
    classIndex,
    className: classIndex !== null ? (classes[classIndex] ?? null) : null,
    probabilities: Array.from(probabilities),
    layer,
    ...(tokens ? { tokens } : {}),
  };
}

/**
 * A few samples per class of the project's dataset, for the Explain view: images with thumbnails,
 * or text files with the start of their text.
 */
export async function explainSamples(doc: ProjectDocument, projectPath: string | null, perClass = 4): Promise<ExplainSample[]> {
  if (!doc.dataset?.path) throw new ExplainError('The project has no dataset. Choose a dataset folder in the Dataset panel to pick samples from it.');
  const root = resolveDatasetPath(doc.dataset.path, projectPath);
  let classes: string[];
  try {
    classes = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  } catch (e) {
    throw new ExplainError(`Cannot list the dataset folder ${root}: ${(e as Error).message}. Explaining shows samples of a folder with one sub-folder per class.`);
  }
  const picked: { path: string; label: string; text: boolean }[] = [];
  for (const label of classes) {
    const names = (await readdir(join(root, label))).sort();
    const images = names.filter(isImageFile);
    const texts = names.filter((n) => n.toLowerCase().endsWith('.txt'));
    const chosen = images.length > 0 ? images : texts;
    for (const name of chosen.slice(0, perClass)) picked.push({ path: join(root, label, name), label, text: images.length === 0 });
  }
  if (picked.length === 0) throw new ExplainError(`${root} has no images or .txt files in class sub-folders. Explaining shows samples of an image or text dataset.`);
  return mapLimit(picked, 8, async ({ text, ...s }) =>
    text ? { ...s, snippet: (await readFile(s.path, 'utf8')).replace(/\s+/g, ' ').trim().slice(0, 120) } : { ...s, thumbnail: await thumbnail(s.path, 48) },
  );
}

/** The input image as a PNG data URL (grey or colour, at the model's size). */
async function imageDataUrl(image: NonNullable<PreparedInput['image']>): Promise<string> {
  const { width, height, channels, pixels } = image;
  let img = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  if (channels === 1) img = img.toColourspace('b-w');
  return `data:image/png;base64,${(await img.png().toBuffer()).toString('base64')}`;
}

/**
 * Everything the Explain view shows for one sample: the prediction, Grad-CAM (when the model has
 * a conv block) and saliency for the chosen class, and every block's output with its stats. With
 * a `cache` (an explain worker's) the loaded model is kept for the next request.
 */
export async function explainForView(tf: TF, request: ExplainRequest, runsDir?: string, cache?: ExplainModelCache): Promise<ExplainResult> {
  const given = [request.sample, request.upload, request.text].filter((v) => v !== undefined).length;
  if (given !== 1) throw new ExplainError('Explain one input: a dataset sample, a dropped file or typed text.');
  const smoothGradSamples = request.smoothGradSamples ?? 0;
  if (!Number.isInteger(smoothGradSamples) || smoothGradSamples < 0 || smoothGradSamples > SMOOTHGRAD_MAX) {
    throw new ExplainError(`SmoothGrad takes 0–${SMOOTHGRAD_MAX} noisy copies, not ${smoothGradSamples}.`);
  }
  const source: WeightSource = { kind: 'run', run: request.run ?? 'best', checkpoint: request.checkpoint ?? 'best' };
  const model = await loadExplainModel(tf, { doc: request.doc, projectPath: request.projectPath, source, ...(runsDir ? { runsDir } : {}) }, cache);
  let input: PreparedInput | null = null;
  try {
    if (request.text !== undefined) input = prepareText(tf, model, request.text);
    else if (request.upload) input = await prepareUpload(tf, model, request.upload);
    else input = await prepareInputFile(tf, model, request.sample as string);
    const { probabilities, predicted } = predictSample(tf, model.model, input.x);
    const classIndex = request.classIndex ?? predicted;
    let gradcam: ExplainResult['gradcam'] = null;
    let gradcamWhy: string | null = null;
    let sal: ExplainResult['saliency'] = null;
    let tokenScores: number[] | null = null;
    let tokensWhy: string | null = null;
    if (input.image) {
      try {
        const g = gradCam(tf, model.model, input.x, { classIndex, ...(request.layer ? { layer: request.layer } : {}) });
        gradcam = { layer: g.layer, height: g.heatmapShape[0], width: g.heatmapShape[1], values: Array.from(g.heatmap) };
      } catch (e) {
        if (!(e instanceof ExplainError)) throw e;
        gradcamWhy = e.message;
      }
      const s = saliency(tf, model.model, input.x, { classIndex, smoothGradSamples });
      sal = { height: s.heatmapShape[0], width: s.heatmapShape[1], values: Array.from(s.heatmap), smoothGradSamples };
    } else {
      try {
        tokenScores = Array.from(tokenAttribution(tf, model.model, input.x, { classIndex }).scores);
      } catch (e) {
        if (!(e instanceof ExplainError)) throw e;
        tokensWhy = e.message;
      }
    }
    const blocks = activations(tf, model.model, input.x).map((a) => ({
      layer: a.layer,
      block: model.blockOf.get(a.layer) ?? null,
      kind: a.kind,
      shape: a.shape,
      values: Array.from(a.values.subarray(0, EXPLAIN_VALUE_LIMIT)),
      truncated: a.values.length > EXPLAIN_VALUE_LIMIT,
      stats: a.stats,
      weights: weightSummaries(model.model.getLayer(a.layer)),
    }));
    const filters = firstConvFilters(model.model);
    const attention = attentionMaps(tf, model.model, input.x).map((m) => ({
      layer: m.layer,
      block: model.blockOf.get(m.layer) ?? null,
      heads: m.heads,
      queryLength: m.queryLength,
      keyLength: m.keyLength,
      weights: Array.from(m.weights),
      causal: (model.model.getLayer(m.layer).getConfig() as { useCausalMask?: boolean }).useCausalMask === true,
    }));
    const classes = model.preprocessing && 'classes' in model.preprocessing ? model.preprocessing.classes : [];
    return {
      weights: model.provenance.label,
      classes,
      probabilities: Array.from(probabilities),
      predicted,
      classIndex,
      image: input.image ? await imageDataUrl(input.image) : null,
      gradcam,
      gradcamWhy,
      saliency: sal,
      blocks,
      tokens: input.tokens,
      tokenScores,
      tokensWhy,
      attention,
      filters: filters && filters.values.length <= EXPLAIN_VALUE_LIMIT ? { layer: filters.layer, shape: filters.shape, values: Array.from(filters.values) } : null,
    };
  } finally {
    input?.x.dispose();
    if (!cache) model.model.dispose();
  }
}

/** The most noisy copies SmoothGrad averages in the Explain view (each costs one gradient). */
const SMOOTHGRAD_MAX = 64;

/** Thumbnails a gallery shows at most per cell. */
const GALLERY_LIMIT = 48;

/**
 * The samples of one confusion-matrix cell of a run (actual → predicted), read from the run's
 * predictions.json, with thumbnails: the misclassified gallery.
 */
export async function cellSamples(runDir: string, actual: number, predicted: number): Promise<CellSamples> {
  let stored: RunPredictions;
  try {
    stored = JSON.parse(await readFile(join(runDir, PREDICTIONS_FILE), 'utf8')) as RunPredictions;
  } catch {
    throw new ExplainError(`${join(runDir, PREDICTIONS_FILE)} cannot be read: this run was trained before per-sample predictions were kept. Train again to see its samples per cell.`);
  }
  const all = stored.samples.filter((s) => s.actual === actual && s.predicted === predicted);
  const root = stored.datasetRoot;
  const samples = await mapLimit(all.slice(0, GALLERY_LIMIT), 8, async (s): Promise<CellSample> => {
    const file = root && s.path ? join(root, ...s.path.split('/')) : null;
    const thumb = file ? await thumbnail(file, 56).catch(() => null) : null;
    return { ...s, file, thumbnail: thumb };
  });
  return { classes: stored.classes, samples, total: all.length };
}
