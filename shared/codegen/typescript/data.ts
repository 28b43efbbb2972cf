/**
 * The dataset loaders of train.ts (`loadData()` for an image folder, a text folder or a CSV file),
 * preparing the data as Layerloom and the Python export do, and the reading of the training run's
 * preprocessing.json when it is shipped with the export.
 */
import { tsString } from '../literals.js';
import { IMAGE_EXTENSIONS } from '../../training/dataset.js';
import { IMAGE_PIXEL_DIVISOR, type TrainingPlan } from '../training.js';

/**
 * The loader section of train.ts: the preprocessing.json helpers when `saved`, then `loadData()`
 * for the dataset's kind, or a `loadData()` that explains why the model has no dataset loader.
 */
export function loaderTs(t: TrainingPlan, saved: boolean, preprocessingFile: string | null | undefined): string {
  if (!t.dataKind) return noLoaderTs(t);
  return (
    (saved ? savedPreprocessingTs(preprocessingFile as string) : '') +
    (t.dataKind === 'images' ? imageLoaderTs(t, saved) : t.dataKind === 'text' ? textLoaderTs(t, saved) : csvLoaderTs(t, saved))
  );
}

function noLoaderTs(t: TrainingPlan): string {
  return `async function loadData(path: string): Promise<Dataset> {
  throw new Error(
    \`train.ts has no dataset loader for this model (\${path}): \` +
      ${tsString(t.dataProblem ?? '')},
  );
}
`;
}

/** Lists class folders and their files as Layerloom does (shared by the image and text loaders). */
function listingTs(): string {
  return `/**
 * Class folders (names not starting with ".") and their files, as Layerloom lists them: names in
 * code point order, sub-folders walked recursively, symbolic links followed, files kept when
 * \`accept\` says so. The split depends on this order.
 */
async function listClassFiles(path: string, accept: (name: string) => boolean): Promise<{ classes: string[]; perClass: string[][] }> {
  const sorted = async (dir: string) => (await readdir(dir)).sort(compareCodePoints);
  const classes: string[] = [];
  const perClass: string[][] = [];
  for (const name of await sorted(path)) {
    if (name.startsWith('.') || !(await stat(join(path, name))).isDirectory()) continue;
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await sorted(dir)) {
        const full = join(dir, entry);
        const s = await stat(full);
        if (s.isDirectory()) await walk(full);
        else if (s.isFile() && accept(entry)) files.push(full);
      }
    };
    await walk(join(path, name));
    classes.push(name);
    perClass.push(files);
  }
  return { classes, perClass };
}

/** Leaves out class folders with no usable file, as Layerloom does; labels are the kept classes' order. */
function keepNonEmpty(classes: readonly string[], perClass: readonly (readonly string[])[]): { classes: string[]; files: string[]; labels: Float32Array } {
  const kept = classes.flatMap((name, c) => (perClass[c].length ? [{ name, files: perClass[c] }] : []));
  return {
    classes: kept.map((k) => k.name),
    files: kept.flatMap((k) => k.files),
    labels: Float32Array.from(kept.flatMap((k, label) => k.files.map(() => label))),
  };
}
`;
}

function imageLoaderTs(t: TrainingPlan, saved: boolean): string {
  const img = t.image as NonNullable<TrainingPlan['image']>;
  return `${listingTs()}
/** True when the bytes are a JPEG file (its start-of-image marker). */
function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

// The extensions Layerloom reads, so the same files are listed (and split) here.
const IMAGE_EXTENSIONS = new Set(${JSON.stringify([...IMAGE_EXTENSIONS]).replace(/"/g, "'").replace(/,/g, ', ')});

/**
 * Reads an image folder with one subfolder per class (sorted names are the classes): each image is
 * decoded, converted to ${img.channels} channel(s), resized to ${img.height}x${img.width} (bilinear, half-pixel centres, as
 * tf.image.resize) and its pixels divided by ${IMAGE_PIXEL_DIVISOR}, as Layerloom does. Everything is held in memory:
 * fine for thousands of images. The split is Layerloom's (seeded, stratified by class).
 */
export async function loadData(path: string${saved ? ', saved: SavedPreprocessing | null' : ''}): Promise<Dataset> {
  const listed = await listClassFiles(path, (name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase()));
  const { classes, files, labels } = keepNonEmpty(listed.classes, listed.perClass);
  if (files.length === 0) throw new Error(\`\${path} has no images in class subfolders.\`);${
    saved
      ? `
  if (saved) checkClasses(classes, saved.classes ?? []);`
      : ''
  }
  const xs = await Promise.all(
    files.map(async (file) => {
      let decoded: tf.Tensor3D;
      try {
        const bytes = await readFile(file);
        // JPEG with the accurate integer DCT, as Layerloom's decoder (libjpeg-turbo's default)
        // decodes it; TensorFlow's default "fast" DCT is up to 5 levels off.
        decoded = isJpeg(bytes)
          ? tf.node.decodeJpeg(bytes, ${img.channels === 1 ? 3 : img.channels}, 1, true, false, 1, 'INTEGER_ACCURATE')
          : (tf.node.decodeImage(bytes, ${img.channels === 1 ? 3 : img.channels}, 'int32', false) as tf.Tensor3D);${
    img.channels === 1
      ? `
        // Grey from RGB by Layerloom's rule (layerloomData.ts's rgbToGrey), for every format.
        const [height, width] = decoded.shape;
        const rgb = decoded;
        decoded = tf.tensor3d(rgbToGrey(rgb.dataSync(), height * width), [height, width, 1], 'int32');
        rgb.dispose();`
      : ''
  }
      } catch (e) {
        throw new Error(\`\${file} cannot be decoded (\${(e as Error).message}); fix or remove it, or convert it to PNG.\`);
      }
      const x = tf.tidy(() => tf.image.resizeBilinear(decoded, [${img.height}, ${img.width}], false, true).div(${IMAGE_PIXEL_DIVISOR}));
      decoded.dispose();
      return x;
    }),
  );
  const x = tf.stack(xs);
  tf.dispose(xs);
  return { x, labels, classes, files, split: stratifiedSplit(files.length, VALIDATION_SPLIT, SEED, labels) };
}
`;
}

