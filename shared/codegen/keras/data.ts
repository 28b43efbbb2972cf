/**
 * The dataset loaders of model.py (`load_data()` for an image folder, a text folder or a CSV file),
 * preparing the data as Layerloom does when it trains, and the helpers that read the training
 * run's preprocessing.json when it is shipped with the export.
 */
import { pyString } from '../literals.js';
import { CSV_DIALECT, MAX_CATEGORIES, MAX_INTEGER_CLASSES } from '../../training/csvPrep.js';
import { IMAGE_EXTENSIONS } from '../../training/dataset.js';
import { IMAGE_PIXEL_DIVISOR, type TrainingPlan } from '../training.js';

/**
 * The data sections of model.py, in file order: the preprocessing.json helpers when `saved`, then
 * the loader of the dataset's kind (none when the model has no dataset loader).
 */
export function dataSections(t: TrainingPlan, saved: boolean): string[] {
  const sections: string[] = [];
  if (saved) sections.push(preprocessingHelpers());
  if (t.dataKind) sections.push(SPLIT_HELPERS);
  if (t.dataKind === 'images' || t.dataKind === 'text') sections.push(LISTING_HELPERS);
  if (t.dataKind === 'images') sections.push(imageLoader(t, saved));
  if (t.dataKind === 'text') sections.push(textLoader(t, saved));
  if (t.dataKind === 'csv') sections.push(csvLoader(t, saved));
  return sections;
}

/**
 * Layerloom's split (shared/training/split.ts), line for line: mulberry32 in 32-bit integer
 * arithmetic, Fisher–Yates per class, Math.round's half-up rounding.
 */
const SPLIT_HELPERS = `def seeded_random(seed):
    """Layerloom's seeded random source (mulberry32): floats in [0, 1), the same for
    a seed in Layerloom, this file and the TypeScript export (32-bit arithmetic)."""
    a = (int(seed) & 0xFFFFFFFF) ^ 0x9E3779B9

    def imul(x, y):
        return (x * y) & 0xFFFFFFFF

    def random():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = imul(a ^ (a >> 15), 1 | a)
        t = ((t + imul(t ^ (t >> 7), 61 | t)) & 0xFFFFFFFF) ^ t
        return (t ^ (t >> 14)) / 4294967296

    return random


def round_half_up(x):
    """JavaScript's Math.round (Python's round() rounds halves to even)."""
    floor = math.floor(x)
    return floor + 1 if x - floor >= 0.5 else floor


def stratified_split(count, fraction, seed, labels=None):
    """Layerloom's train/validation split of sample indices 0..count-1.

    With labels (class ids) each class gives round(n * fraction) samples to validation
    (at least one when it has two or more, never all of them), chosen by a Fisher-Yates
    shuffle of its samples; the classes draw from one seeded random source in
    ascending order. Returns (train, validation), both in ascending order.
    """
    random = seeded_random(seed)
    groups = {}
    for i in range(count):
        groups.setdefault(labels[i] if labels is not None else 0, []).append(i)
    validation = set()
    for key in sorted(groups):
        members = groups[key]
        for i in range(len(members) - 1, 0, -1):
            j = math.floor(random() * (i + 1))
            members[i], members[j] = members[j], members[i]
        take = round_half_up(len(members) * fraction) if fraction > 0 else 0
        if fraction > 0 and take == 0 and len(members) >= 2 and labels is not None:
            take = 1
        if take >= len(members) > 0:
            take = len(members) - 1
        validation.update(members[:take])
    train = [i for i in range(count) if i not in validation]
    return train, sorted(validation)
`;

