/**
 * The dataset loaders of model.py (`load_data()` for an image folder, a text folder or a CSV file),
 * preparing the data as Layerloom does when it trains, and the helpers that read the training
 * run's preprocessing.json when it is shipped with the export.
 */
import { pyString } from '../literals.js';
import { IMAGE_EXTENSIONS, MAX_CATEGORIES } from '../../training/dataset.js';
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
                data, channels=${img.channels}, dct_method="INTEGER_ACCURATE"
            )
        else:
            image = tf.io.decode_image(
                data, channels=${img.channels}, expand_animations=False
            )
    except tf.errors.InvalidArgumentError as e:
        raise SystemExit(
            f"{path} cannot be decoded ({e.message}); fix or remove it, "
            "or convert it to PNG."
        )
    return tf.image.resize(image, (${img.height}, ${img.width}), method="bilinear") / ${IMAGE_PIXEL_DIVISOR}.0


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

function csvLoader(t: TrainingPlan, saved: boolean): string {
  const classify = t.labelMode !== 'float';
  const savedClasses = saved ? `    classes = (saved or {}).get("classes") or None\n` : `    classes = None\n`;
  const targets = classify
    ? `${savedClasses}    values = [row[target] for row in rows]
    if classes is None:
        numeric = all(is_number(v) for v in values)
        classes = sorted(set(values), key=float if numeric else None)
    print(f"Classes: {classes}")
    unknown = sorted(set(values) - set(classes))
    if unknown:
        raise SystemExit(f"{target} has values without a class in the model: {unknown}")
    ids = [classes.index(v) for v in values]
${
  t.labelMode === 'categorical'
    ? '    y = np.eye(len(classes), dtype="float32")[ids]'
    : `    y = np.array(ids, dtype=${t.labelMode === 'binary' ? '"float32"' : '"int32"'})`
}`
    : `    y = np.array([float(row[target]) for row in rows], dtype="float32")`;
  const specs = saved
    ? `    if saved is not None:
        # The columns, scaling and classes the exported weights were trained with.
        specs = saved["features"]
    else:
        specs = fit_features(header, target, rows, [rows[i] for i in train])`
    : `    specs = fit_features(header, target, rows, [rows[i] for i in train])`;
  return `def number_kind(value):
    """How Layerloom reads a cell: "number", "non-finite" (NaN, 1e400) or "text"."""
    if "_" in value:  # float() reads 1_000; Layerloom does not
        return "text"
    try:
        return "number" if math.isfinite(float(value)) else "non-finite"
    except ValueError:
        return "text"


def is_number(value):
    return number_kind(value) == "number"


def decimal_comma(cells):
    """True when all non-empty cells are numbers with a decimal comma (1,5)."""
    cells = [c for c in cells if c != ""]
    return any("," in c for c in cells) and all(
        "." not in c
        and c.count(",") <= 1
        and number_kind(c.replace(",", ".")) != "text"
        for c in cells
    )


def read_table(path, lines, delimiter):
    """Rows of trimmed cells; an unclosed quoted field is an error, as in Layerloom."""
    try:
        rows = csv.reader(lines, delimiter=delimiter, strict=True)
        return [[c.strip() for c in row] for row in rows]
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            raise SystemExit(
                f"{path}: a quoted field is never closed, so the rest of the file "
                "would be read as one cell. Close the quote, or remove it (a quote "
                'inside a quoted field is written "").'
            )
    return [[c.strip() for c in row] for row in csv.reader(lines, delimiter=delimiter)]


def fit_features(header, target, rows, train_rows):
    """How each column becomes features, as Layerloom decides it.

    Numeric columns are standardized with the mean and (population) standard deviation
    of the training rows (cells that are not finite numbers, such as NaN, are empty);
    text columns with at most ${MAX_CATEGORIES} distinct values are one-hot encoded (sorted);
    other columns are left out.
    """
    specs = []
    for column in header:
        cells = [row[column] for row in rows]
        if column == target or all(cell == "" for cell in cells):
            continue
        kinds = set(number_kind(cell) for cell in cells if cell != "")
        if "text" not in kinds and "number" not in kinds:
            print(f"Column {column} is left out: no cell is a finite number.")
        elif "text" not in kinds:
            known = [float(row[column]) for row in train_rows if is_number(row[column])]
            mean = float(np.mean(known)) if known else 0.0
            std = float(np.std(known)) if known else 0.0
            specs.append(dict(column=column, type="numeric", mean=mean, std=std or 1.0))
        elif len(set(cells)) <= ${MAX_CATEGORIES}:
            categories = sorted(set(cells))
            specs.append(dict(column=column, type="categorical", categories=categories))
        else:
            print(f"Column {column} is left out: too many distinct texts to one-hot.")
    return specs


def encode_features(rows, specs):
    """Features: standardized numbers (empty or NaN cells: the mean), one-hot text."""
    parts = []
    for spec in specs:
        cells = [row[spec["column"]] for row in rows]
        if spec["type"] == "numeric":
            mean, std = spec["mean"], spec["std"]
            values = [float(c) if is_number(c) else mean for c in cells]
            values = np.array(values, "float32")
            parts.append(((values - mean) / std)[:, None])
        else:
            one_hot = [[cell == c for c in spec["categories"]] for cell in cells]
            parts.append(np.array(one_hot, dtype="float32"))
    return np.concatenate(parts, axis=1)


def load_data(path, validation_split${saved ? ', saved' : ''}):
    """Loads a CSV file with a header row; the target column is predicted from the rest.

    Rows are shuffled with SEED and the first validation_split of them held out${classify ? ';\n    class labels become ids in sorted order' : ''}. Returns ((x_train, y_train),
    (x_val, y_val)); the validation pair is None when validation_split is 0.
    """
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\\n", 0, e.start) + 1
        raise SystemExit(
            f"{path} is not UTF-8 text: byte {e.start} (0x{data[e.start]:02X}, "
            f"on line {line}) is not valid UTF-8. Save the file as UTF-8."
        )
    header_line = text.splitlines()[0] if text else ""
    delimiter = max([",", ";", "\\t"], key=header_line.count)
    lines = text.splitlines()
    table = read_table(path, lines, delimiter)
    header = table[0]
    body = [r for r in table[1:] if len(r) == len(header)]
    if delimiter == ";":
        # Files from locales that write 1,5 for 1.5: such columns are read as numbers.
        for c in range(len(header)):
            if decimal_comma([r[c] for r in body]):
                for r in body:
                    r[c] = r[c].replace(",", ".")
    target = TARGET_COLUMN or header[-1]
    if target not in header:
        raise SystemExit(f"{path} has no column {target}; its columns are {header}.")
    t = header.index(target)
    # Rows without a target, or whose target is not a finite number (NaN), are left out.
    rows = [
        dict(zip(header, r))
        for r in body
        if r[t] != "" and number_kind(r[t]) != "non-finite"
    ]
    if not rows:
        raise SystemExit(f"{path} has no row with a value in the column {target}.")
${targets}
    train, validation = stratified_split(len(rows), validation_split, SEED, ${classify ? 'ids' : 'None'})
${specs}
    missing = [s["column"] for s in specs if s["column"] not in header]
    if not specs or missing:
        raise SystemExit(f"{path} lacks feature columns (besides {target}): {missing}")
    x = encode_features(rows, specs)
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
