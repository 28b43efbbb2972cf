/**
 * The dataset loaders of train.ts (`loadData()` for an image folder, a text folder or a CSV file),
 * preparing the data as Layerloom and the Python export do, and the reading of the training run's
 * preprocessing.json when it is shipped with the export.
 */
import { tsString } from '../literals.js';
import { MAX_CATEGORIES } from '../../training/dataset.js';
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
  const rows = shuffle(body.filter((r) => r[t] !== '' && cellKind(r[t]) !== 'non-finite'));
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
      if (f.type === 'numeric') return [((isNumber(cell) ? Number(cell) : f.mean) - f.mean) / f.std];
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