/** Listing class folders as Layerloom does (datasetService.ts). */
const LISTING_HELPERS = `def list_class_files(path, accept):
    """Class folders (names not starting with ".") and their files, as Layerloom lists
    them: names in code point order, sub-folders walked recursively, symbolic links
    followed, files kept when accept(name) says so. The split depends on this order."""
    classes, per_class = [], []
    for name in sorted(os.listdir(path)):
        if name.startswith(".") or not os.path.isdir(os.path.join(path, name)):
            continue
        files = []

        def walk(folder):
            for entry in sorted(os.listdir(folder)):
                full = os.path.join(folder, entry)
                if os.path.isdir(full):
                    walk(full)
                elif os.path.isfile(full) and accept(entry):
                    files.append(full)

        walk(os.path.join(path, name))
        classes.append(name)
        per_class.append(files)
    return classes, per_class


def keep_non_empty(classes, per_class):
    """Leaves out class folders with no usable file, as Layerloom does.

    Returns (classes, files, labels): labels are indices into the kept classes."""
    kept = [(name, files) for name, files in zip(classes, per_class) if files]
    files = [f for _, fs in kept for f in fs]
    labels = [label for label, (_, fs) in enumerate(kept) for _ in fs]
    return [name for name, _ in kept], files, labels


def encode_labels(labels, num_classes):
    """Class ids as the loss wants them (LABEL_MODE)."""
    if LABEL_MODE == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    if LABEL_MODE == "binary":
        return np.array(labels, dtype="float32")[:, None]
    return np.array(labels, dtype="int32")


def batches(x, y, batch_size, shuffle):
    """A tf.data pipeline of (x, y) batches; training batches reshuffle each epoch."""
    data = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        data = data.shuffle(len(y), seed=SEED, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)
`;

function imageLoader(t: TrainingPlan, saved: boolean): string {
  const img = t.image as NonNullable<TrainingPlan['image']>;
  const augment = t.settings.augment
    ? `
    # Random flips and small shifts while training, as Layerloom's "augment" setting does.
    augment = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1)]
    )
    train = train.map(
        lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
    )`
    : '';
  return `IMAGE_EXTENSIONS = (${IMAGE_EXTENSIONS.map(pyString).join(', ')})


def load_image(path):
    """One image as Layerloom reads it: ${img.channels} channel(s), resized to ${img.height}x${img.width} with bilinear
    interpolation at half-pixel centres (tf.image.resize), pixels divided by ${IMAGE_PIXEL_DIVISOR}."""
    data = tf.io.read_file(path)
    try:
        if tf.io.is_jpeg(data):
            # The accurate integer DCT, as Layerloom's decoder (libjpeg-turbo's default)
            # decodes JPEG; TensorFlow's default "fast" DCT is up to 5 levels off.
            image = tf.io.decode_jpeg(
                data, channels=${img.channels === 1 ? 3 : img.channels}, dct_method="INTEGER_ACCURATE"
            )
        else:
            image = tf.io.decode_image(
                data, channels=${img.channels === 1 ? 3 : img.channels}, expand_animations=False
            )
    except tf.errors.InvalidArgumentError as e:
        raise SystemExit(
            f"{path} cannot be decoded ({e.message}); fix or remove it, "
            "or convert it to PNG."
        )
${
    img.channels === 1
      ? `    # Grey from RGB by Layerloom's rule for every format, as TensorFlow's PNG decoder
    # computes it: (9798 R + 19235 G + 3735 B) >> 15.
    rgb = tf.cast(image, tf.int32)
    r, g, b = rgb[..., :1], rgb[..., 1:2], rgb[..., 2:3]
    image = (r * 9798 + g * 19235 + b * 3735) // 32768
`
      : ''
  }    return tf.image.resize(image, (${img.height}, ${img.width}), method="bilinear") / ${IMAGE_PIXEL_DIVISOR}.0


def read_images(path, validation_split${saved ? ', saved' : ''}):
    """The images as arrays, split as Layerloom splits them.

    Returns (classes, files, labels, x, train, validation): train and validation are
    sample indices (ascending)."""
    classes, per_class = list_class_files(
        path, lambda name: os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
    )
    classes, files, labels = keep_non_empty(classes, per_class)
    if not files:
        raise SystemExit(f"{path} has no images in class subfolders.")
    print(f"Classes: {classes}")${
    saved
      ? `
    if saved is not None:
        check_classes(classes, saved["classes"])`
      : ''
  }
    x = np.stack([load_image(f).numpy() for f in files])
    train, validation = stratified_split(len(files), validation_split, SEED, labels)
    return classes, files, labels, x, train, validation


def load_data(path, batch_size, validation_split${saved ? ', saved' : ''}):
    """Loads an image folder with a subfolder of images per class (names sorted).

    As Layerloom does when it trains: the same files, the same validation samples for
    SEED, the same pixels (see load_image). Returns (train, validation) datasets of
    batches; validation is None when validation_split is 0.${saved ? '\n    saved: the preprocessing the weights were trained with (same classes), or None.' : ''}
    """
    classes, files, labels, x, train, validation = read_images(
        path, validation_split${saved ? ', saved' : ''}
    )
    y = encode_labels(labels, len(classes))
    train = batches(x[train], y[train], batch_size, shuffle=True)${augment}
    if not validation:
        return train, None
    return train, batches(x[validation], y[validation], batch_size, shuffle=False)
`;
}

