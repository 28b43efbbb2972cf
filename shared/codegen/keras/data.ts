/**
 * The dataset loaders of model.py (`load_data()` for an image folder, a text folder or a CSV file),
 * preparing the data as Layerloom does when it trains, and the helpers that read the training
 * run's preprocessing.json when it is shipped with the export.
 */
import { pyString } from '../literals.js';
import { MAX_CATEGORIES } from '../../training/dataset.js';
import { IMAGE_PIXEL_DIVISOR, type TrainingPlan } from '../training.js';

/**
 * The data sections of model.py, in file order: the preprocessing.json helpers when `saved`, then
 * the loader of the dataset's kind (none when the model has no dataset loader).
 */
export function dataSections(t: TrainingPlan, saved: boolean): string[] {
  const sections: string[] = [];
  if (saved) sections.push(preprocessingHelpers());
  if (t.dataKind === 'images') sections.push(imageLoader(t, saved));
  if (t.dataKind === 'text') sections.push(textLoader(t, saved));
  if (t.dataKind === 'csv') sections.push(csvLoader(t, saved));
  return sections;
}

function imageLoader(t: TrainingPlan, saved: boolean): string {
  const img = t.image as NonNullable<TrainingPlan['image']>;
  const labelMode = t.labelMode === 'float' ? 'int' : t.labelMode;
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
  return `def load_data(path, batch_size, validation_split${saved ? ', saved' : ''}):
    """Loads an image folder with a subfolder of images per class (names sorted).

    As Layerloom does when it trains: images are resized to ${img.height}x${img.width} (bilinear, ${img.colorMode})
    and pixels divided by ${IMAGE_PIXEL_DIVISOR}. Returns (train, validation) datasets of batches;
    validation is None when validation_split is 0.${saved ? '\n    saved: the preprocessing the weights were trained with (same classes), or None.' : ''}
    """
    options = dict(
        labels="inferred",
        label_mode=${pyString(labelMode)},
        color_mode=${pyString(img.colorMode)},
        image_size=(${img.height}, ${img.width}),
        batch_size=batch_size,
        seed=SEED,
    )
    if validation_split > 0:
        train, validation = keras.utils.image_dataset_from_directory(
            path, validation_split=validation_split, subset="both", **options
        )
    else:
        train = keras.utils.image_dataset_from_directory(path, **options)
        validation = None
    print(f"Classes: {train.class_names}")${
    saved
      ? `
    if saved is not None:
        check_classes(train.class_names, saved["classes"])`
      : ''
  }

    def scale(x, y):
        return x / ${IMAGE_PIXEL_DIVISOR}.0, y

    train = train.map(scale, num_parallel_calls=tf.data.AUTOTUNE)${augment}
    train = train.prefetch(tf.data.AUTOTUNE)
    if validation is not None:
        validation = validation.map(scale, num_parallel_calls=tf.data.AUTOTUNE)
        validation = validation.prefetch(tf.data.AUTOTUNE)
    return train, validation
`;
}

function textLoader(t: TrainingPlan, saved: boolean): string {
  const txt = t.text as NonNullable<TrainingPlan['text']>;
  const labelMode = t.labelMode === 'float' ? 'int' : t.labelMode;
  const length = txt.sequenceLength === null ? 'None' : 'SEQUENCE_LENGTH';
  const lengthWords = txt.sequenceLength === null ? 'padded to the longest text of its batch' : `cut or padded to ${txt.sequenceLength} tokens`;
  const vocabulary = saved
    ? `    if saved is not None:
        # The vocabulary and classes the exported weights were trained with.
        check_classes(train.class_names, saved["classes"])
        vectorize.set_vocabulary(saved["vocabulary"])
    else:
        vectorize.adapt(train.map(lambda text, label: text))`
    : `    vectorize.adapt(train.map(lambda text, label: text))`;
  return `def load_data(path, batch_size, validation_split${saved ? ', saved' : ''}):
    """Loads a text folder with a subfolder of .txt files per class (names sorted).

    Texts become token ids with TextVectorization, matching the Embedding and Layerloom:
    lower-cased, punctuation stripped, split on whitespace; ${txt.vocabularySize} ids at most
    (0 = padding, 1 = unknown word, then the most frequent training words); each text
    ${lengthWords}. Returns (train, validation) datasets of batches;
    validation is None when validation_split is 0.${saved ? '\n    saved: the preprocessing the weights were trained with (same classes), or None.' : ''}
    """
    options = dict(
        labels="inferred", label_mode=${pyString(labelMode)}, batch_size=batch_size, seed=SEED
    )
    if validation_split > 0:
        train, validation = keras.utils.text_dataset_from_directory(
            path, validation_split=validation_split, subset="both", **options
        )
    else:
        train = keras.utils.text_dataset_from_directory(path, **options)
        validation = None
    print(f"Classes: {train.class_names}")
    vectorize = layers.TextVectorization(
        max_tokens=VOCABULARY_SIZE,
        output_mode="int",
        output_sequence_length=${length},
    )
${vocabulary}

    def encode(text, label):
        return vectorize(text), label

    train = train.map(encode, num_parallel_calls=tf.data.AUTOTUNE)
    train = train.prefetch(tf.data.AUTOTUNE)
    if validation is not None:
        validation = validation.map(encode, num_parallel_calls=tf.data.AUTOTUNE)
        validation = validation.prefetch(tf.data.AUTOTUNE)
    return train, validation
`;
}

function csvLoader(t: TrainingPlan, saved: boolean): string {
  const classify = t.labelMode !== 'float';
  const encodeTarget = classify
    ? `    values = [row[target] for row in rows]
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
        specs, classes = saved["features"], saved["classes"] or None
    else:
        specs, classes = fit_features(header, target, rows, rows[n_val:]), None`
    : `    specs, classes = fit_features(header, target, rows, rows[n_val:]), None`;
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
    np.random.default_rng(SEED).shuffle(rows)
    n_val = int(round(len(rows) * validation_split))
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
${encodeTarget}
    if n_val == 0:
        return (x, y), None
    return (x[n_val:], y[n_val:]), (x[:n_val], y[:n_val])
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
