/**
 * The dataset loaders of train.ts (`loadData()` for an image folder, a text folder or a CSV file),
 * preparing the data as Layerloom and the Python export do, and the reading of the training run's
 * preprocessing.json when it is shipped with the export.
 */
import { tsString } from '../literals.js';
import { IMAGE_EXTENSIONS, MAX_CATEGORIES } from '../../training/dataset.js';
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
          ? tf.node.decodeJpeg(bytes, ${img.channels}, 1, true, false, 1, 'INTEGER_ACCURATE')
          : (tf.node.decodeImage(bytes, ${img.channels}, 'int32', false) as tf.Tensor3D);
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

/** How Layerloom reads a cell: a finite number, a number that is not finite (NaN, Infinity, 1e400), or text. */
function cellKind(s: string): 'number' | 'non-finite' | 'text' {
  if (s === '' || /^[+-]?0[xob]/i.test(s)) return 'text';
  const n = Number(s);
  if (Number.isFinite(n)) return 'number';
  return n === Infinity || n === -Infinity || /^[+-]?(nan|inf|infinity)$/i.test(s) ? 'non-finite' : 'text';
}

function isNumber(s: string): boolean {
  return cellKind(s) === 'number';
}

/** True when every non-empty cell is a number written with a decimal comma (1,5), one at least. */
function decimalComma(cells: readonly string[]): boolean {
  const filled = cells.filter((c) => c !== '');
  return filled.some((c) => c.includes(',')) && filled.every((c) => !c.includes('.') && c.split(',').length <= 2 && cellKind(c.replace(',', '.')) !== 'text');
}

/**
 * Splits CSV text into rows of trimmed cells (quotes with "" escapes; , ; or tab separated). A
 * quoted field that is never closed is an error, as in Layerloom. Returns the delimiter too.
 */