function textLoader(t: TrainingPlan, saved: boolean): string {
  const txt = t.text as NonNullable<TrainingPlan['text']>;
  const vocabulary = saved
    ? `    if saved is not None:
        # The vocabulary and classes the exported weights were trained with.
        check_classes(classes, saved["classes"])
        vocabulary = saved["vocabulary"]
    else:
        vocabulary = build_vocabulary([tokens[i] for i in train])`
    : `    vocabulary = build_vocabulary([tokens[i] for i in train])`;
  return `def standardize_and_split(texts):
    """TextVectorization's default standardize and split, with its own ops: A-Z
    lower-cased, ASCII punctuation stripped, split on ASCII whitespace."""
    texts = tf.strings.lower(tf.constant(texts))
    punctuation = r'[!"#$%&()\\*\\+,-\\./:;<=>?@\\[\\\\\\]^_\`{|}~\\']'
    texts = tf.strings.regex_replace(texts, punctuation, "")
    return [[w.decode("utf-8") for w in ws] for ws in tf.strings.split(texts).to_list()]


def build_vocabulary(texts):
    """Layerloom's vocabulary: the most frequent training tokens, ties in code point
    order, VOCABULARY_SIZE - 2 of them (ids 0 and 1 are padding and [UNK])."""
    counts = {}
    for tokens in texts:
        for w in tokens:
            counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [w for w, _ in ranked[: VOCABULARY_SIZE - 2]]


def read_texts(path, validation_split${saved ? ', saved' : ''}):
    """The texts as token ids, split as Layerloom splits them.

    Returns (classes, files, labels, x, train, validation): train and validation are
    sample indices (ascending). Files with no word are left out, as in Layerloom."""
    classes, per_class = list_class_files(
        path, lambda name: os.path.splitext(name)[1].lower() == ".txt"
    )
    usable, raw, words = [], {}, {}
    for files in per_class:
        for f in files:
            with open(f, "rb") as handle:
                data = handle.read()
            if b"\\0" not in data:
                raw[f] = data.decode("utf-8", errors="replace")
        kept = [f for f in files if f in raw]
        for f, tokens in zip(kept, standardize_and_split([raw[f] for f in kept])):
            if tokens:
                words[f] = tokens
        usable.append([f for f in kept if f in words])
    classes, files, labels = keep_non_empty(classes, usable)
    if not files:
        raise SystemExit(f"{path} has no .txt files with words in class subfolders.")
    print(f"Classes: {classes}")
    tokens = [words[f] for f in files]
    train, validation = stratified_split(len(files), validation_split, SEED, labels)
${vocabulary}
    length = ${txt.sequenceLength === null ? 'min(max(1, max(len(ws) for ws in tokens)), 512)' : 'SEQUENCE_LENGTH'}
    vectorize = layers.TextVectorization(
        max_tokens=VOCABULARY_SIZE,
        output_mode="int",
        output_sequence_length=length,
        vocabulary=list(vocabulary),
    )
    x = np.asarray(vectorize(tf.constant([raw[f] for f in files])), dtype="int32")
    return classes, files, labels, x, train, validation


def load_data(path, batch_size, validation_split${saved ? ', saved' : ''}):
    """Loads a text folder with a subfolder of .txt files per class (names sorted).

    Texts become token ids with TextVectorization, matching the Embedding and Layerloom:
    A-Z lower-cased, punctuation stripped, split on ASCII whitespace; ${txt.vocabularySize} ids at
    most (0 = padding, 1 = unknown word, then the most frequent training words); each
    text ${txt.sequenceLength === null ? 'cut or padded to the longest text (at most 512 tokens)' : `cut or padded to ${txt.sequenceLength} tokens`}. Returns (train, validation)
    datasets of batches; validation is None when validation_split is 0.${saved ? '\n    saved: the preprocessing the weights were trained with (same classes), or None.' : ''}
    """
    classes, files, labels, x, train, validation = read_texts(
        path, validation_split${saved ? ', saved' : ''}
    )
    y = encode_labels(labels, len(classes))
    train = batches(x[train], y[train], batch_size, shuffle=True)
    if not validation:
        return train, None
    return train, batches(x[validation], y[validation], batch_size, shuffle=False)
`;
}

