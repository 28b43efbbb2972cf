/**
 * The training part of model.py: the settings constants, `main()` (options, compile, fit with
 * checkpoints, early stopping and learning-rate decay) and the tf.distribute helpers.
 */
import { isAbsolutePath } from '../exportFile.js';
import { pyString } from '../literals.js';
import { kerasOptimizerExpression } from '../../training/compileTable.js';
import type { TrainingPlan } from '../training.js';
import type { KerasExportOptions } from './options.js';

function optimizerExpr(t: TrainingPlan): string {
  // The shared table (Keras's defaults written out), the same values the app's tfjs optimizer uses.
  return kerasOptimizerExpression(t.settings.optimizer, 'LEARNING_RATE', 12, 'optimizer=');
}

/** make_strategy() and is_chief(): training on several GPUs or machines with tf.distribute. */
export function distributeHelpers(): string {
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
    args = parser.parse_args()
    keras.utils.set_random_seed(SEED)
    if args.tflite:
        export_tflite(args.tflite, args.data, args.weights, args.tflite_output)
        return
    if args.data is None:
        parser.error("give the dataset with --data")

${body}
`;
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
    `LEARNING_RATE = ${s.learningRate}`,
  ];
  if (s.learningRateDecay !== 1) lines.push(`LEARNING_RATE_DECAY = ${s.learningRateDecay}  # multiplies the learning rate each epoch`);
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
