/**
 * The training part of model.py: the settings constants, `main()` (options, compile, fit with
 * checkpoints, early stopping and learning-rate decay) and the tf.distribute helpers.
 */
import { isAbsolutePath } from '../exportFile.js';
import { pyString } from '../literals.js';
import { everyLayerFrozen } from '../../training/trainable.js';
import { kerasOptimizerExpression } from '../../training/compileTable.js';
import type { TrainingPlan } from '../training.js';
import type { KerasExportOptions } from './options.js';


/**
 * model.py's message for a model with every layer frozen (the app's words, the count filled in by
 * Python), as string literals of at most 72 characters, one per line, so the file stays ≤ 88 wide.
 */
function allFrozenPython(): string {
  const text = everyLayerFrozen('{model.count_params():,}', 'Unfreeze at least one layer, e.g. the head: in Layerloom (Unfreeze, then export again), or in model.py by removing trainable=False from its layer.');
  return pyLines(text, 12, true);
}

function optimizerExpr(t: TrainingPlan): string {
  // The shared table (Keras's defaults written out), the same values the app's tfjs optimizer uses.
  return kerasOptimizerExpression(t.settings.optimizer, 'LEARNING_RATE', 12, 'optimizer=');
}

/** Seconds the workers started by `--workers` get to stop on their own after one fails. */
export const WORKER_GRACE_S = 60;

/**
 * make_strategy(), its Keras patch, and is_chief(): training on several GPUs or machines with
 * tf.distribute. Keras 3.15 / TF 2.21 do not run `fit` under MultiWorkerMirroredStrategy as they
 * ship (tensorflow/tensorflow#72388): patch_keras_distribute() replaces the two functions that
 * fail, for the Keras versions known to need it, rather than replacing `fit` by a hand-written
 * `strategy.run` loop, so callbacks, metrics and checkpoints stay Keras's own.
 */
export function distributeHelpers(): string {
  return `def patch_keras_distribute():
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
WORKER_GRACE = ${WORKER_GRACE_S}

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
    named = re.findall(r"/job:(\\w+)(?:/replica:\\d+)?/task:(\\d+)", text)
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
`;
}

/** What model.py (and the Keras engine) says when --mixed-precision is asked for on a machine without a GPU. */
export const MIXED_PRECISION_CPU_NOTICE =
  '--mixed-precision: TensorFlow sees no GPU here, and Keras\'s mixed_float16 policy is not supported on the CPU (float16 is slower there, not faster), so this run trains in float32.';

/**
 * set_mixed_precision() and keep_outputs_float32(): `--mixed-precision`, Keras's mixed_float16
 * policy on a GPU with the output layers kept float32 (Keras's mixed-precision guide), and a
 * clear notice and float32 on a machine without one.
 */
export function mixedPrecisionHelpers(): string {
  return `MIXED_PRECISION_CPU_NOTICE = (
${pyLines(MIXED_PRECISION_CPU_NOTICE, 4)}
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
        output._keras_history.operation.dtype_policy = "float32"`;
}

/**
 * A long message as Python string literals of at most 72 characters, one per line, indented;
 * `formatted`: lines holding a `{…}` placeholder become f-strings.
 */
function pyLines(text: string, indent: number, formatted = false): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > 70) {
      lines.push(`${line} `);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l) => `${' '.repeat(indent)}${formatted && l.includes('{') ? 'f' : ''}${pyString(l)}`).join('\n');
}

/** The `main()` of model.py: parses the options, loads the data, compiles and trains the model. */
export function mainFunction(t: TrainingPlan, saved: boolean): string {
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
    ? `    # The rows reshuffled every epoch in the same seeded order on every worker.
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
        worker_lost(args, e, output)`
    : `    try:
        history = model.fit(
            shard_by_data(train) if strategy else train,
            validation_data=validation,
            epochs=args.epochs,
            callbacks=callbacks,
            verbose=verbose,
        )
    except WORKER_ERRORS as e:
        worker_lost(args, e, output)`;
  const metrics = `[${s.metrics.map(pyString).join(', ')}]`;
  const body = t.dataKind
    ? `${load}

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
            optimizer=${optimizerExpr(t)},
            loss=${pyString(t.loss)},
            metrics=${metrics},
        )
    model.summary()
    if not model.trainable_weights:
        # Keras would run every epoch and change nothing.
        raise SystemExit(
${allFrozenPython()}
        )
    # Keras's "auto": XLA only in one process on a GPU, so a distributed run and a plain
    # one there differ in more than the number of replicas.
    print(f"XLA (jit_compile): {model.jit_compile}")

    # Non-chief workers of a multi-worker run write their copies to a scratch folder.
    output = args.output if is_chief() else tempfile.mkdtemp()
    os.makedirs(output, exist_ok=True)
    monitor = "val_loss" if validation is not None else "loss"${es.enabled ? `
    early_stopping_monitor = EARLY_STOPPING_MONITOR
    if validation is None:
        early_stopping_monitor = early_stopping_monitor.removeprefix("val_")` : ''}
    callbacks = []
    if checkpoints:
        callbacks += [
${callbacks.slice(0, 2).map((c) => c.replace(/^/gm, '    ')).join('\n')}
        ]
    callbacks += [
${[...callbacks.slice(2), '        *extra_callbacks,'].join('\n')}
    ]
${fit}
    model.save(os.path.join(output, "model.keras"))
    with open(os.path.join(output, "history.json"), "w", encoding="utf-8") as f:
        json.dump({k: [float(v) for v in vs] for k, vs in history.history.items()}, f)
    print(f"Saved the trained model to {os.path.join(output, 'model.keras')}")
    return model`
    : load;
  return `def main(argv=None, extra_callbacks=(), verbose="auto", checkpoints=True):
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
${t.dataKind ? `    if args.workers > 1 and not args.tflite and args.data is not None:
        return launch_workers(args)
    # Before any other TensorFlow op: collective ops are configured at program startup.
    strategy = None
    if not args.tflite:
        strategy = make_strategy(args.distribute, args.worker_timeout)
` : ''}    keras.utils.set_random_seed(SEED)
    if args.tflite:
        export_tflite(args.tflite, args.data, args.weights, args.tflite_output)
        return
    if args.data is None:
        parser.error("give the dataset with --data")

${body}
`;
}

/** A number as a Python float literal (`10` → `10.0`; `1e-9` stays, Python reads it as a float). */
function pyFloat(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** The settings at the top of model.py (the project's training settings; --data etc. override some). */
export function constants(t: TrainingPlan, opts: KerasExportOptions, dataDefault: string | null): string {
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
    // A float literal: Keras's optimizers refuse an int learning rate (`LEARNING_RATE = 10`).
    `LEARNING_RATE = ${pyFloat(s.learningRate)}`,
  ];
  if (s.learningRateDecay !== 1) lines.push(`LEARNING_RATE_DECAY = ${pyFloat(s.learningRateDecay)}  # multiplies the learning rate each epoch`);
  if (s.earlyStopping.enabled) lines.push(`EARLY_STOPPING_MONITOR = ${pyString(s.earlyStopping.monitor)}`);
  lines.push(`SEED = ${s.seed}`);
  if (opts.preprocessingFile && t.dataKind) lines.push(`PREPROCESSING = os.path.join(HERE, ${pyString(opts.preprocessingFile)})`);
  if (t.dataKind === 'images' || t.dataKind === 'text') {
    lines.push(`LABEL_MODE = ${pyString(t.labelMode === 'float' ? 'int' : t.labelMode)}  # how class ids reach the loss`);
  }
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
