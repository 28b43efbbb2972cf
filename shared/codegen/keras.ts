/**
 * Python Keras 3 export: `model.py` with `build_model()` (the functional model the app compiles, same
 * layer names and weights layout) and a `main()` that trains it on the project's dataset the Keras
 * way, plus requirements.txt and README.md. Pure and deterministic: same graph → same bytes.
 */
import type { KerasArg } from '../blocks/types.js';
import type { ProjectDocument } from '../graph/document.js';
import { customKerasLayer, type CustomKerasLayer } from './customLayers.js';
import { isKerasDefault } from './defaults.js';
import { sameArg } from './literals.js';
import { nestedCall, nestedList, PY_LINE_WIDTH, PY_RESERVED, pyLiteral, pyString, safeVar, wrapApplied, wrapCall, type CallArg } from './literals.js';
import { isAttention, planLayers, planModel, type ModelPlan, type PlanLayer } from './plan.js';
import { MAX_CATEGORIES } from '../training/dataset.js';
import { MOMENTUM } from '../training/settings.js';
import { IMAGE_PIXEL_DIVISOR, planTraining, type TrainingPlan } from './training.js';
import { KERAS_VERSION, NUMPY_REQUIREMENT, TENSORFLOW_VERSION } from './versions.js';
import { dataLayout } from './dataLayout.js';

/** Options of the Keras export. */
export interface KerasExportOptions {
  /**
   * Default of `--data`, as it should read from the export folder (the export service passes the
   * dataset path relative to it). Default: the project's dataset path as saved; null: none.
   */
  readonly dataPath?: string | null;
  /** File name of the weights shipped beside model.py (`weights.npz`), or null when there are none. */
  readonly weightsFile?: string | null;
  /**
   * File name of the training run's preprocessing.json shipped beside model.py (the classes, CSV
   * scaling or vocabulary the weights were trained with), or null: the script fits its own.
   */
  readonly preprocessingFile?: string | null;
}

/** A generated file: path inside the export folder and its text. */
export interface ExportFile {
  readonly path: string;
  readonly content: string;
}

/** True for `/data`, `C:\\data` or `\\\\server\\share`: paths that do not depend on the export folder. */
export function isAbsolutePath(path: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path);
}

/** Default name of the weights file of a Keras export. */
export const KERAS_WEIGHTS_FILE = 'weights.npz';

/**
 * Leading arguments written positionally, as people write them (`layers.Dense(64, ...)`); only
 * used when the call lists them first and in this order.
 */
const POSITIONAL: Readonly<Record<string, readonly string[]>> = {
  Dense: ['units'],
  Dropout: ['rate'],
  SpatialDropout1D: ['rate'],
  SpatialDropout2D: ['rate'],
  GaussianNoise: ['stddev'],
  GaussianDropout: ['rate'],
  Activation: ['activation'],
  Conv1D: ['filters', 'kernel_size'],
  Conv2D: ['filters', 'kernel_size'],
  Conv3D: ['filters', 'kernel_size'],
  Conv1DTranspose: ['filters', 'kernel_size'],
  Conv2DTranspose: ['filters', 'kernel_size'],
  SeparableConv1D: ['filters', 'kernel_size'],
  SeparableConv2D: ['filters', 'kernel_size'],
  DepthwiseConv1D: ['kernel_size'],
  DepthwiseConv2D: ['kernel_size'],
  LSTM: ['units'],
  GRU: ['units'],
  SimpleRNN: ['units'],
  Embedding: ['input_dim', 'output_dim'],
  Reshape: ['target_shape'],
  Permute: ['dims'],
  RepeatVector: ['n'],
};

/** `name=value` / positional argument strings of a constructor, Keras defaults left out. */
function pyArgs(kerasClass: string, args: ReadonlyArray<readonly [string, KerasArg]>): string[] {
  const positional = POSITIONAL[kerasClass] ?? [];
  const out: string[] = [];
  let i = 0;
  for (const [name, value] of args) {
    if (i < positional.length && positional[i] === name) {
      out.push(pyLiteral(value));
      i++;
      continue;
    }
    i = positional.length;
    if (isKerasDefault(kerasClass, name, value) || isCustomDefault(kerasClass, name, value)) continue;
    out.push(`${name}=${pyLiteral(value)}`);
  }
  return out;
}