function parseCsv(text: string, path: string): { rows: string[][]; delimiter: string } {
  const firstLine = text.split(/\\r?\\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\\t'].reduce((best, d) => (firstLine.split(d).length > firstLine.split(best).length ? d : best));
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      quoteLine = line;
      cell = '';
    } else if (ch === delimiter) {
      row.push(cell.trim());
      cell = '';
    } else if (ch === '\\n' || ch === '\\r') {
      if (ch === '\\r' && text[i + 1] === '\\n') i++;
      line++;
      row.push(cell.trim());
      if (row.some((c) => c !== '')) rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (quoted) {
    throw new Error(\`\${path}: the quoted field that starts on line \${quoteLine} is never closed, so the rest of the file would be read as one cell. Close the quote, or remove it (a quote inside a quoted field is written "").\`);
  }
  row.push(cell.trim());
  if (row.some((c) => c !== '')) rows.push(row);
  return { rows, delimiter };
}

/** The file's text; bytes that are not UTF-8 are an error naming the first one, as in Layerloom. */
async function readUtf8(path: string): Promise<string> {
  const bytes = await readFile(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(\`\${path} is not UTF-8 text. Save the file as UTF-8.\`);
  }
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
    const kinds = new Set(cells.filter((v) => v !== '').map(cellKind));
    if (!kinds.has('text') && !kinds.has('number')) {
      console.warn(\`Column \${column} is left out: no cell is a finite number.\`);
    } else if (!kinds.has('text')) {
      // Cells that are not finite numbers (NaN) count as empty.
      const known = train.map((r) => r[c]).filter(isNumber).map(Number);
      const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
      const std = known.length ? Math.sqrt(known.reduce((a, b) => a + (b - mean) ** 2, 0) / known.length) : 0;
      specs.push({ column, type: 'numeric', mean, std: std || 1 });
    } else if (new Set(cells).size <= ${MAX_CATEGORIES}) {
      specs.push({ column, type: 'categorical', categories: [...new Set(cells)].sort(compareCodePoints) });
    } else {
      console.warn(\`Column \${column} is left out: too many distinct texts to one-hot encode.\`);
    }
  });
  return specs;
}

/**
 * Reads a CSV file with a header row; the target column is predicted from the rest. The split is
 * Layerloom's (seeded${classify ? ', stratified by class' : ''}); numeric columns are standardized with the training rows'
 * statistics${classify ? '; class labels become ids in sorted order' : ''}.
 */
export async function loadData(path: string${saved ? ', saved: SavedPreprocessing | null' : ''}): Promise<Dataset> {
  const { rows: table, delimiter } = parseCsv((await readUtf8(path)).replace(/^\\uFEFF/, ''), path);
  const [header, ...all] = table;
  if (!header) throw new Error(\`\${path} is empty.\`);
  const body = all.filter((r) => r.length === header.length);
  if (delimiter === ';') {
    // Files from locales that write 1,5 for 1.5: such columns are read as numbers.
    header.forEach((_, c) => {
      if (decimalComma(body.map((r) => r[c]))) for (const r of body) r[c] = r[c].replace(',', '.');
    });
  }
  const target = TARGET_COLUMN ?? header[header.length - 1];
  const t = header.indexOf(target);
  if (t < 0) throw new Error(\`\${path} has no column "\${target}"; its columns are \${header.join(', ')}.\`);
  // Rows without a target value, or with a target that is not a finite number (NaN), are left out.
  const rows = body.filter((r) => r[t] !== '' && cellKind(r[t]) !== 'non-finite');
  if (rows.length === 0) throw new Error(\`\${path} has no row with a value in the column "\${target}".\`);
${saved ? `  const savedClasses = saved?.classes?.length ? saved.classes : null;` : `  const savedClasses: readonly string[] | null = null;`}
${
  classify
    ? `  const values = rows.map((r) => r[t]);
  const numeric = values.every(isNumber);
  const classes = savedClasses ?? [...new Set(values)].sort(numeric ? (a, b) => Number(a) - Number(b) : compareCodePoints);
  const unknown = [...new Set(values)].filter((v) => !classes.includes(v));
  if (unknown.length) throw new Error(\`\${path}: \${target} has values the model has no class for: \${unknown.join(', ')}\`);
  const labels = Float32Array.from(values.map((v) => classes.indexOf(v)));
  const split = stratifiedSplit(rows.length, VALIDATION_SPLIT, SEED, labels);`
    : `  const classes: string[] = [];
  void savedClasses;
  const labels = Float32Array.from(rows.map((r) => Number(r[t])));
  const split = stratifiedSplit(rows.length, VALIDATION_SPLIT, SEED);`
}
  const trainRows = Array.from(split.train, (i) => rows[i]);
${
  saved
    ? `  // The columns and scaling the exported weights were trained with, when they are used.
  const specs = (saved?.features as FeatureSpec[] | undefined) ?? fitFeatures(header, t, rows, trainRows);`
    : `  const specs = fitFeatures(header, t, rows, trainRows);`
}
  const index = new Map(header.map((h, c) => [h, c]));
  const missing = specs.filter((f) => !index.has(f.column)).map((f) => f.column);
  if (specs.length === 0 || missing.length) throw new Error(\`\${path} lacks feature columns besides the target \${target}: \${missing.join(', ')}\`);
  const x = rows.map((r) =>
    specs.flatMap((f) => {
      const cell = r[index.get(f.column) as number];
      if (f.type === 'numeric') return [((isNumber(cell) ? Number(cell) : f.mean) - f.mean) / f.std];
      return f.categories.map((k) => (cell === k ? 1 : 0));
    }),
  );
  if ((x[0]?.length ?? 0) !== FEATURES) {
    throw new Error(\`\${path} gives \${x[0]?.length ?? 0} feature values per row, but the model's input takes \${FEATURES}: change the Input shape or the CSV columns.\`);
  }
  return { x: tf.tensor2d(x, [x.length, FEATURES]), labels, classes, split };
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