function textLoaderTs(t: TrainingPlan, saved: boolean): string {
  const txt = t.text as NonNullable<TrainingPlan['text']>;
  const length = txt.sequenceLength === null ? 'null' : String(txt.sequenceLength);
  return `${listingTs()}
const VOCABULARY_SIZE = ${txt.vocabularySize}; // the Embedding's input_dim
const SEQUENCE_LENGTH: number | null = ${length}; // the Input's length (null: the longest text, at most 512)

/**
 * Reads a text folder with one subfolder of .txt files per class (sorted names are the classes).
 * Texts are tokenized as Keras TextVectorization does (layerloomData.ts's tokenize; files with no
 * word are left out, as in Layerloom). Token ids: 0 = padding, 1 = unknown word, then the most
 * frequent words of the training texts (ties in code point order) up to VOCABULARY_SIZE ids;
 * texts are cut or padded at the end to SEQUENCE_LENGTH.${saved ? ' The vocabulary the exported weights were trained with is used when shipped.' : ''}
 */
export async function loadData(path: string${saved ? ', saved: SavedPreprocessing | null' : ''}): Promise<Dataset> {
  const listed = await listClassFiles(path, (name) => extname(name).toLowerCase() === '.txt');
  const tokens = new Map<string, string[]>();
  const usable: string[][] = [];
  for (const files of listed.perClass) {
    const kept: string[] = [];
    for (const file of files) {
      const bytes = await readFile(file);
      const words = bytes.includes(0) ? [] : tokenize(bytes.toString('utf8'));
      if (words.length === 0) {
        console.warn(\`Skipped \${file}: no words in it.\`);
        continue;
      }
      tokens.set(file, words);
      kept.push(file);
    }
    usable.push(kept);
  }
  const { classes, files, labels } = keepNonEmpty(listed.classes, usable);
  if (files.length === 0) throw new Error(\`\${path} has no .txt files with words in class subfolders.\`);
  const texts = files.map((f) => tokens.get(f) as string[]);
  const split = stratifiedSplit(files.length, VALIDATION_SPLIT, SEED, labels);
  const length = SEQUENCE_LENGTH ?? Math.min(Math.max(1, ...texts.map((words) => words.length)), 512);
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
    // From the training texts only, as Layerloom builds it.
    vocabulary = buildVocabulary(Array.from(split.train, (i) => texts[i]), VOCABULARY_SIZE, length).tokens;
  }
  const index = new Map(vocabulary.map((w, i) => [w, i + 2]));
  const ids = new Int32Array(texts.length * length);
  texts.forEach((words, row) => encodeTokens(words, index, length, ids, row * length));
  const x = tf.tensor2d(ids, [texts.length, length], 'int32');
  return { x, labels, classes, files, split };
}
`;
}

