/**
 * TypeScript export: a standalone TensorFlow.js (Node) project with `model.ts` (`buildModel()`,
 * the same layers, names and weights as the app), `weights.ts` (loads the exported weights),
 * `train.ts` (the same data preparation and training as the Python export, on tfjs-node), and its
 * package.json / tsconfig.json / README.md. Pure and deterministic.
 */
import type { KerasArg } from '../blocks/types.js';
import type { ProjectDocument } from '../graph/document.js';
import { MAX_CATEGORIES } from '../training/dataset.js';
import { MOMENTUM } from '../training/settings.js';
import { CUSTOM_LAYERS_TS } from './customLayersSource.generated.js';
import { isTfjsDefault } from './defaults.js';
import { isAbsolutePath, type ExportFile } from './keras.js';
import { TS_LINE_WIDTH, TS_RESERVED, safeVar, tsLiteral, tsString } from './literals.js';
import { isAttention, planModel, type ModelPlan, type PlanLayer } from './plan.js';
import { routeLayerInputs } from './plan.js';
import { dataLayout } from './dataLayout.js';
import { IMAGE_PIXEL_DIVISOR, planTraining, type TrainingPlan } from './training.js';
import { TS_CUSTOM_LAYERS_FILE } from './tsCustomLayers.js';
import { NODE_TYPES_VERSION, TFJS_VERSION, TSX_VERSION, TYPESCRIPT_VERSION } from './versions.js';

/**
 * Import statements of generated code, one per line. (Written through this helper so that the
 * layering check, which reads `import` lines, does not take the generated code's for shared/'s own.)
 */
function importLines(imports: readonly (readonly [string, string])[]): string {
  return imports.map(([what, from]) => `import ${what} from '${from}';`).join('\n');
}

/** Options of the TypeScript export. */
export interface TsExportOptions {
  /** Default of `--data` (relative to the export folder); default: the project's dataset path; null: none. */
  readonly dataPath?: string | null;
  /** Folder (inside the export) holding the tfjs weights (`model.json` + `weights.bin`), or null when none. */
  readonly weightsFolder?: string | null;
  /** The training run's preprocessing.json shipped with the export (classes, CSV scaling, vocabulary), or null. */
  readonly preprocessingFile?: string | null;
}

/** Default folder of the tfjs weights inside a TypeScript export. */
export const TS_WEIGHTS_FOLDER = 'weights';

/** Local name of the custom layer classes in model.ts. */
const CUSTOM = 'layerloom';

function tsVar(name: string): string {
  return safeVar(name, TS_RESERVED);
}

function tsProps(factory: string, args: ReadonlyArray<readonly [string, KerasArg]>, name: string | null): string[] {
  const props = args.filter(([k, v]) => !isTfjsDefault(factory, k, v)).map(([k, v]) => `${k}: ${tsLiteral(v)}`);
  if (name !== null) props.push(`name: ${tsString(name)}`);
  return props;
}

/** `{ a: 1, b: 2 }` on one line, or null when that would not fit `room` characters. */
function objectLine(props: readonly string[]): string {
  return props.length ? `{ ${props.join(', ')} }` : '{}';
}

function objectBlock(props: readonly string[], indent: string): string {
  return `{\n${props.map((p) => `${indent}  ${p},`).join('\n')}\n${indent}}`;
}

