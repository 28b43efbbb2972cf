"""Tabular MLP: a Keras model exported from Layerloom.

build_model() returns the model, uncompiled; load_weights() loads the weights exported
with it.

Train it on the project's dataset (see README.md for the options and the data layout):

    python model.py --data DATA --epochs N
"""

import argparse
import contextlib
import csv
import faulthandler
import io
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

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


MAX_CATEGORIES = 50  # text columns with more distinct values are left out
MAX_INTEGER_CLASSES = 20  # integer targets with more values are regression
# Layerloom's CSV dialect (csvPrep.ts CSV_DIALECT): candidate delimiters, in order.
CSV_DELIMITERS = [",", ";", "\t"]
# JavaScript's trim() whitespace (Python's strip() set differs).
JS_WHITESPACE = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
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
        line = data.count(b"\n", 0, e.start) + 1
        raise SystemExit(
            f"{path} is not UTF-8 text: byte {e.start} (0x{data[e.start]:02X}, "
            f"on line {line}) is not valid UTF-8. Save the file as UTF-8."
        )
    text = text.removeprefix("\ufeff")
    delimiter = csv_delimiter(text.replace("\r", "\n").split("\n", 1)[0])
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar="\"",
        doublequote=True,
        skipinitialspace=False,
        strict=True,
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