function csvLoaderTs(t: TrainingPlan, saved: boolean): string {
  const csv = t.csv as NonNullable<TrainingPlan['csv']>;
  const classify = t.labelMode !== 'float';
  return `const TARGET_COLUMN: string | null = ${csv.targetColumn === null ? 'null' : tsString(csv.targetColumn)}; // null: the last column
const FEATURES = ${csv.features}; // values per row the Input takes

/**
 * Reads a CSV file as Layerloom does (layerloomData.ts's CSV_DIALECT, CsvTableBuilder): UTF-8 (a
 * BOM is dropped), the delimiter (, ; or tab) that the first line holds most of, RFC 4180 quotes
 * (csv-parse), cells trimmed, blank lines dropped, rows with another number of fields than the
 * header left out (listed with their line), and in a ;-separated file a column of decimal commas
 * (1,5) read as numbers.
 */
export async function readTable(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(path));
  } catch {
    throw new Error(\`\${path} is not UTF-8 text. Save the file as UTF-8.\`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delimiter = csvDelimiter(text.split(/\\r|\\n/, 1)[0] ?? '');
  const table = new CsvTableBuilder(path, delimiter);
  try {
    // Each record goes to the builder as it is read (returning null keeps none in memory).
    parse(text, { ...csvParseOptions(delimiter), on_record: (record: string[]) => (table.add(record), null) });
  } catch (e) {
    throw table.parseError(e as Error & { code?: string });
  }
  return table.finish();
}
${
  saved
    ? `
/** How one column becomes features in Layerloom's preprocessing.json. */
type FeatureSpec =
  | { readonly column: string; readonly type: 'numeric'; readonly mean: number; readonly std: number }
  | { readonly column: string; readonly type: 'categorical'; readonly categories: readonly string[] };

/** The plan and scaling the exported weights were trained with, for this file's columns. */
function savedPlan(plan: CsvPlan, header: readonly string[], features: readonly FeatureSpec[], path: string): { plan: CsvPlan; scaling: CsvScaling } {
  const byName = new Map(features.map((f) => [f.column, f]));
  const missing = features.filter((f) => !header.includes(f.column)).map((f) => f.column);
  if (missing.length) throw new Error(\`\${path} lacks the feature columns the weights were trained with: \${missing.join(', ')}\`);
  const mean = new Map<number, number>();
  const std = new Map<number, number>();
  const categories = new Map<number, readonly string[]>();
  const columns = plan.columns.map((col, c) => {
    const f = byName.get(col.name);
    if (!f || col.role === 'target') return { ...col, role: col.role === 'target' ? col.role : ('rejected' as const), width: 0 };
    if (f.type === 'numeric') {
      mean.set(c, f.mean);
      std.set(c, f.std);
      return { ...col, type: 'numeric' as const, role: 'feature' as const, width: 1 };
    }
    categories.set(c, f.categories);
    return { ...col, type: 'categorical' as const, role: 'feature' as const, width: f.categories.length };
  });
  const featureCount = columns.reduce((n, col) => n + (col.role === 'feature' ? col.width : 0), 0);
  return { plan: { ...plan, columns, categories, featureCount }, scaling: { mean, std } };
}
`
    : ''
}
/**
 * Reads a CSV file with a header row; the target column is predicted from the rest. Column types,
 * missing values, standardization (training rows' statistics), one-hot encoding and the split are
 * Layerloom's own (layerloomData.ts)${classify ? '; class labels become ids in sorted order' : ''}.
 */
export async function loadData(path: string${saved ? ', saved: SavedPreprocessing | null' : ''}): Promise<Dataset> {
  const table = await readTable(path);
  const fitted = await planCsv(table, path, TARGET_COLUMN ?? undefined);
  for (const warning of fitted.warnings) console.warn(warning);
  for (const row of [...table.skipped, ...fitted.skipped]) console.warn(\`Skipped \${row.path}: \${row.reason}\`);
  const targetCells = Array.from(fitted.usableRows, (r) => table.cells[fitted.targetIndex][r]);
${
  classify
    ? `  const classes: readonly string[] = ${saved ? 'saved?.classes?.length ? saved.classes : ' : ''}fitted.classes;
  if (fitted.task !== 'classification') throw new Error(\`\${path}: the target column holds numbers to predict, but the model classifies; choose a class column.\`);
  const unknown = [...new Set(targetCells)].filter((v) => !classes.includes(v));
  if (unknown.length) throw new Error(\`\${path}: the target has values the model has no class for: \${unknown.join(', ')}\`);
  const labels = Float32Array.from(targetCells, (v) => classes.indexOf(v));`
    : `  const classes: string[] = [];
  const labels = Float32Array.from(targetCells, Number);`
}
  const split = stratifiedSplit(labels.length, VALIDATION_SPLIT, SEED, fitted.task === 'classification' ? labels : undefined);
${
  saved
    ? `  // The columns and scaling the exported weights were trained with, when they are used.
  const { plan, scaling } = saved?.features
    ? savedPlan(fitted, table.header, saved.features as FeatureSpec[], path)
    : { plan: fitted, scaling: fitScaling(table, fitted, split.train) };`
    : `  const plan = fitted;
  const scaling = fitScaling(table, plan, split.train);`
}
  if (plan.featureCount !== FEATURES) {
    throw new Error(\`\${path} gives \${plan.featureCount} feature values per row, but the model's input takes \${FEATURES}: change the Input shape or the CSV columns.\`);
  }
  const x = tf.tensor2d(encodeCsv(table, plan, scaling), [labels.length, FEATURES]);
  return { x, labels, classes, split };
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