/**
 * The CSV loader of model.py: Layerloom's reading and its csvPrep.ts rules (cell kinds, decimal
 * commas, column types and roles, missing values, standardization, one-hot, label order),
 * mirrored line for line.
 */
function csvLoader(t: TrainingPlan, saved: boolean): string {
  const classify = t.labelMode !== 'float';
  const labels = classify
    ? `    classes = ${saved ? '(saved or {}).get("classes") or ' : ''}plan["classes"]
    if plan["task"] != "classification":
        raise SystemExit(
            f"{path}: the target column holds numbers to predict, but the model "
            "classifies; choose a class column."
        )
    print(f"Classes: {classes}")
    unknown = sorted(set(values) - set(classes))
    if unknown:
        raise SystemExit(f"{path}: the target has values without a class: {unknown}")
    ids = [classes.index(v) for v in values]
${
  t.labelMode === 'categorical'
    ? '    y = np.eye(len(classes), dtype="float32")[ids]'
    : `    y = np.array(ids, dtype=${t.labelMode === 'binary' ? '"float32"' : '"int32"'})`
}`
    : `    ids = None
    y = np.array([float(v) for v in values], dtype="float32")`;
  const scaling = saved
    ? `    if saved is not None:
        # The columns and scaling the exported weights were trained with.
        plan, scaling = saved_plan(plan, header, saved["features"], path)
    else:
        scaling = fit_scaling(cells, plan, train)`
    : `    scaling = fit_scaling(cells, plan, train)`;
  return `MAX_CATEGORIES = ${MAX_CATEGORIES}  # text columns with more distinct values are left out
MAX_INTEGER_CLASSES = ${MAX_INTEGER_CLASSES}  # integer targets with more values are regression
# Layerloom's CSV dialect (csvPrep.ts CSV_DIALECT): candidate delimiters, in order.
CSV_DELIMITERS = [${CSV_DIALECT.delimiters.map(pyString).join(', ')}]
# JavaScript's trim() whitespace (Python's strip() set differs).
JS_WHITESPACE = (
    " \\t\\n\\v\\f\\r\\u00a0\\u1680\\u2000\\u2001\\u2002\\u2003\\u2004\\u2005\\u2006"
    "\\u2007\\u2008\\u2009\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)


def cell_kind(cell):
    """What Layerloom makes of a trimmed cell: "number", "non-finite" (NaN, inf,
    1e400) or "text". As JavaScript's Number(): ASCII only, no 1_000, no 0x10."""
    if cell == "" or not cell.isascii() or "_" in cell:
        return "text"
    if cell.lstrip("+-")[:2].lower() in ("0x", "0o", "0b"):
        return "text"
    try:
        number = float(cell)
    except ValueError:
        return "text"
    return "number" if math.isfinite(number) else "non-finite"


def is_decimal_comma_column(cells):
    """True when every non-empty cell is a number written with a decimal comma (1,5),
    one of them at least with the comma: no point, at most one comma."""
    comma = False
    for v in cells:
        if v == "":
            continue
        if "." in v or v.count(",") > 1:
            return False
        comma = comma or "," in v
        if cell_kind(v.replace(",", ".", 1)) == "text":
            return False
    return comma


def csv_delimiter(first_line):
    """The delimiter the first line holds most of (a tie: the earlier one)."""
    return max(CSV_DELIMITERS, key=first_line.count)


def read_table(path):
    """The CSV as Layerloom reads it (csvPrep.ts CSV_DIALECT, CsvTableBuilder): UTF-8
    (a BOM is dropped), the delimiter, quoted fields (a quote opens one only as a
    field's first character; "" inside it is a quote), any line break, blank lines
    dropped, cells trimmed, rows with another number of fields than the header left
    out and listed with their line; in a ;-separated file a column of decimal commas
    (1,5) is read as numbers. Returns dict(header, cells by column, lines of the
    rows, skipped: [(line, reason)])."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\\n", 0, e.start) + 1
        raise SystemExit(
            f"{path} is not UTF-8 text: byte {e.start} (0x{data[e.start]:02X}, "
            f"on line {line}) is not valid UTF-8. Save the file as UTF-8."
        )
    text = text.removeprefix("\\ufeff")
    delimiter = csv_delimiter(text.replace("\\r", "\\n").split("\\n", 1)[0])
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        ${pythonCsvDialect()}
    )
    header, rows, lines, skipped = None, [], [], []
    start = 1  # the line the next record starts on
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if len(record) <= 1 and "".join(record).strip(JS_WHITESPACE) == "":
                continue
            if header is None:
                header = [h.strip(JS_WHITESPACE) for h in record]
            elif len(record) != len(header):
                n, s = len(record), "" if len(record) == 1 else "s"
                why = f"line {line} has {n} field{s}, the header has {len(header)}"
                skipped.append((line, why))
            else:
                rows.append(record)
                lines.append(line)
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            raise SystemExit(
                f"{path}: the quoted field that starts on line {start} is never "
                f"closed, so the rest of the file from line {start} on would be read "
                "as one cell. Close the quote, or remove it (a quote inside a quoted "
                'field is written "").'
            )
        raise SystemExit(f"{path}: line {start} cannot be read as CSV ({e}).")
    if header is None:
        raise SystemExit(f"{path} is empty. A CSV dataset needs a header row and rows.")
    for c, name in enumerate(header):
        if name == "":
            raise SystemExit(
                f"{path}: column {c + 1} of the header row has no name. Give every "
                "column a name in the first row."
            )
        if header.count(name) > 1:
            raise SystemExit(
                f'{path}: the header names column "{name}" twice. Column names must '
                "be unique."
            )
    cells = [[r[c].strip(JS_WHITESPACE) for r in rows] for c in range(len(header))]
    if delimiter == ";":
        for column in cells:
            if is_decimal_comma_column(column):
                column[:] = [v.replace(",", ".", 1) for v in column]
    return dict(header=header, cells=cells, lines=lines, skipped=skipped)


def plan_csv(header, cells, target):
    """Layerloom's column rules (its csvPrep.ts planCsv): usable rows (target not empty,
    not NaN), each column's type and role, one-hot categories, the task and the classes.
    Non-finite cells of a numeric column become empty (filled with the mean)."""
    t = header.index(target)
    usable = [r for r, v in enumerate(cells[t]) if v and cell_kind(v) != "non-finite"]
    if not usable:
        raise SystemExit(f"The CSV has no row with a value in the column {target}.")
    plan = dict(
        columns=[], categories={}, task="classification", classes=[], usable=usable
    )
    for c, name in enumerate(header):
        column = cells[c]
        numeric, finite, non_finite, distinct = True, 0, [], {}
        for r in usable:
            v = column[r]
            if v == "":
                continue
            if numeric:
                kind = cell_kind(v)
                if kind == "number":
                    finite += 1
                elif kind == "non-finite":
                    non_finite.append(r)
                else:
                    numeric = False
            distinct[v] = True
        if c == t:
            values = list(distinct)
            integers = numeric and all(float(v).is_integer() for v in values)
            if numeric and not (integers and len(values) <= MAX_INTEGER_CLASSES):
                plan["task"] = "regression"
            else:
                plan["classes"] = sorted(values, key=float if numeric else None)
            plan["columns"].append(("target", None))
            continue
        if numeric:
            for r in non_finite:
                distinct.pop(column[r], None)
                column[r] = ""
            plan["columns"].append(("feature" if finite else "rejected", "numeric"))
            continue
        if any(column[r] == "" for r in usable):
            distinct[""] = True
        if len(distinct) > MAX_CATEGORIES:
            print(f"Column {name} is left out: over {MAX_CATEGORIES} distinct texts.")
            plan["columns"].append(("rejected", "categorical"))
            continue
        plan["categories"][c] = sorted(distinct)
        plan["columns"].append(("feature", "categorical"))
    return plan
${
  saved
    ? `

def saved_plan(plan, header, features, path):
    """The plan and scaling the exported weights were trained with, for this file."""
    missing = [f["column"] for f in features if f["column"] not in header]
    if missing:
        raise SystemExit(f"{path} lacks the feature columns of the weights: {missing}")
    by_name = {f["column"]: f for f in features}
    columns, categories, scaling = [], {}, {}
    for c, name in enumerate(header):
        f = by_name.get(name)
        role = plan["columns"][c][0]
        if role == "target" or f is None:
            columns.append((role if role == "target" else "rejected", None))
        elif f["type"] == "numeric":
            columns.append(("feature", "numeric"))
            scaling[c] = (f["mean"], f["std"])
        else:
            columns.append(("feature", "categorical"))
            categories[c] = f["categories"]
    return dict(plan, columns=columns, categories=categories), scaling`
    : ''
}


def fit_scaling(cells, plan, samples):
    """Mean and population standard deviation of each numeric feature over the training
    samples (indices into the usable rows), in float64 with a running sum as Layerloom
    sums; a constant column gets 1 (it becomes zeros)."""
    scaling = {}
    for c, (role, kind) in enumerate(plan["columns"]):
        if role != "feature" or kind != "numeric":
            continue
        known = [cells[c][plan["usable"][k]] for k in samples]
        known = [float(v) for v in known if v != ""]
        total = 0.0
        for v in known:
            total += v
        mean = total / len(known) if known else 0.0
        squares = 0.0
        for v in known:
            squares += (v - mean) ** 2
        std = math.sqrt(squares / len(known)) if len(known) > 1 else 0.0
        scaling[c] = (mean, std if std > 0 else 1.0)
    return scaling


def encode_csv(cells, plan, scaling):
    """The feature matrix of the usable rows: numbers standardized (empty: 0, the mean),
    text one-hot, in column order; computed in float64, stored as float32."""
    parts = []
    for c, (role, kind) in enumerate(plan["columns"]):
        if role != "feature":
            continue
        column = [cells[c][r] for r in plan["usable"]]
        if kind == "numeric":
            mean, std = scaling[c]
            values = [0.0 if v == "" else (float(v) - mean) / std for v in column]
            parts.append(np.array(values, dtype="float32")[:, None])
        else:
            index = {v: i for i, v in enumerate(plan["categories"][c])}
            one_hot = np.zeros((len(column), len(index)), dtype="float32")
            for row, v in enumerate(column):
                if v in index:
                    one_hot[row, index[v]] = 1
            parts.append(one_hot)
    return np.concatenate(parts, axis=1)


def load_data(path, validation_split${saved ? ', saved' : ''}):
    """Loads a CSV file with a header row; the target column is predicted from the rest.

    Columns, missing values, scaling, one-hot encoding${classify ? ', class order' : ''} and the split are
    Layerloom's (see plan_csv, fit_scaling, encode_csv, stratified_split). Returns
    ((x_train, y_train), (x_val, y_val)); the validation pair is None when
    validation_split is 0.
    """
    table = read_table(path)
    header, cells = table["header"], table["cells"]
    for line, reason in table["skipped"]:
        print(f"Skipped {path}:{line}: {reason}")
    target = TARGET_COLUMN or header[-1]
    if target not in header:
        raise SystemExit(f"{path} has no column {target}; its columns are {header}.")
    plan = plan_csv(header, cells, target)
    values = [cells[header.index(target)][r] for r in plan["usable"]]
${labels}
    stratify = ids if plan["task"] == "classification" else None
    train, validation = stratified_split(len(values), validation_split, SEED, stratify)
${scaling}
    x = encode_csv(cells, plan, scaling)
    if x.shape[1] != FEATURES:
        raise SystemExit(
            f"{path} gives {x.shape[1]} feature values per row, but the model's input "
            f"takes {FEATURES}: change the Input shape or the CSV columns."
        )
    if not validation:
        return (x, y), None
    return (x[train], y[train]), (x[validation], y[validation])
`;
}