def load_data(path, validation_split):
    """Loads a CSV file with a header row; the target column is predicted from the rest.

    Columns, missing values, scaling, one-hot encoding, class order and the split are
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
    classes = plan["classes"]
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
    y = np.array(ids, dtype="int32")
    stratify = ids if plan["task"] == "classification" else None
    train, validation = stratified_split(len(values), validation_split, SEED, stratify)
    scaling = fit_scaling(cells, plan, train)
    x = encode_csv(cells, plan, scaling)
    if x.shape[1] != FEATURES:
        raise SystemExit(
            f"{path} gives {x.shape[1]} feature values per row, but the model's input "
            f"takes {FEATURES}: change the Input shape or the CSV columns."
        )
    if not validation:
        return (x, y), None
    return (x[train], y[train]), (x[validation], y[validation])


TFLITE_FILE = os.path.join(HERE, "model.tflite")
TFLITE_SAMPLES = 200  # training inputs the int8 conversion calibrates on
# Recurrent layers convert only with a fixed batch, and not in int8 (TensorFlow 2.21).
TFLITE_RECURRENT = ()


def representative_samples(path, weights, count=TFLITE_SAMPLES):
    """Inputs of the training split, prepared as for training, that the int8 conversion
    calibrates its ranges on: count of them in a seeded random order (all classes)."""
    (x, _), _ = load_data(path, VALIDATION_SPLIT)
    train = np.arange(len(x))
    chosen = np.random.default_rng(SEED).permutation(np.asarray(train))[:count]
    return x[chosen]


def convert_tflite(model, mode, data, weights):
    """The model as TensorFlow Lite (bytes), converted by TensorFlow's converter.

    dynamic: int8 weights, float compute; float16: float16 weights; int8: full
    integer (int8 weights, activations, input and output), calibrated on training
    inputs."""
    if mode == "int8" and TFLITE_RECURRENT:
        # Full-integer quantization of a recurrent layer aborts the converter's process.
        names = ", ".join(TFLITE_RECURRENT)
        raise SystemExit(
            f"TFLite int8 is not available for models with recurrent layers ({names}): "
            "TensorFlow's converter crashes on their full-integer quantization. Use "
            "--tflite dynamic or float16 (they convert with the batch fixed to 1)."
        )
    if TFLITE_RECURRENT:
        # The converter lowers a recurrent layer's loop only for a fixed batch: batch 1.
        inputs = [
            keras.Input(batch_shape=(1, *x.shape[1:]), dtype=x.dtype, name=x.name)
            for x in model.inputs
        ]
        model = keras.Model(inputs, model(inputs[0] if len(inputs) == 1 else inputs))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        if data is None:
            raise SystemExit("--tflite int8 calibrates on the data: give --data.")
        samples = representative_samples(data, weights)

        def representative():
            for sample in samples:
                yield [sample[None, ...]]

        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if all(x.dtype == "float32" for x in model.inputs):
            converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def export_tflite(mode, data, weights, path):
    """Builds the model, loads the weights and writes it as TensorFlow Lite to path."""
    model = build_model()
    if weights.lower() != "none":
        load_weights(model, weights)
    content = convert_tflite(model, mode, data, weights)
    with open(path, "wb") as f:
        f.write(content)
    batch = " (batch fixed to 1)" if TFLITE_RECURRENT else ""
    print(f"Wrote {path}: TFLite {mode}{batch}, {len(content)} bytes")


def patch_keras_distribute():
    """Two small fixes Keras needs to train under tf.distribute as one process would.

    Keras 3 up to 3.15 (with TensorFlow 2.21; tensorflow/tensorflow#72388) draws the
    first batch of the training data to learn its shapes, and reduces each step's
    scalar loss and metrics with strategy.reduce("MEAN", value, axis=0). Drawing a
    batch starts a pass over the data that is thrown away, so a dataset reshuffled
    every pass then trains in another order than one process (and on a multi-worker
    strategy the draw fails on PerReplica batches); the reduction fails with "Invalid
    reduction dimension 0" on a multi-worker strategy. Here the shapes come from the
    dataset's element spec (no batch is drawn), and a scalar is averaged over all
    replicas (axis=None). Other Keras versions are left as they are.
    """
    version = tuple(int(p) for p in keras.__version__.split(".")[:2])
    if not (3, 0) <= version <= (3, 15):
        return
    from keras.src.backend.tensorflow import trainer as tf_trainer

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if self._distribute_strategy is None:
            return
        if iterator is not None:
            data_batch = iterator.data_adapter.get_tf_dataset().element_spec
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    keras_reduce = tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        multi_worker = tf_trainer._collective_all_reduce_multi_worker(strategy)
        if reduction not in ("auto", "mean") or not multi_worker:
            return keras_reduce(values, strategy, reduction)

        def mean(value):
            local = strategy.experimental_local_results(value)
            if all(v.shape.rank == 0 for v in local):
                return strategy.reduce("MEAN", value, axis=None)
            return keras_reduce(value, strategy, reduction)

        return tf.nest.map_structure(mean, values)

    tf_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    tf_trainer.reduce_per_replica = reduce_per_replica


def how_it_ended(code):
    """A worker's exit status in words (a negative status: killed by a signal)."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"stopped with exit status {code}"


def launch_workers(args):
    """Runs this program as args.workers local workers of one multi-worker run, on
    free 127.0.0.1 ports (a TF_CONFIG each; worker 0 is the chief). Ctrl-C stops them
    all; when a worker fails, the others get WORKER_GRACE seconds to stop on their own
    (each says what it saw), then are stopped, and the message names the worker."""
    ports = []
    for _ in range(args.workers):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    command = [sys.executable, os.path.abspath(__file__), "--data", args.data]
    command += ["--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
    command += ["--weights", args.weights, "--output", args.output]
    command += ["--worker-timeout", str(args.worker_timeout)]
    command += ["--distribute", "multiworker"]
    if args.mixed_precision:
        command += ["--mixed-precision"]
    workers = []
    for index in range(args.workers):
        task = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        env = dict(os.environ, TF_CONFIG=json.dumps(task))
        workers.append(subprocess.Popen(command, env=env))
    ids = ", ".join(str(w.pid) for w in workers)
    print(
        f"Started {args.workers} workers on {', '.join(cluster['worker'])} "
        f"(process ids {ids}; worker 0 is the chief)",
        flush=True,
    )

    def stop_all(grace):
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(w.poll() is None for w in workers):
            time.sleep(0.2)
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()

    def failure(index):
        worker = workers[index]
        return (
            f"worker {index} ({cluster['worker'][index]}, process {worker.pid}) "
            f"{how_it_ended(worker.returncode)}"
        )

    try:
        while any(w.poll() is None for w in workers):
            failed = [i for i, w in enumerate(workers) if w.poll() not in (None, 0)]
            if failed:
                print(
                    f"Training failed: {failure(failed[0])}. The other workers get "
                    f"{WORKER_GRACE} s to stop, then are stopped.",
                    file=sys.stderr,
                    flush=True,
                )
                stop_all(WORKER_GRACE)
                raise SystemExit(
                    f"Training failed: {failure(failed[0])} (its messages are above); "
                    f"every other worker has stopped. Checkpoints saved before then "
                    f"are kept in {args.output}."
                )
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop_all(0)
        raise SystemExit("Stopped: Ctrl-C ended every worker.")
    failed = [i for i, w in enumerate(workers) if w.returncode != 0]
    if failed:
        raise SystemExit(
            f"Training failed: {failure(failed[0])} (its messages are above)."
        )


def make_strategy(kind, worker_timeout):
    """The tf.distribute strategy for --distribute, or None to train on one device.
    Called before any other TensorFlow op: collective ops are set up at startup."""
    if kind == "mirrored":
        # Synchronous data parallelism over all GPUs of this machine (the CPU if none).
        patch_keras_distribute()
        return tf.distribute.MirroredStrategy()
    if kind == "multiworker":
        # Synchronous training on several machines; each reads its role from TF_CONFIG.
        # A collective that waits longer than worker_timeout seconds (a worker died or
        # cannot be reached) fails instead of hanging.
        options = tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=worker_timeout
        )
        # Joining the cluster waits for every worker, holding Python's lock:
        # faulthandler's own thread ends the process after worker_timeout seconds.
        print(
            f"Joining the cluster in TF_CONFIG (every worker must start; this gives up "
            f"after {worker_timeout:g} s, see --worker-timeout)",
            flush=True,
        )
        faulthandler.dump_traceback_later(worker_timeout, exit=True)
        strategy = tf.distribute.MultiWorkerMirroredStrategy(
            communication_options=options
        )
        faulthandler.cancel_dump_traceback_later()
        patch_keras_distribute()
        return strategy
    return None


def shard_by_data(dataset):
    """Each worker of a multi-worker run reads its share of every global batch (the
    same shuffled order everywhere, then every worker its slice: tf.data auto-shard by
    data), so N workers train on the batches one process would."""
    options = tf.data.Options()
    policy = tf.data.experimental.AutoShardPolicy.DATA
    options.experimental_distribute.auto_shard_policy = policy
    return dataset.with_options(options)


# Seconds the other workers started by --workers get to stop on their own (and say
# what they saw) after one fails, before they are stopped.
WORKER_GRACE = 60

# How a worker of a multi-worker run that stopped or cannot be reached shows up.
WORKER_ERRORS = (
    tf.errors.UnavailableError,
    tf.errors.DeadlineExceededError,
    tf.errors.CancelledError,
    tf.errors.AbortedError,
)


def worker_lost(args, error, output):
    """Ends a multi-worker run whose peer is gone with a message that names the peers
    TensorFlow's error names (other than this worker) and says what was kept."""
    if args.distribute != "multiworker":
        raise error
    text = str(error)
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task", {})
    me = (task.get("type"), str(task.get("index")))
    named = re.findall(r"/job:(\w+)(?:/replica:\d+)?/task:(\d+)", text)
    peers = sorted({f"{job} {i}" for job, i in named if (job, i) != me})
    who = " and ".join(peers) if peers else "another worker"
    # TensorFlow's first line is often "Graph execution error:"; the cause is below.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    cause = re.compile(r"unhealthy|crash|connect|socket|deadline|timed out", re.I)
    detail = ([line for line in lines if cause.search(line)] or lines or [""])[0]
    kept = f" Checkpoints saved before then are kept in {output}." if is_chief() else ""
    raise SystemExit(
        f"Training stopped: {who} of this multi-worker run stopped or cannot be "
        f"reached ({type(error).__name__}: {detail}).{kept} Start every worker again, "
        "each with its TF_CONFIG."
    )


def is_chief():
    """True on the worker that saves checkpoints (the chief, else worker 0)."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task", {})
    if not task:
        return True
    if "chief" in config.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and task.get("index", 0) == 0


MIXED_PRECISION_CPU_NOTICE = (
    "--mixed-precision: TensorFlow sees no GPU here, and Keras's "
    "mixed_float16 policy is not supported on the CPU (float16 is slower "
    "there, not faster), so this run trains in float32."
)


def set_mixed_precision():
    """--mixed-precision: Keras's mixed_float16 policy (float16 compute, float32
    weights; compile() wraps the optimizer in a LossScaleOptimizer) when TensorFlow
    sees a GPU. Without one it says so and leaves the policy float32. Returns the
    policy in force."""
    if not tf.config.list_physical_devices("GPU"):
        print(MIXED_PRECISION_CPU_NOTICE, file=sys.stderr, flush=True)
        return keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    print("Mixed precision: mixed_float16 (float16 compute; weights, outputs float32)")
    return "mixed_float16"


def keep_outputs_float32(model):
    """Makes the layers that produce the model's outputs compute in float32, as
    Keras's mixed-precision guide asks: a float16 softmax or loss can overflow or
    lose small probabilities. Their weights are float32 under the policy already."""
    for output in model.outputs:
        output._keras_history.operation.dtype_policy = "float32"


def main(argv=None, extra_callbacks=(), verbose="auto", checkpoints=True):
    """Trains as the options in argv (default: the command line) say. A program that
    imports this file may add Keras callbacks and quiet the progress bar; returns the
    trained model. checkpoints=False leaves out the per-epoch best/last .weights.h5
    files (each write takes a pass over the weights and optimizer state), for a
    program that saves its own."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA, help="dataset folder or CSV file")
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
    parser.add_argument(
        "--tflite",
        choices=["dynamic", "float16", "int8"],
        help="write the model with --weights as TensorFlow Lite instead of training",
    )
    parser.add_argument(
        "--tflite-output", default=TFLITE_FILE, help="where --tflite writes the model"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="N > 1: run N local workers of a multi-worker run (loopback ports)",
    )
    parser.add_argument(
        "--worker-timeout",
        type=float,
        default=300,
        help="multiworker: seconds to wait for the other workers before giving up",
    )
    parser.add_argument(
        "--mixed-precision",
        action="store_true",
        help="float16 compute on a GPU (Keras's mixed_float16); float32 on the CPU",
    )
    args = parser.parse_args(argv)
    if args.workers > 1 and not args.tflite and args.data is not None:
        return launch_workers(args)
    # Before any other TensorFlow op: collective ops are configured at program startup.
    strategy = None
    if not args.tflite:
        strategy = make_strategy(args.distribute, args.worker_timeout)
    keras.utils.set_random_seed(SEED)
    if args.tflite:
        export_tflite(args.tflite, args.data, args.weights, args.tflite_output)
        return
    if args.data is None:
        parser.error("give the dataset with --data")

    (x_train, y_train), validation = load_data(args.data, VALIDATION_SPLIT)

    # After the strategy (it must come first) and before the model is built.
    mixed_precision = args.mixed_precision and set_mixed_precision() == "mixed_float16"
    if strategy:
        print(f"Replicas in sync: {strategy.num_replicas_in_sync}")
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = build_model()
        if mixed_precision:
            keep_outputs_float32(model)
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
    if not model.trainable_weights:
        # Keras would run every epoch and change nothing.
        raise SystemExit(
            "Every layer with weights is frozen (Trainable off), so training would "
            f"change nothing: all {model.count_params():,} weights are "
            "non-trainable. Unfreeze at least one layer, e.g. the head: in "
            "Layerloom (Unfreeze, then export again), or in model.py by removing "
            "trainable=False from its layer."
        )
    # Keras's "auto": XLA only in one process on a GPU, so a distributed run and a plain
    # one there differ in more than the number of replicas.
    print(f"XLA (jit_compile): {model.jit_compile}")

    # Non-chief workers of a multi-worker run write their copies to a scratch folder.
    output = args.output if is_chief() else tempfile.mkdtemp()
    os.makedirs(output, exist_ok=True)
    monitor = "val_loss" if validation is not None else "loss"
    callbacks = []
    if checkpoints:
        callbacks += [
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
    callbacks += [
        *extra_callbacks,
    ]
    # The rows reshuffled every epoch in the same seeded order on every worker.
    train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train = train.shuffle(len(x_train), seed=SEED).batch(args.batch_size)
    if validation is not None:
        validation = tf.data.Dataset.from_tensor_slices(validation)
        validation = shard_by_data(validation.batch(args.batch_size))
    try:
        history = model.fit(
            shard_by_data(train),
            validation_data=validation,
            epochs=args.epochs,
            callbacks=callbacks,
            verbose=verbose,
        )
    except WORKER_ERRORS as e:
        worker_lost(args, e, output)
    model.save(os.path.join(output, "model.keras"))
    with open(os.path.join(output, "history.json"), "w", encoding="utf-8") as f:
        json.dump({k: [float(v) for v in vs] for k, vs in history.history.items()}, f)
    print(f"Saved the trained model to {os.path.join(output, 'model.keras')}")
    return model


if __name__ == "__main__":
    main()
