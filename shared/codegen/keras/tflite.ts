/**
 * TensorFlow Lite from the Keras export: `python model.py --tflite dynamic|float16|int8` converts
 * `build_model()` with the exported weights through TensorFlow's own converter and writes
 * `model.tflite`. The rules measured on TensorFlow 2.21 are encoded here once, for model.py and for
 * the hosts that refuse a conversion before starting Python:
 *
 * - a CNN or MLP converts in all three modes with a variable batch;
 * - a recurrent layer (LSTM, GRU, SimpleRNN, Bidirectional) converts only with the batch fixed
 *   (the converter cannot lower the TensorList ops of a loop over a variable batch), so model.py
 *   fixes it to 1 for such models;
 * - int8 (full-integer) conversion of a recurrent model crashes the converter's process (an abort
 *   in native code, no Python exception), so it is refused with a message instead.
 */
import { formatBytes } from '../../analysis/numbers.js';
import { pyString } from '../literals.js';
import { planLayers, type ModelPlan } from '../plan.js';
import type { TrainingPlan } from '../training.js';

/** The TFLite conversions model.py offers. */
export const TFLITE_MODES = ['dynamic', 'float16', 'int8'] as const;

/**
 * `dynamic`: int8 weights, float activations (dynamic-range quantization); `float16`: float16
 * weights; `int8`: full-integer quantization (weights and activations, int8 input and output),
 * calibrated on a representative sample of the project's training data.
 */
export type TfliteMode = (typeof TFLITE_MODES)[number];

/** Narrows a string to a {@link TfliteMode}. */
export function isTfliteMode(value: unknown): value is TfliteMode {
  return typeof value === 'string' && (TFLITE_MODES as readonly string[]).includes(value);
}

/** The file model.py writes by default, beside itself. */
export const TFLITE_FILE = 'model.tflite';

/** Samples of the training split the int8 conversion calibrates its activation ranges on. */
export const TFLITE_REPRESENTATIVE_SAMPLES = 200;

/** The line an export prints for its model.tflite: `TFLite int8: model.tflite 100.47 KB (float32 weights 364.54 KB)`. */
export function tfliteLine(r: { readonly mode: TfliteMode; readonly bytes: number; readonly floatBytes: number }): string {
  return `TFLite ${r.mode}: ${TFLITE_FILE} ${formatBytes(r.bytes)} (float32 weights ${formatBytes(r.floatBytes)})`;
}