/**
 * csv.reader's keyword arguments for Layerloom's CSV dialect (CSV_DIALECT), which the app and the
 * TypeScript export hand to csv-parse: the quote, doubled inside a quoted field; a quote opens a
 * field only as its first character (no skipinitialspace); strict, so text after a closing quote
 * is refused with its line rather than read one way here and another in csv-parse.
 */
function pythonCsvDialect(): string {
  return `quotechar=${pyString(CSV_DIALECT.quote)},
        doublequote=True,
        skipinitialspace=False,
        strict=True,`;
}

/** Helpers for reading the training run's preprocessing.json shipped with the export. */
function preprocessingHelpers(): string {
  return `def saved_preprocessing(kind):
    """How the exported weights' training run prepared its data (None: not shipped)."""
    if not os.path.exists(PREPROCESSING):
        return None
    with open(PREPROCESSING, encoding="utf-8") as f:
        saved = json.load(f)
    return saved if saved.get("kind") == kind else None


def check_classes(found, trained):
    """Refuses a dataset whose classes differ from those the weights were trained on."""
    if list(found) != list(trained):
        raise SystemExit(
            f"The dataset's classes {list(found)} differ from the ones the exported "
            f"weights were trained on {list(trained)}; use --weights none to restart."
        )
`;
}