/** True when `name=value` is the default of a class model.py defines itself. */
function isCustomDefault(kerasClass: string, name: string, value: KerasArg): boolean {
  const defaults = customKerasLayer(kerasClass)?.defaults;
  return defaults !== undefined && name in defaults && sameArg(defaults[name], value);
}

/** The Python expression of a layer class: `layers.Dense` or a class defined in model.py. */
function pyClass(kerasClass: string): string {
  return customKerasLayer(kerasClass) ? kerasClass : `layers.${kerasClass}`;
}

function pyShape(shape: readonly (number | null)[]): string {
  return pyLiteral({ tuple: shape.map((d) => d) });
}

/** The statements of `build_model()`'s body. */
function buildModelBody(plan: ModelPlan): string[] {
  const v = (name: string): string => safeVar(name, PY_RESERVED);
  const lines: string[] = [];
  for (const step of plan.steps) {
    if (step.kind === 'input') {
      const args = [`shape=${pyShape(step.shape)}`, `dtype=${pyString(step.dtype)}`, `name=${pyString(step.name)}`];
      lines.push(wrapCall('    ', `${v(step.name)} = keras.Input`, args, '', PY_LINE_WIDTH));
      continue;
    }
    lines.push(layerStatement(step, v));
  }
  const ins = plan.inputs.map((i) => v(i.name));
  const outs = plan.outputs.map((o) => v(o.source));
  const list = (xs: string[]): string => (xs.length === 1 ? xs[0] : `[${xs.join(', ')}]`);
  lines.push(
    wrapCall('    ', 'return keras.Model', [`inputs=${list(ins)}`, `outputs=${list(outs)}`, `name=${pyString(plan.modelName)}`], '', PY_LINE_WIDTH),
  );
  return lines;
}

function layerStatement(step: PlanLayer, v: (name: string) => string): string {
  const { call } = step;
  let cls = pyClass(call.kerasClass);
  let args: CallArg[] = pyArgs(call.kerasClass, call.kerasArgs);
  if (call.bidirectional) {
    const inner = nestedCall(cls, args as string[], PY_LINE_WIDTH);
    cls = 'layers.Bidirectional';
    args = [inner];
    if (!isKerasDefault('Bidirectional', 'merge_mode', call.bidirectional.mergeMode)) args.push(`merge_mode=${pyString(call.bidirectional.mergeMode)}`);
  }
  args.push(`name=${pyString(step.name)}`);
  const extra = (call.callArgs ?? []).map(([k, val]) => `${k}=${pyLiteral(val)}`);
  let callArgs: CallArg[];
  if (isAttention(step)) {
    const by = (port: string): string | null => step.inputs.find((i) => i.port === port)?.source ?? null;
    const query = by('query') as string;
    const value = by('value') as string;
    const key = by('key');
    callArgs = [v(query), v(value), ...(key ? [`key=${v(key)}`] : [])];
  } else {
    const connected = step.inputs.filter((i) => i.source !== null).map((i) => v(i.source as string));
    callArgs = [connected.length === 1 ? connected[0] : nestedList(connected)];
  }
  return wrapApplied('    ', `${v(step.name)} = ${cls}`, args, [...callArgs, ...extra], PY_LINE_WIDTH);
}

/** Custom layer classes model.py must define, in first-use order. */
function customClasses(plan: ModelPlan): CustomKerasLayer[] {
  const out = new Map<string, CustomKerasLayer>();
  for (const step of planLayers(plan)) {
    const custom = customKerasLayer(step.call.kerasClass);
    if (custom && !out.has(custom.kerasClass)) out.set(custom.kerasClass, custom);
  }
  return [...out.values()];
}