/** The layer constructor expression for a step, with its object argument formatted to fit. */
function layerStatement(step: PlanLayer): string {
  const { call } = step;
  const target = tsVar(step.name);
  const ports = isAttention(step)
    ? ['query', 'value', 'key'].map((p) => step.inputs.find((i) => i.port === p)?.source ?? null)
    : step.inputs.map((i) => i.source);
  // Same routing as the compiler (repeated inputs, self-attention), see routeLayerInputs.
  const routed = routeLayerInputs(ports, isAttention(step), step.name);
  const repeats = routed
    .filter((r) => r.identityName)
    .map((r) => `  const ${tsVar(r.identityName as string)} = tf.layers.activation({ activation: 'linear', name: ${tsString(r.identityName as string)} }).apply(${tsVar(r.source)}) as tf.SymbolicTensor;\n`)
    .join('');
  const connected = routed.map((r) => r.identityName ?? r.source);
  const applied = connected.length === 1 ? tsVar(connected[0]) : `[${connected.map(tsVar).join(', ')}]`;
  const suffix = `.apply(${applied}) as tf.SymbolicTensor;`;
  const ctor = (props: string): string =>
    call.custom ? `new ${CUSTOM}.${customClassKey(call.tfjsFactory)}(${props})` : `tf.layers.${call.tfjsFactory}(${props})`;
  if (call.bidirectional) {
    const innerProps = tsProps(call.tfjsFactory, call.tfjsArgs, `${step.name}_inner`);
    const outer = (inner: string): string[] => [`layer: ${inner}`, `mergeMode: ${tsString(call.bidirectional?.mergeMode ?? 'concat')}`, `name: ${tsString(step.name)}`];
    const flat = `  const ${target} = tf.layers.bidirectional(${objectLine(outer(ctor(objectLine(innerProps))))})${suffix}`;
    if (flat.length <= TS_LINE_WIDTH) return repeats + flat;
    const innerLine = `layer: ${ctor(objectLine(innerProps))}`;
    const inner = innerLine.length + 4 <= TS_LINE_WIDTH ? ctor(objectLine(innerProps)) : ctor(objectBlock(innerProps, '    '));
    return `${repeats}  const ${target} = tf.layers.bidirectional(${objectBlock(outer(inner), '  ')})${suffix}`;
  }
  const props = tsProps(call.tfjsFactory, call.tfjsArgs, step.name);
  const flat = `  const ${target} = ${ctor(objectLine(props))}${suffix}`;
  if (flat.length <= TS_LINE_WIDTH) return repeats + flat;
  return `${repeats}  const ${target} = ${ctor(objectBlock(props, '  '))}${suffix}`;
}

/** Property of `layerloomLayers(tf)` for a custom tfjs class name (`LayerloomMultiHeadAttention` → `MultiHeadAttention`). */
function customClassKey(className: string): string {
  return className.replace(/^Layerloom/, '');
}