/** Keras classes whose conversion needs a fixed batch and crashes in int8 (TF 2.21). */
const RECURRENT_CLASSES: ReadonlySet<string> = new Set(['LSTM', 'GRU', 'SimpleRNN', 'RNN', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D']);

/** Layer names of the recurrent layers of a plan (in model order); empty for none. */
export function recurrentLayers(plan: ModelPlan): string[] {
  return planLayers(plan)
    .filter((s) => RECURRENT_CLASSES.has(s.call.kerasClass) || s.call.bidirectional !== undefined)
    .map((s) => s.name);
}

/** Why int8 is refused for a model with these recurrent layers. */
function int8RecurrentMessage(names: readonly string[]): string {
  return `TFLite int8 is not available for models with recurrent layers (${names.join(', ')}): TensorFlow's converter crashes on their full-integer quantization. Use --tflite dynamic or float16 (they convert with the batch fixed to 1).`;
}

/**
 * Why `mode` cannot convert this model, or null when it can. int8 also needs data to calibrate
 * on: a model without a dataset loader in model.py is refused.
 */
export function tfliteProblem(plan: ModelPlan, t: Pick<TrainingPlan, 'dataKind' | 'dataProblem'>, mode: TfliteMode): string | null {
  if (mode !== 'int8') return null;
  const recurrent = recurrentLayers(plan);
  if (recurrent.length) return int8RecurrentMessage(recurrent);
  if (!t.dataKind) return `TFLite int8 calibrates on the project's data, but model.py has no dataset loader for this model: ${t.dataProblem ?? ''} Use --tflite dynamic or float16.`;
  return null;
}

/** The representative-dataset reader of model.py for its dataset kind (sample inputs of the training split). */
function representativeReader(t: TrainingPlan, saved: boolean): string {
  const doc = `    """Inputs of the training split, prepared as for training, that the int8 conversion
    calibrates its ranges on: count of them in a seeded random order (all classes)."""`;
  if (t.dataKind === 'images') {
    // Only the chosen images are decoded: a large folder costs a listing, not a full decode.
    return `def representative_samples(path, weights, count=TFLITE_SAMPLES):
${doc}
    classes, per_class = list_class_files(
        path, lambda name: os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
    )
    _, files, labels = keep_non_empty(classes, per_class)
    train, _ = stratified_split(len(files), VALIDATION_SPLIT, SEED, labels)
    chosen = np.random.default_rng(SEED).permutation(np.asarray(train))[:count]
    return np.stack([load_image(files[i]).numpy() for i in chosen])
`;
  }
  const savedArg = saved ? ', saved' : '';
  const savedLine = saved ? `    saved = saved_preprocessing(${pyString(t.dataKind ?? '')}) if weights.lower() != "none" else None\n` : '';
  // Texts need the vocabulary of the whole training split, CSV rows its scaling: read as for training.
  const read =
    t.dataKind === 'csv'
      ? `    (x, _), _ = load_data(path, VALIDATION_SPLIT${savedArg})
    train = np.arange(len(x))`
      : `    _, _, _, x, train, _ = read_texts(path, VALIDATION_SPLIT${savedArg})`;
  return `def representative_samples(path, weights, count=TFLITE_SAMPLES):
${doc}
${savedLine}${read}
    chosen = np.random.default_rng(SEED).permutation(np.asarray(train))[:count]
    return x[chosen]
`;
}

/**
 * The TFLite part of model.py: the constants, `representative_samples()` (when the model has a
 * dataset loader) and `convert_tflite()` / `export_tflite()`, which `main()` calls for `--tflite`.
 */
export function tfliteSections(plan: ModelPlan, t: TrainingPlan, saved: boolean): string[] {
  const recurrent = recurrentLayers(plan);
  const noData = t.dataKind ? null : `TFLite int8 calibrates on the project's data, but model.py has no dataset loader for this model: ${t.dataProblem ?? ''} Use --tflite dynamic or float16.`;
  const constants = [
    `TFLITE_FILE = os.path.join(HERE, ${pyString(TFLITE_FILE)})`,
    `TFLITE_SAMPLES = ${TFLITE_REPRESENTATIVE_SAMPLES}  # training inputs the int8 conversion calibrates on`,
    `# Recurrent layers convert only with a fixed batch, and not in int8 (TensorFlow 2.21).`,
    `TFLITE_RECURRENT = (${recurrent.map(pyString).join(', ')}${recurrent.length === 1 ? ',' : ''})`,
  ].join('\n');
  // The same words as int8RecurrentMessage, for a user who runs model.py directly.
  const refuse = `    if mode == "int8" and TFLITE_RECURRENT:
        # Full-integer quantization of a recurrent layer aborts the converter's process.
        names = ", ".join(TFLITE_RECURRENT)
        raise SystemExit(
            f"TFLite int8 is not available for models with recurrent layers ({names}): "
            "TensorFlow's converter crashes on their full-integer quantization. Use "
            "--tflite dynamic or float16 (they convert with the batch fixed to 1)."
        )`;
  const data = t.dataKind
    ? `        if data is None:
            raise SystemExit("--tflite int8 calibrates on the data: give --data.")
        samples = representative_samples(data, weights)

        def representative():
            for sample in samples:
                yield [sample[None, ...]]

        converter.representative_dataset = representative`
    : `        raise SystemExit(${pyString(noData ?? '')})`;
  const convert = `def convert_tflite(model, mode, data, weights):
    """The model as TensorFlow Lite (bytes), converted by TensorFlow's converter.

    dynamic: int8 weights, float compute; float16: float16 weights; int8: full
    integer (int8 weights, activations, input and output), calibrated on training
    inputs."""
${refuse}
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
${data}
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
`;
  return [constants, ...(t.dataKind ? [representativeReader(t, saved)] : []), convert];
}
