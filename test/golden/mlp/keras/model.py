"""Tabular MLP: a Keras model exported from Layerloom.

build_model() returns the model, uncompiled; load_weights() loads the weights exported
with it.

Train it on the project's dataset (see README.md for the options and the data layout):

    python model.py --data DATA --epochs N
"""

import argparse
import contextlib
import csv
import json
import math
import os
import tempfile

# Distribution strategies and data pipelines below are TensorFlow's.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import tensorflow as tf
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))

# Settings saved in the project (paths relative to this file). --data, --epochs,
# --batch-size and --weights override the first four.
DATA = os.path.join(HERE, "../assets/datasets/iris.csv")
EPOCHS = 30
BATCH_SIZE = 32
WEIGHTS = os.path.join(HERE, "weights.npz")
VALIDATION_SPLIT = 0.2
LEARNING_RATE = 0.001
SEED = 42
TARGET_COLUMN = "species"
FEATURES = 4  # values per row the Input takes


def build_model():
    """Builds the model (uncompiled); layer names are the block labels."""
    features = keras.Input(shape=(4,), dtype="float32", name="features")
    dense = layers.Dense(32, activation="relu", name="dense")(features)
    dropout = layers.Dropout(0.2, name="dropout")(dense)
    dense_1 = layers.Dense(16, activation="relu", name="dense_1")(dropout)
    predictions = layers.Dense(3, activation="softmax", name="predictions")(dense_1)
    return keras.Model(inputs=features, outputs=predictions, name="tabular_mlp")


def load_weights(model, path):
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


def seeded_random(seed):
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


def number_kind(value):
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
    text columns with at most 50 distinct values are one-hot encoded (sorted);
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
        elif len(set(cells)) <= 50:
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


def load_data(path, validation_split):
    """Loads a CSV file with a header row; the target column is predicted from the rest.

    Rows are shuffled with SEED and the first validation_split of them held out;
    class labels become ids in sorted order. Returns ((x_train, y_train),
    (x_val, y_val)); the validation pair is None when validation_split is 0.
    """
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SystemExit(
            f"{path} is not UTF-8 text: byte {e.start} (0x{data[e.start]:02X}, "
            f"on line {line}) is not valid UTF-8. Save the file as UTF-8."
        )
    header_line = text.splitlines()[0] if text else ""
    delimiter = max([",", ";", "\t"], key=header_line.count)
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
    classes = None
    values = [row[target] for row in rows]
    if classes is None:
        numeric = all(is_number(v) for v in values)
        classes = sorted(set(values), key=float if numeric else None)
    print(f"Classes: {classes}")
    unknown = sorted(set(values) - set(classes))
    if unknown:
        raise SystemExit(f"{target} has values without a class in the model: {unknown}")
    ids = [classes.index(v) for v in values]
    y = np.array(ids, dtype="int32")
    train, validation = stratified_split(len(rows), validation_split, SEED, ids)
    specs = fit_features(header, target, rows, [rows[i] for i in train])
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


def make_strategy(kind):
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


def main():
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

    (x_train, y_train), validation = load_data(args.data, VALIDATION_SPLIT)

    strategy = make_strategy(args.distribute)
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = build_model()
        if args.weights.lower() != "none" and os.path.exists(args.weights):
            load_weights(model, args.weights)
            print(f"Loaded weights from {args.weights}")
        model.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate=LEARNING_RATE, beta_1=0.9, beta_2=0.999, epsilon=1e-7
            ),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    model.summary()

    # Non-chief workers of a multi-worker run write their copies to a scratch folder.
    output = args.output if is_chief() else tempfile.mkdtemp()
    os.makedirs(output, exist_ok=True)
    monitor = "val_loss" if validation is not None else "loss"
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            os.path.join(output, "best.weights.h5"),
            monitor=monitor,
            save_best_only=True,
            save_weights_only=True,
        ),
        keras.callbacks.ModelCheckpoint(
            os.path.join(output, "last.weights.h5"), save_weights_only=True
        ),
    ]
    model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=validation,
        callbacks=callbacks,
    )
    model.save(os.path.join(output, "model.keras"))
    print(f"Saved the trained model to {os.path.join(output, 'model.keras')}")


if __name__ == "__main__":
    main()