function modelTs(doc: Pick<ProjectDocument, 'name'>, plan: ModelPlan): string {
  const usesCustom = plan.steps.some((s) => s.kind === 'layer' && s.call.custom);
  const body: string[] = [];
  if (usesCustom) body.push(`  const ${CUSTOM} = layerloomLayers(tf);`);
  for (const step of plan.steps) {
    if (step.kind === 'input') {
      const props = [`shape: ${tsLiteral({ tuple: [...step.shape] })}`, `dtype: ${tsString(step.dtype)}`, `name: ${tsString(step.name)}`];
      body.push(`  const ${tsVar(step.name)} = tf.input(${objectLine(props)});`);
      continue;
    }
    body.push(layerStatement(step));
  }
  const list = (xs: string[]): string => (xs.length === 1 ? xs[0] : `[${xs.join(', ')}]`);
  const ret = `  return tf.model({ inputs: ${list(plan.inputs.map((i) => tsVar(i.name)))}, outputs: ${list(plan.outputs.map((o) => tsVar(o.source)))}, name: ${tsString(plan.modelName)} });`;
  body.push(
    ret.length <= TS_LINE_WIDTH
      ? ret
      : `  return tf.model(${objectBlock([`inputs: ${list(plan.inputs.map((i) => tsVar(i.name)))}`, `outputs: ${list(plan.outputs.map((o) => tsVar(o.source)))}`, `name: ${tsString(plan.modelName)}`], '  ')});`,
  );
  const title = (doc.name || plan.modelName).replace(/\*\//g, '* /');
  return `/**
 * ${title}: a TensorFlow.js model exported from Layerloom.
 *
 * buildModel() returns the model, uncompiled; layer names are the block labels. weights.ts loads
 * the weights exported with it; train.ts trains it on the project's dataset.
 */
${importLines([['* as tf', '@tensorflow/tfjs']])}
${usesCustom ? `import { layerloomLayers } from './${TS_CUSTOM_LAYERS_FILE.replace(/\.ts$/, '.js')}';\n` : ''}
/** Builds the model (uncompiled). */
export function buildModel(): tf.LayersModel {
${body.join('\n')}
}
`;
}

const WEIGHTS_TS = `/**
 * Loads weights saved in TensorFlow.js's format (model.json + binary shards) into a model built by
 * buildModel(), matching each weight by name and checking its shape. Works with any tfjs backend.
 */
${importLines([['* as tf', '@tensorflow/tfjs'], ['{ readFile }', 'node:fs/promises'], ['{ join }', 'node:path']])}

interface ModelJson {
  readonly weightsManifest: tf.io.WeightsManifestConfig;
}

/** Sets the weights of \`model\` from \`folder\`/model.json and the files it lists. */
export async function loadWeights(model: tf.LayersModel, folder: string): Promise<void> {
  const manifest = (JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as ModelJson).weightsManifest;
  const specs = manifest.flatMap((group) => group.weights);
  const shards = await Promise.all(manifest.flatMap((group) => group.paths).map((p) => readFile(join(folder, p))));
  const bytes = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let offset = 0;
  for (const shard of shards) {
    bytes.set(shard, offset);
    offset += shard.byteLength;
  }
  const named = tf.io.decodeWeights(bytes.buffer, specs);
  try {
    const values = model.weights.map((w) => {
      const value = named[w.originalName];
      if (!value) throw new Error(\`\${folder}/model.json has no weight "\${w.originalName}": it was saved from a different model.\`);
      if (value.shape.join(',') !== w.shape.join(',')) {
        throw new Error(\`\${folder}: weight "\${w.originalName}" has shape [\${value.shape}], the model needs [\${w.shape}].\`);
      }
      return value;
    });
    model.setWeights(values);
  } finally {
    tf.dispose(Object.values(named));
  }
}
`;

function tsLoss(loss: string): string {
  const map: Record<string, string> = {
    sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
    categorical_crossentropy: 'categoricalCrossentropy',
    binary_crossentropy: 'binaryCrossentropy',
    mean_squared_error: 'meanSquaredError',
    mean_absolute_error: 'meanAbsoluteError',
  };
  return map[loss] ?? loss;
}

/** tfjs metric names (tfjs logs `accuracy` as `acc`). */
function tsMetric(metric: string): string {
  const map: Record<string, string> = { accuracy: 'accuracy', mean_absolute_error: 'mae', mean_squared_error: 'mse' };
  return map[metric] ?? metric;
}

/** The key tfjs logs a Keras monitor name under. */
function tsMonitor(monitor: string): string {
  return monitor.replace(/accuracy$/, 'acc');
}

function tsOptimizer(t: TrainingPlan): string {
  switch (t.settings.optimizer) {
    case 'sgd':
      return 'tf.train.sgd(LEARNING_RATE)';
    case 'momentum':
      return `tf.train.momentum(LEARNING_RATE, ${MOMENTUM})`;
    case 'rmsprop':
      return 'tf.train.rmsprop(LEARNING_RATE)';
    default:
      return 'tf.train.adam(LEARNING_RATE)';
  }
}

function imageLoaderTs(t: TrainingPlan, saved: boolean): string {
  const img = t.image as NonNullable<TrainingPlan['image']>;
  return `const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.bmp']);

/**
 * Reads an image folder with one subfolder per class (sorted names are the classes): each image is
 * decoded, converted to ${img.channels} channel(s), resized to ${img.height}x${img.width} (bilinear) and its pixels divided by
 * ${IMAGE_PIXEL_DIVISOR}, as Layerloom does. Everything is held in memory: fine for thousands of images.
 */
async function loadData(path: string${saved ? ', saved: SavedPreprocessing | null' : ''}): Promise<Dataset> {
  const classes = (await readdir(path, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const xs: tf.Tensor3D[] = [];
  const labels: number[] = [];
  for (const [label, name] of classes.entries()) {
    for (const file of (await readdir(join(path, name))).sort()) {
      if (!IMAGE_EXTENSIONS.has(extname(file).toLowerCase())) continue;
      try {
        const decoded = tf.node.decodeImage(await readFile(join(path, name, file)), ${img.channels}, 'int32', false) as tf.Tensor3D;
        xs.push(tf.tidy(() => tf.image.resizeBilinear(decoded, [${img.height}, ${img.width}]).div(${IMAGE_PIXEL_DIVISOR})));
        decoded.dispose();
        labels.push(label);
      } catch (e) {
        console.warn(\`Skipped \${join(name, file)}: \${(e as Error).message}\`);
      }
    }
  }
  if (xs.length === 0) throw new Error(\`\${path} has no images in class subfolders.\`);${
    saved
      ? `
  if (saved) checkClasses(classes, saved.classes ?? []);`
      : ''
  }
  const x = tf.stack(xs);
  tf.dispose(xs);
  return { x, labels: Float32Array.from(labels), classes };
}
`;
}

function textLoaderTs(t: TrainingPlan, saved: boolean): string {
  const txt = t.text as NonNullable<TrainingPlan['text']>;
  const length = txt.sequenceLength === null ? 'null' : String(txt.sequenceLength);
  return `const VOCABULARY_SIZE = ${txt.vocabularySize}; // the Embedding's input_dim
const SEQUENCE_LENGTH: number | null = ${length}; // the Input's length (null: the longest text)

/** Keras TextVectorization's standardization: lower case, punctuation stripped, split on whitespace. */
function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[!"#$%&'()*+,\\-./:;<=>?@[\\\\\\]^_\`{|}~]/g, '')
    .split(/\\s+/)
    .filter((w) => w.length > 0);
}

/**
 * Reads a text folder with one subfolder of .txt files per class (sorted names are the classes).
 * Token ids follow Layerloom (and Keras TextVectorization): 0 = padding, 1 = unknown word, then the
 * most frequent words (ties in code point order) up to VOCABULARY_SIZE ids; texts are cut or
 * padded at the end to SEQUENCE_LENGTH.${saved ? ' The vocabulary the exported weights were trained with is used when shipped.' : ''}
 */
async function loadData(path: string${saved ? ', saved: SavedPreprocessing | null' : ''}): Promise<Dataset> {
  const classes = (await readdir(path, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const texts: string[][] = [];
  const labels: number[] = [];
  for (const [label, name] of classes.entries()) {
    for (const file of (await readdir(join(path, name))).sort()) {
      if (extname(file).toLowerCase() !== '.txt') continue;
      texts.push(tokenize(await readFile(join(path, name, file), 'utf8')));
      labels.push(label);
    }
  }
  if (texts.length === 0) throw new Error(\`\${path} has no .txt files in class subfolders.\`);
  // Shuffled here so the vocabulary comes from the training texts only (the first VALIDATION_SPLIT are held out).
  const order = shuffle([...texts.keys()]);
  const shuffledTexts = order.map((i) => texts[i]);
  const training = shuffledTexts.slice(Math.round(order.length * VALIDATION_SPLIT));
  let vocabulary: readonly string[];
${
  saved
    ? `  if (saved?.vocabulary) {
    // The vocabulary the exported weights were trained with.
    checkClasses(classes, saved.classes ?? []);
    vocabulary = saved.vocabulary;
  } else {`
    : '  {'
}
    const counts = new Map<string, number>();
    for (const tokens of training) for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
    vocabulary = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, VOCABULARY_SIZE - 2)
      .map(([w]) => w);
  }
  const index = new Map(vocabulary.map((w, i) => [w, i + 2]));
  const length = SEQUENCE_LENGTH ?? Math.max(1, ...texts.map((tokens) => tokens.length));
  const ids = new Int32Array(texts.length * length);
  shuffledTexts.forEach((tokens, row) => {
    for (let i = 0; i < Math.min(length, tokens.length); i++) ids[row * length + i] = index.get(tokens[i]) ?? 1;
  });
  const x = tf.tensor2d(ids, [texts.length, length], 'int32');
  return { x, labels: Float32Array.from(order.map((i) => labels[i])), classes, shuffled: true };
}
`;
}

function csvLoaderTs(t: TrainingPlan, saved: boolean): string {
  const csv = t.csv as NonNullable<TrainingPlan['csv']>;
  const classify = t.labelMode !== 'float';
  return `const TARGET_COLUMN: string | null = ${csv.targetColumn === null ? 'null' : tsString(csv.targetColumn)}; // null: the last column
const FEATURES = ${csv.features}; // values per row the Input takes

function isNumber(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}

/** Splits CSV text into rows of trimmed cells (quotes with "" escapes; , ; or tab separated). */
function parseCsv(text: string): string[][] {
  const firstLine = text.split(/\\r?\\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\\t'].reduce((best, d) => (firstLine.split(d).length > firstLine.split(best).length ? d : best));
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === delimiter) {
      row.push(cell.trim());
      cell = '';
    } else if (ch === '\\n' || ch === '\\r') {
      if (ch === '\\r' && text[i + 1] === '\\n') i++;
      row.push(cell.trim());
      if (row.some((c) => c !== '')) rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  row.push(cell.trim());
  if (row.some((c) => c !== '')) rows.push(row);
  return rows;
}

/** How one column becomes features (the format of Layerloom's preprocessing.json). */
type FeatureSpec =
  | { readonly column: string; readonly type: 'numeric'; readonly mean: number; readonly std: number }
  | { readonly column: string; readonly type: 'categorical'; readonly categories: readonly string[] };

/**
 * How each column becomes features, as Layerloom decides it: numeric columns are standardized with
 * the mean and (population) standard deviation of the training rows; text columns with at most
 * ${MAX_CATEGORIES} distinct values are one-hot encoded (sorted); other columns are left out.
 */
function fitFeatures(header: readonly string[], target: number, rows: readonly string[][], train: readonly string[][]): FeatureSpec[] {
  const specs: FeatureSpec[] = [];
  header.forEach((column, c) => {
    const cells = rows.map((r) => r[c]);
    if (c === target || cells.every((v) => v === '')) return;
    if (cells.every((v) => v === '' || isNumber(v))) {
      const known = train.map((r) => r[c]).filter((v) => v !== '').map(Number);
      const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
      const std = known.length ? Math.sqrt(known.reduce((a, b) => a + (b - mean) ** 2, 0) / known.length) : 0;
      specs.push({ column, type: 'numeric', mean, std: std || 1 });
    } else if (new Set(cells).size <= ${MAX_CATEGORIES}) {
      specs.push({ column, type: 'categorical', categories: [...new Set(cells)].sort() });
    } else {
      console.warn(\`Column \${column} is left out: too many distinct texts to one-hot encode.\`);
    }
  });
  return specs;
}

/**
 * Reads a CSV file with a header row; the target column is predicted from the rest. Rows are
 * shuffled with SEED; the first VALIDATION_SPLIT of them are held out${classify ? '; class labels become ids in sorted order' : ''}.
 */
async function loadData(path: string${saved ? ', saved: SavedPreprocessing | null' : ''}): Promise<Dataset> {
  const [header, ...body] = parseCsv((await readFile(path, 'utf8')).replace(/^\\uFEFF/, ''));
  if (!header) throw new Error(\`\${path} is empty.\`);
  const target = TARGET_COLUMN ?? header[header.length - 1];
  const t = header.indexOf(target);
  if (t < 0) throw new Error(\`\${path} has no column "\${target}"; its columns are \${header.join(', ')}.\`);
  const rows = shuffle(body.filter((r) => r.length === header.length && r[t] !== ''));
  if (rows.length === 0) throw new Error(\`\${path} has no row with a value in the column "\${target}".\`);
  const nVal = Math.round(rows.length * VALIDATION_SPLIT);
${
  saved
    ? `  // The columns, scaling and classes the exported weights were trained with, when they are used.
  const specs = (saved?.features as FeatureSpec[] | undefined) ?? fitFeatures(header, t, rows, rows.slice(nVal));
  const savedClasses = saved?.classes?.length ? saved.classes : null;`
    : `  const specs = fitFeatures(header, t, rows, rows.slice(nVal));
  const savedClasses: readonly string[] | null = null;`
}
  const index = new Map(header.map((h, c) => [h, c]));
  const missing = specs.filter((f) => !index.has(f.column)).map((f) => f.column);
  if (specs.length === 0 || missing.length) throw new Error(\`\${path} lacks feature columns besides the target \${target}: \${missing.join(', ')}\`);
  const x = rows.map((r) =>
    specs.flatMap((f) => {
      const cell = r[index.get(f.column) as number];
      if (f.type === 'numeric') return [((cell === '' ? f.mean : Number(cell)) - f.mean) / f.std];
      return f.categories.map((k) => (cell === k ? 1 : 0));
    }),
  );
  if ((x[0]?.length ?? 0) !== FEATURES) {
    throw new Error(\`\${path} gives \${x[0]?.length ?? 0} feature values per row, but the model's input takes \${FEATURES}: change the Input shape or the CSV columns.\`);
  }
${
  classify
    ? `  const values = rows.map((r) => r[t]);
  const numeric = values.every(isNumber);
  const classes = savedClasses ?? [...new Set(values)].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const unknown = [...new Set(values)].filter((v) => !classes.includes(v));
  if (unknown.length) throw new Error(\`\${path}: \${target} has values the model has no class for: \${unknown.join(', ')}\`);
  const labels = Float32Array.from(values.map((v) => classes.indexOf(v)));`
    : `  const classes: string[] = [];
  void savedClasses;
  const labels = Float32Array.from(rows.map((r) => Number(r[t])));`
}
  // Rows are already shuffled: loadData's caller must not shuffle again.
  return { x: tf.tensor2d(x, [x.length, FEATURES]), labels, classes, shuffled: true };
}
`;
}

/** Reading the training run's preprocessing.json shipped with the export. */
function savedPreprocessingTs(file: string): string {
  return `/** How the exported weights' training run prepared its data (Layerloom's preprocessing.json). */
interface SavedPreprocessing {
  readonly kind: string;
  readonly classes?: readonly string[];
  readonly vocabulary?: readonly string[];
  readonly features?: readonly unknown[];
}

const PREPROCESSING = join(HERE, ${tsString(file)});

/** The saved preprocessing when it is of this kind, else null (the loader fits its own). */
async function savedPreprocessing(kind: string): Promise<SavedPreprocessing | null> {
  if (!existsSync(PREPROCESSING)) return null;
  const saved = JSON.parse(await readFile(PREPROCESSING, 'utf8')) as SavedPreprocessing;
  return saved.kind === kind ? saved : null;
}

/** Refuses a dataset whose classes differ from those the weights were trained on. */
function checkClasses(found: readonly string[], trained: readonly string[]): void {
  if (found.join('\\n') !== trained.join('\\n')) {
    throw new Error(\`The dataset's classes (\${found.join(', ')}) differ from the ones the exported weights were trained on (\${trained.join(', ')}); pass --weights none to start afresh.\`);
  }
}

`;
}

function trainTs(plan: ModelPlan, t: TrainingPlan, opts: TsExportOptions, dataDefault: string | null): string {
  const s = t.settings;
  const es = s.earlyStopping;
  const saved = Boolean(opts.preprocessingFile) && t.dataKind !== null;
  const loader =
    (saved ? savedPreprocessingTs(opts.preprocessingFile as string) : '') +
    (t.dataKind === 'images' ? imageLoaderTs(t, saved) : t.dataKind === 'text' ? textLoaderTs(t, saved) : t.dataKind === 'csv' ? csvLoaderTs(t, saved) : '');
  const labelsToTensor =
    t.labelMode === 'categorical'
      ? `tf.oneHot(tf.tensor1d(labels, 'int32'), Math.max(classes.length, 1)).toFloat()`
      : t.labelMode === 'binary' || t.labelMode === 'float'
        ? `tf.tensor2d(labels, [labels.length, 1])`
        : `tf.tensor1d(labels)`;
  const weightsDefault = opts.weightsFolder ? `join(HERE, ${tsString(opts.weightsFolder)})` : `'none'`;
  const noLoader = `async function loadData(path: string): Promise<Dataset> {
  throw new Error(
    \`train.ts has no dataset loader for this model (\${path}): \` +
      ${tsString(t.dataProblem ?? '')},
  );
}
`;
  return `/**
 * Trains the model of model.ts on the project's dataset with TensorFlow.js on Node
 * (@tensorflow/tfjs-node runs TensorFlow's C library). Same data preparation and settings as the
 * Python export's main(); checkpoints and the trained model go to --output.
 *
 *   npx tsx train.ts [--data PATH] [--epochs N] [--batch-size N] [--weights FOLDER|none] [--output DIR]
 */
${importLines([['* as tf', '@tensorflow/tfjs-node'], ['{ existsSync }', 'node:fs'], ['{ mkdir, readdir, readFile }', 'node:fs/promises'], ['{ dirname, extname, join, resolve }', 'node:path'], ['{ fileURLToPath }', 'node:url'], ['{ parseArgs }', 'node:util'], ['{ buildModel }', './model.js'], ['{ loadWeights }', './weights.js']])}

const HERE = dirname(fileURLToPath(import.meta.url));

// Settings saved in the project (paths relative to this file); --data, --epochs, --batch-size and
// --weights override the first four.
const DATA: string | null = ${dataDefault === null ? 'null' : isAbsolutePath(dataDefault) ? tsString(dataDefault) : `join(HERE, ${tsString(dataDefault)})`};
const EPOCHS = ${s.epochs};
const BATCH_SIZE = ${s.batchSize};
const WEIGHTS = ${weightsDefault};
const VALIDATION_SPLIT = ${s.validationSplit};
const LEARNING_RATE = ${s.learningRate};
const LEARNING_RATE_DECAY: number = ${s.learningRateDecay}; // multiplies the learning rate each epoch
const SEED = ${s.seed};
const EARLY_STOPPING: EarlyStopping | null = ${es.enabled ? `{ monitor: ${tsString(es.monitor)}, patience: ${es.patience}, restoreBestWeights: ${es.restoreBestWeights} }` : 'null'};

/** Early stopping as Keras's EarlyStopping(monitor, patience, restore_best_weights). */
interface EarlyStopping {
  readonly monitor: string;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
}

/** Samples in memory: inputs, labels (class ids or numbers) and class names. */
interface Dataset {
  readonly x: tf.Tensor;
  readonly labels: Float32Array;
  readonly classes: readonly string[];
  /** True when loadData already shuffled the rows with SEED. */
  readonly shuffled?: boolean;
}

/** Mulberry32: a small seeded random source, so the split is the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), a | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle with SEED (a copy). */
function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  const random = seededRandom(SEED);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

${t.dataKind ? loader : noLoader}
/**
 * Saves the model after every epoch (last/) and whenever \`monitor\` improves (best/), keeping the
 * best weights in memory so early stopping can restore them.
 */
class Checkpoints extends tf.Callback {
  private best = Infinity;
  bestWeights: tf.Tensor[] | null = null;

  constructor(
    private readonly target: tf.LayersModel,
    private readonly folder: string,
    private readonly monitor: string,
  ) {
    super();
  }

  override async onEpochEnd(_epoch: number, logs?: tf.Logs): Promise<void> {
    await this.target.save(\`file://\${join(this.folder, 'last')}\`);
    const value = logs?.[this.monitor];
    if (value === undefined) return;
    // Losses improve downwards, accuracies upwards.
    const score = this.monitor.endsWith('acc') ? -value : value;
    if (score < this.best) {
      this.best = score;
      tf.dispose(this.bestWeights ?? []);
      this.bestWeights = this.target.getWeights().map((w) => w.clone());
      await this.target.save(\`file://\${join(this.folder, 'best')}\`);
    }
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      data: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      weights: { type: 'string' },
      output: { type: 'string' },
    },
  });
  const data = args.data ?? DATA;
  if (!data) throw new Error('Pass the dataset with --data PATH.');
  const epochs = Number(args.epochs ?? EPOCHS);
  const batchSize = Number(args['batch-size'] ?? BATCH_SIZE);
  const weights = args.weights ?? WEIGHTS;
  const output = resolve(args.output ?? 'training_output');

${
  saved
    ? `  // How the exported weights' training run prepared its data, when those weights are used.
  const saved = weights === 'none' ? null : await savedPreprocessing(${tsString(t.dataKind ?? '')});
  const { x, labels, classes, shuffled } = await loadData(data, saved);`
    : '  const { x, labels, classes, shuffled } = await loadData(data);'
}
  if (classes.length) console.log(\`Classes: \${classes.join(', ')}\`);
  // Shuffle once with SEED, then hold out the first VALIDATION_SPLIT of the samples.
  const order = shuffled ? [...labels.keys()] : shuffle([...labels.keys()]);
  const nVal = Math.round(order.length * VALIDATION_SPLIT);
  const pick = (ids: number[]): [tf.Tensor, tf.Tensor] => {
    const index = tf.tensor1d(ids, 'int32');
    const picked: [tf.Tensor, tf.Tensor] = [tf.gather(x, index), toTargets(Float32Array.from(ids.map((i) => labels[i])), classes)];
    index.dispose();
    return picked;
  };
  const [xTrain, yTrain] = pick(order.slice(nVal));
  const validationData = nVal > 0 ? pick(order.slice(0, nVal)) : undefined;

  const model = buildModel();
  if (weights !== 'none' && existsSync(join(weights, 'model.json'))) {
    await loadWeights(model, weights);
    console.log(\`Loaded weights from \${weights}\`);
  }
  const optimizer = ${tsOptimizer(t)};
  model.compile({ optimizer, loss: ${tsString(tsLoss(t.loss))}, metrics: [${s.metrics.map((m) => tsString(tsMetric(m))).join(', ')}] });
  model.summary();

  await mkdir(output, { recursive: true });
  const monitor = monitorKey(EARLY_STOPPING?.monitor ?? 'val_loss', validationData !== undefined);
  const checkpoints = new Checkpoints(model, output, monitor);
  const callbacks: (tf.Callback | tf.CustomCallback)[] = [checkpoints];
  if (LEARNING_RATE_DECAY !== 1) {
    callbacks.push(
      new tf.CustomCallback({
        onEpochBegin: async (epoch: number) => {
          // tfjs optimizers read their learning rate on every step: Keras's per-epoch staircase decay.
          (optimizer as unknown as { learningRate: number }).learningRate = LEARNING_RATE * LEARNING_RATE_DECAY ** epoch;
        },
      }),
    );
  }
  if (EARLY_STOPPING) callbacks.push(tf.callbacks.earlyStopping({ monitor, patience: EARLY_STOPPING.patience }));
  await model.fit(xTrain, yTrain, { epochs, batchSize, validationData, shuffle: true, callbacks });
  if (EARLY_STOPPING?.restoreBestWeights && checkpoints.bestWeights) model.setWeights(checkpoints.bestWeights);
  await model.save(\`file://\${join(output, 'model')}\`);
  console.log(\`Saved the trained model to \${join(output, 'model')}\`);
}

/** tfjs's log key for a Keras monitor name (tfjs logs accuracy as "acc"); training values without validation data. */
function monitorKey(monitor: string, hasValidation: boolean): string {
  const key = monitor.replace(/accuracy$/, 'acc');
  return hasValidation ? key : key.replace(/^val_/, '');
}

/** Labels as the loss expects them${t.labelMode === 'categorical' ? ' (one-hot)' : t.labelMode === 'int' ? ' (class ids)' : ''}. */
function toTargets(labels: Float32Array, ${t.labelMode === 'categorical' ? 'classes' : '_classes'}: readonly string[]): tf.Tensor {
  return ${labelsToTensor};
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
`.replace(/\n{3,}/g, '\n\n');
}

function packageJson(plan: ModelPlan): string {
  const pkg = {
    name: plan.modelName.replace(/_/g, '-'),
    version: '1.0.0',
    private: true,
    description: 'A TensorFlow.js model exported from Layerloom.',
    type: 'module',
    scripts: { train: 'tsx train.ts', typecheck: 'tsc --noEmit' },
    dependencies: { '@tensorflow/tfjs': TFJS_VERSION, '@tensorflow/tfjs-node': TFJS_VERSION },
    devDependencies: { '@types/node': NODE_TYPES_VERSION, tsx: TSX_VERSION, typescript: TYPESCRIPT_VERSION },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

const TSCONFIG = JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noImplicitOverride: true,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      noEmit: true,
    },
    include: ['*.ts'],
  },
  null,
  2,
) + '\n';

function readmeTs(doc: Pick<ProjectDocument, 'name'>, plan: ModelPlan, t: TrainingPlan, opts: TsExportOptions): string {
  const usesCustom = plan.steps.some((s) => s.kind === 'layer' && s.call.custom);
  return `# ${doc.name || plan.modelName} (TensorFlow.js)

Exported from Layerloom. \`buildModel()\` in \`model.ts\` builds the same network as the app: same layers, names and weights layout.

| File | What it is |
| --- | --- |
| \`model.ts\` | \`buildModel()\`: the model, uncompiled |
| \`weights.ts\` | \`loadWeights(model, folder)\`: loads weights saved in TensorFlow.js format |
| \`train.ts\` | trains the model on the project's dataset (same preparation and settings as Layerloom) |
${usesCustom ? `| \`${TS_CUSTOM_LAYERS_FILE}\` | Layerloom's own layers used by this model (attention, position embedding) |\n` : ''}${opts.weightsFolder ? `| \`${opts.weightsFolder}/\` | the model's weights when it was exported (\`model.json\` + \`weights.bin\`) |\n` : ''}${opts.preprocessingFile ? `| \`${opts.preprocessingFile}\` | how the weights' training run prepared its data (classes, CSV scaling, vocabulary); train.ts reuses it |\n` : ''}
## Run

\`\`\`sh
npm install
npm run typecheck
npx tsx train.ts --data PATH --epochs ${t.settings.epochs}
\`\`\`

Options: \`--data\` (dataset path), \`--epochs\`, \`--batch-size\`, \`--weights FOLDER|none\` (initial weights; default: the exported ones), \`--output DIR\` (checkpoints \`last/\` and \`best/\`, and the trained \`model/\`; default \`training_output\`).

\`@tensorflow/tfjs-node\` downloads TensorFlow's C library when installed. On a machine with an NVIDIA GPU (CUDA 11.2 + cuDNN 8.1), install \`@tensorflow/tfjs-node-gpu@${TFJS_VERSION}\` instead and change the import in \`train.ts\` to \`'@tensorflow/tfjs-node-gpu'\`. \`model.ts\` only needs \`@tensorflow/tfjs\`, so it also runs in a browser.

## Data

${dataLayout(t)}
`;
}

/** Generates the TypeScript export's files (model.ts first). Throws {@link CompileError} for a graph with errors. */
export function generateTs(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name' | 'dataset' | 'training'>, opts: TsExportOptions = {}): ExportFile[] {
  const plan = planModel(doc);
  const t = planTraining(doc, plan);
  const dataDefault = opts.dataPath === undefined ? (doc.dataset?.path ?? null) : opts.dataPath;
  const files: ExportFile[] = [
    { path: 'model.ts', content: modelTs(doc, plan) },
    { path: 'weights.ts', content: WEIGHTS_TS },
    { path: 'train.ts', content: trainTs(plan, t, opts, dataDefault) },
  ];
  if (plan.steps.some((s) => s.kind === 'layer' && s.call.custom)) files.push({ path: TS_CUSTOM_LAYERS_FILE, content: CUSTOM_LAYERS_TS });
  files.push({ path: 'package.json', content: packageJson(plan) });
  files.push({ path: 'tsconfig.json', content: TSCONFIG });
  files.push({ path: 'README.md', content: readmeTs(doc, plan, t, opts) });
  return files;
}
