"""Text LSTM classifier: a Keras model exported from Layerloom.

build_model() returns the model, uncompiled; load_weights() loads the weights exported
with it.

Train it on the project's dataset (see README.md for the options and the data layout):

    python model.py --data DATA --epochs N
"""

import argparse
import contextlib
import faulthandler
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
DATA = None
EPOCHS = 5
BATCH_SIZE = 32
WEIGHTS = os.path.join(HERE, "weights.npz")
VALIDATION_SPLIT = 0.2
LEARNING_RATE = 0.001
SEED = 42
LABEL_MODE = "int"  # how class ids reach the loss
VOCABULARY_SIZE = 10000  # the Embedding's input_dim
SEQUENCE_LENGTH = 100  # the Input's length


def build_model():
    """Builds the model (uncompiled); layer names are the block labels."""
    tokens = keras.Input(shape=(100,), dtype="int32", name="tokens")
    embedding = layers.Embedding(10000, 64, name="embedding")(tokens)
    lstm = layers.LSTM(
        64, recurrent_activation="sigmoid", return_sequences=True, name="lstm"
    )(embedding)
    lstm_1 = layers.LSTM(64, recurrent_activation="sigmoid", name="lstm_1")(lstm)
    dense = layers.Dense(64, activation="relu", name="dense")(lstm_1)
    predictions = layers.Dense(10, activation="softmax", name="predictions")(dense)
    return keras.Model(inputs=tokens, outputs=predictions, name="text_lstm_classifier")


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


def list_class_files(path, accept):
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


def standardize_and_split(texts):
    """TextVectorization's default standardize and split, with its own ops: A-Z
    lower-cased, ASCII punctuation stripped, split on ASCII whitespace."""
    texts = tf.strings.lower(tf.constant(texts))
    punctuation = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
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


def read_texts(path, validation_split):
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
            if b"\0" not in data:
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
    vocabulary = build_vocabulary([tokens[i] for i in train])
    length = SEQUENCE_LENGTH
    vectorize = layers.TextVectorization(
        max_tokens=VOCABULARY_SIZE,
        output_mode="int",
        output_sequence_length=length,
        vocabulary=list(vocabulary),
    )
    x = np.asarray(vectorize(tf.constant([raw[f] for f in files])), dtype="int32")
    return classes, files, labels, x, train, validation


def load_data(path, batch_size, validation_split):
    """Loads a text folder with a subfolder of .txt files per class (names sorted).

    Texts become token ids with TextVectorization, matching the Embedding and Layerloom:
    A-Z lower-cased, punctuation stripped, split on ASCII whitespace; 10000 ids at
    most (0 = padding, 1 = unknown word, then the most frequent training words); each
    text cut or padded to 100 tokens. Returns (train, validation)
    datasets of batches; validation is None when validation_split is 0.
    """
    classes, files, labels, x, train, validation = read_texts(
        path, validation_split
    )
    y = encode_labels(labels, len(classes))
    train = batches(x[train], y[train], batch_size, shuffle=True)
    if not validation:
        return train, None
    return train, batches(x[validation], y[validation], batch_size, shuffle=False)


TFLITE_FILE = os.path.join(HERE, "model.tflite")
TFLITE_SAMPLES = 200  # training inputs the int8 conversion calibrates on
# Recurrent layers convert only with a fixed batch, and not in int8 (TensorFlow 2.21).
TFLITE_RECURRENT = ("lstm", "lstm_1")


def representative_samples(path, weights, count=TFLITE_SAMPLES):
    """Inputs of the training split, prepared as for training, that the int8 conversion
    calibrates its ranges on: count of them in a seeded random order (all classes)."""
    _, _, _, x, train, _ = read_texts(path, VALIDATION_SPLIT)
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

    train, validation = load_data(args.data, args.batch_size, VALIDATION_SPLIT)

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
    try:
        history = model.fit(
            shard_by_data(train) if strategy else train,
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