function optimizerExpr(t: TrainingPlan): string {
  const lr = 'learning_rate=LEARNING_RATE';
  switch (t.settings.optimizer) {
    case 'sgd':
      return `keras.optimizers.SGD(${lr})`;
    case 'momentum':
      return `keras.optimizers.SGD(${lr}, momentum=${MOMENTUM})`;
    case 'rmsprop':
      return `keras.optimizers.RMSprop(${lr})`;
    default:
      return `keras.optimizers.Adam(${lr})`;
  }
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
  return `def is_number(value):
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def fit_features(header, target, rows, train_rows):
    """How each column becomes features, as Layerloom decides it.

    Numeric columns are standardized with the mean and (population) standard deviation
    of the training rows; text columns with at most ${MAX_CATEGORIES} distinct values are one-hot
    encoded (sorted); other columns are left out.
    """
    specs = []
    for column in header:
        cells = [row[column] for row in rows]
        if column == target or all(cell == "" for cell in cells):
            continue
        if all(is_number(cell) for cell in cells if cell != ""):
            known = [float(row[column]) for row in train_rows if row[column] != ""]
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
    """Features: standardized numbers (empty cells: the mean), one-hot text."""
    parts = []
    for spec in specs:
        cells = [row[spec["column"]] for row in rows]
        if spec["type"] == "numeric":
            mean, std = spec["mean"], spec["std"]
            values = np.array([float(c) if c != "" else mean for c in cells], "float32")
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
    with open(path, newline="", encoding="utf-8-sig") as f:
        text = f.read()
    header_line = text.splitlines()[0] if text else ""
    delimiter = max([",", ";", "\\t"], key=header_line.count)
    lines = text.splitlines()
    table = [[c.strip() for c in row] for row in csv.reader(lines, delimiter=delimiter)]
    header, body = table[0], table[1:]
    target = TARGET_COLUMN or header[-1]
    if target not in header:
        raise SystemExit(f"{path} has no column {target}; its columns are {header}.")
    t = header.index(target)
    rows = [dict(zip(header, r)) for r in body if len(r) == len(header) and r[t] != ""]
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

function distributeHelpers(): string {
  return `def make_strategy(kind):
    """The tf.distribute strategy for --distribute, or None to train on one device."""
    if kind == "mirrored":
        # Synchronous data parallelism over all GPUs of this machine.
        return tf.distribute.MirroredStrategy()
    if kind == "multiworker":
        # Synchronous training on several machines; each reads its role from TF_CONFIG.
        return tf.distribute.MultiWorkerMirroredStrategy()
    return None


def is_chief():
    """True on the worker that saves checkpoints (the chief, else worker 0)."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task", {})
    if not task:
        return True
    if "chief" in config.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and task.get("index", 0) == 0
`;
}

function mainFunction(plan: ModelPlan, t: TrainingPlan, saved: boolean): string {
  const s = t.settings;
  const isCsv = t.dataKind === 'csv';
  const es = s.earlyStopping;
  const callbacks: string[] = [
    `        keras.callbacks.ModelCheckpoint(
            os.path.join(output, "best.weights.h5"),
            monitor=monitor,
            save_best_only=True,
            save_weights_only=True,
        ),`,
    `        keras.callbacks.ModelCheckpoint(
            os.path.join(output, "last.weights.h5"), save_weights_only=True
        ),`,
  ];
  if (es.enabled) {
    callbacks.push(
      `        keras.callbacks.EarlyStopping(
            monitor=early_stopping_monitor,
            patience=${es.patience},
            restore_best_weights=${es.restoreBestWeights ? 'True' : 'False'},
        ),`,
    );
  }
  if (s.learningRateDecay !== 1) {
    callbacks.push(`        keras.callbacks.LearningRateScheduler(
            lambda epoch: LEARNING_RATE * LEARNING_RATE_DECAY**epoch
        ),`);
  }
  const savedArg = saved ? ', saved' : '';
  const savedLine = saved
    ? `    # How the exported weights' training run prepared its data, if they are used.
    saved = saved_preprocessing(${pyString(t.dataKind ?? '')}) if args.weights.lower() != "none" else None
`
    : '';
  const load = t.dataKind
    ? isCsv
      ? `${savedLine}    (x_train, y_train), validation = load_data(args.data, VALIDATION_SPLIT${savedArg})`
      : `${savedLine}    train, validation = load_data(args.data, args.batch_size, VALIDATION_SPLIT${savedArg})`
    : `    raise SystemExit(
        "model.py has no dataset loader for this model: "
        ${pyString(t.dataProblem ?? '')}
    )`;
  const fit = isCsv
    ? `    model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=validation,
        callbacks=callbacks,
    )`
    : `    model.fit(
        train, validation_data=validation, epochs=args.epochs, callbacks=callbacks
    )`;
  const metrics = `[${s.metrics.map(pyString).join(', ')}]`;
  const body = t.dataKind
    ? `${load}

    strategy = make_strategy(args.distribute)
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = build_model()
        if args.weights.lower() != "none" and os.path.exists(args.weights):
            load_weights(model, args.weights)
            print(f"Loaded weights from {args.weights}")
        model.compile(
            optimizer=${optimizerExpr(t)},
            loss=${pyString(t.loss)},
            metrics=${metrics},
        )
    model.summary()

    # Non-chief workers of a multi-worker run write their copies to a scratch folder.
    output = args.output if is_chief() else tempfile.mkdtemp()
    os.makedirs(output, exist_ok=True)
    monitor = "val_loss" if validation is not None else "loss"${es.enabled ? `
    early_stopping_monitor = EARLY_STOPPING_MONITOR
    if validation is None:
        early_stopping_monitor = early_stopping_monitor.removeprefix("val_")` : ''}
    callbacks = [
${callbacks.join('\n')}
    ]
${fit}
    model.save(os.path.join(output, "model.keras"))
    print(f"Saved the trained model to {os.path.join(output, 'model.keras')}")`
    : load;
  return `def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", default=DATA, required=DATA is None, help="dataset folder or CSV file"
    )
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help="global batch (all devices)"
    )
    parser.add_argument(
        "--weights", default=WEIGHTS, help='initial weights (.npz) or "none"'
    )
    parser.add_argument(
        "--output", default="training_output", help="checkpoints and model folder"
    )
    parser.add_argument(
        "--distribute",
        choices=["none", "mirrored", "multiworker"],
        default="none",
        help="mirrored: all local GPUs; multiworker: machines listed in TF_CONFIG",
    )
    args = parser.parse_args()
    keras.utils.set_random_seed(SEED)

${body}
`;
}

function constants(t: TrainingPlan, opts: KerasExportOptions, dataDefault: string | null): string {
  const s = t.settings;
  const lines = [
    'HERE = os.path.dirname(os.path.abspath(__file__))',
    '',
    '# Settings saved in the project (paths relative to this file). --data, --epochs,',
    '# --batch-size and --weights override the first four.',
    `DATA = ${dataDefault === null ? 'None' : isAbsolutePath(dataDefault) ? pyString(dataDefault) : `os.path.join(HERE, ${pyString(dataDefault)})`}`,
    `EPOCHS = ${s.epochs}`,
    `BATCH_SIZE = ${s.batchSize}`,
    `WEIGHTS = ${opts.weightsFile ? `os.path.join(HERE, ${pyString(opts.weightsFile)})` : '"none"'}`,
    `VALIDATION_SPLIT = ${s.validationSplit}`,
    `LEARNING_RATE = ${s.learningRate}`,
  ];
  if (s.learningRateDecay !== 1) lines.push(`LEARNING_RATE_DECAY = ${s.learningRateDecay}  # multiplies the learning rate each epoch`);
  if (s.earlyStopping.enabled) lines.push(`EARLY_STOPPING_MONITOR = ${pyString(s.earlyStopping.monitor)}`);
  lines.push(`SEED = ${s.seed}`);
  if (opts.preprocessingFile && t.dataKind) lines.push(`PREPROCESSING = os.path.join(HERE, ${pyString(opts.preprocessingFile)})`);
  if (t.dataKind === 'text' && t.text) {
    lines.push(`VOCABULARY_SIZE = ${t.text.vocabularySize}  # the Embedding's input_dim`);
    if (t.text.sequenceLength !== null) lines.push(`SEQUENCE_LENGTH = ${t.text.sequenceLength}  # the Input's length`);
  }
  if (t.dataKind === 'csv' && t.csv) {
    lines.push(`TARGET_COLUMN = ${t.csv.targetColumn === null ? 'None  # None: the last column' : pyString(t.csv.targetColumn)}`);
    lines.push(`FEATURES = ${t.csv.features}  # values per row the Input takes`);
  }
  return lines.join('\n');
}

/** The Python header docstring. */
function docstring(doc: Pick<ProjectDocument, 'name'>, plan: ModelPlan, t: TrainingPlan): string {
  const usage = t.dataKind ? '\n\nTrain it on the project\'s dataset (see README.md for the options and the data layout):\n\n    python model.py --data DATA --epochs N\n' : '\n';
  const title = (doc.name || plan.modelName).replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
  return `"""${title}: a Keras model exported from Layerloom.

build_model() returns the model, uncompiled; load_weights() loads the weights exported
with it.${usage}"""`;
}

/** Generates model.py. Throws {@link CompileError} for a graph with errors. */
export function generateKeras(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name' | 'dataset' | 'training'>, opts: KerasExportOptions = {}): string {
  const plan = planModel(doc);
  const t = planTraining(doc, plan);
  const dataDefault = opts.dataPath === undefined ? (doc.dataset?.path ?? null) : opts.dataPath;
  const trains = t.dataKind !== null;
  const custom = customClasses(plan);
  const imports = [
    'import argparse',
    ...(trains ? ['import contextlib'] : []),
    ...(t.dataKind === 'csv' ? ['import csv'] : []),
    ...(t.dataKind === 'csv' ? ['import math'] : []),
    ...(trains ? ['import json'] : []),
    'import os',
    ...(trains ? ['import tempfile'] : []),
    '',
    '# Distribution strategies and data pipelines below are TensorFlow\'s.',
    'os.environ.setdefault("KERAS_BACKEND", "tensorflow")',
    '',
    'import keras',
    'import numpy as np',
    ...(trains ? ['import tensorflow as tf'] : []),
    'from keras import layers',
    ...[...new Set(custom.flatMap((c) => c.imports))].sort(),
  ];
  const sections: string[] = [docstring(doc, plan, t), imports.join('\n'), constants(t, opts, dataDefault)];
  sections.push(...custom.map((c) => c.python));
  sections.push(`def build_model():\n    """Builds the model (uncompiled); layer names are the block labels."""\n${buildModelBody(plan).join('\n')}\n`);
  sections.push(`def load_weights(model, path):
    """Loads weights exported by Layerloom: a .npz of model.get_weights() arrays."""
    with np.load(path) as data:
        names = list(data.files)
        arrays = [data[name] for name in names]
    variables = model.weights
    if len(arrays) != len(variables):
        raise ValueError(
            f"{path} holds {len(arrays)} arrays, but the model has {len(variables)} "
            "weights: it was exported for a different graph."
        )
    for name, array, variable in zip(names, arrays, variables):
        if tuple(array.shape) != tuple(variable.shape):
            raise ValueError(
                f"{path}: {name} has shape {array.shape}, "
                f"but {variable.path} needs {variable.shape}."
            )
    model.set_weights(arrays)
`);
  const saved = Boolean(opts.preprocessingFile) && t.dataKind !== null;
  if (saved) sections.push(preprocessingHelpers());
  if (t.dataKind === 'images') sections.push(imageLoader(t, saved));
  if (t.dataKind === 'text') sections.push(textLoader(t, saved));
  if (t.dataKind === 'csv') sections.push(csvLoader(t, saved));
  if (t.dataKind) sections.push(distributeHelpers());
  sections.push(mainFunction(plan, t, saved));
  sections.push('if __name__ == "__main__":\n    main()\n');
  const [head, ...rest] = sections.map((s) => s.trimEnd());
  return `${head}\n\n${rest.slice(0, 2).join('\n\n')}\n\n\n${rest.slice(2).join('\n\n\n')}\n`;
}

/** requirements.txt: the versions the export is tested with. */
export function kerasRequirements(): string {
  return `keras==${KERAS_VERSION}.*\ntensorflow==${TENSORFLOW_VERSION}.*\n${NUMPY_REQUIREMENT}\n`;
}

function kerasReadme(doc: Pick<ProjectDocument, 'name'>, plan: ModelPlan, t: TrainingPlan, opts: KerasExportOptions): string {
  const title = doc.name || plan.modelName;
  const files = [
    '| `model.py` | `build_model()` (the model, uncompiled), `load_weights()`, and `main()` to train it |',
    '| `requirements.txt` | the Keras, TensorFlow and NumPy versions this export was tested with |',
    ...(opts.weightsFile ? [`| \`${opts.weightsFile}\` | the model's weights when it was exported (arrays in \`model.get_weights()\` order) |`] : []),
    ...(opts.preprocessingFile ? [`| \`${opts.preprocessingFile}\` | how the weights' training run prepared its data (classes, CSV scaling, vocabulary); the loaders reuse it |`] : []),
  ];
  const train = t.dataKind
    ? `## Train

\`\`\`sh
python model.py --data PATH --epochs ${t.settings.epochs} --batch-size ${t.settings.batchSize}
\`\`\`

| Option | Default | Meaning |
| --- | --- | --- |
| \`--data\` | the project's dataset | dataset folder or CSV file (see below) |
| \`--epochs\` | ${t.settings.epochs} | passes over the training data |
| \`--batch-size\` | ${t.settings.batchSize} | samples per step, over all devices |
| \`--weights\` | ${opts.weightsFile ? `\`${opts.weightsFile}\`` : 'none'} | initial weights (\`.npz\` from Layerloom), or \`none\` for a fresh start |
| \`--output\` | \`training_output\` | checkpoints (\`best.weights.h5\`, \`last.weights.h5\`) and the trained \`model.keras\` |
| \`--distribute\` | \`none\` | \`mirrored\` or \`multiworker\`, see below |

The optimizer (${t.settings.optimizer}, learning rate ${t.settings.learningRate}), loss (\`${t.loss}\`), metrics, validation split (${t.settings.validationSplit}), early stopping and seed (${t.settings.seed}) are the project's settings, written at the top of \`model.py\`.

## Data

${dataLayout(t)}

## More than one GPU or machine

\`--distribute mirrored\` builds and compiles the model inside \`tf.distribute.MirroredStrategy()\`: every GPU of this machine holds a copy and each step's batch is split between them (synchronous data parallelism). \`--batch-size\` is the global batch; scale it (and perhaps the learning rate) with the number of GPUs.

\`--distribute multiworker\` uses \`tf.distribute.MultiWorkerMirroredStrategy()\` across machines. Start the same command on every machine, each with a \`TF_CONFIG\` environment variable naming the whole cluster and its own place in it:

\`\`\`sh
# on machine 0 (the chief: it writes the checkpoints and the model)
TF_CONFIG='{"cluster": {"worker": ["host0:12345", "host1:12345"]}, "task": {"type": "worker", "index": 0}}' \\
  python model.py --data PATH --distribute multiworker
# on machine 1: the same, with "index": 1
\`\`\`

Every worker needs the dataset at the path given by \`--data\`; TensorFlow shards the batches between them. Workers other than the chief write their checkpoints to a temporary folder.
`
    : `## Train

\`main()\` has no dataset loader for this model: ${t.dataProblem ?? ''} \`build_model()\` and \`load_weights()\` work as they are.
`;
  return `# ${title} (Keras)

Exported from Layerloom. \`build_model()\` builds the same network as the app: same layers, names and weights.

| File | What it is |
| --- | --- |
${files.join('\n')}

## Install

\`\`\`sh
python -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt
\`\`\`

## Use the model

\`\`\`python
from model import build_model, load_weights

model = build_model()
${opts.weightsFile ? `load_weights(model, "${opts.weightsFile}")\n` : ''}model.summary()
\`\`\`

${train}`;
}

/** model.py, requirements.txt and README.md of a Keras export (model.py first). */
export function generateKerasFiles(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name' | 'dataset' | 'training'>, opts: KerasExportOptions = {}): ExportFile[] {
  const plan = planModel(doc);
  const t = planTraining(doc, plan);
  return [
    { path: 'model.py', content: generateKeras(doc, opts) },
    { path: 'requirements.txt', content: kerasRequirements() },
    { path: 'README.md', content: kerasReadme(doc, plan, t, opts) },
  ];
}
