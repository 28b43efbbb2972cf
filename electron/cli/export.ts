/**
 * `layerloom export FILE --to keras|ts|onnx -o DIR [--run best|latest|ID [--checkpoint best|last] | --weights DIR | --seed N] [--quantize float16|uint8] [--tflite dynamic|float16|int8] [--opset N] [--force]`:
 * writes runnable Keras or TypeScript code for a project, or an ONNX model, with its weights.
 */
import { parseArgs } from 'node:util';
import { ExportError, exportProject } from '../services/exportService.js';
import type { TF } from '../../shared/compile/tfTypes.js';
import { BackendError, loadTrainingBackend } from '../services/trainingBackend.js';
import { loadProjectFile, ProjectFileError } from '../services/projectService.js';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from '../../shared/codegen/onnx/index.js';
import { isWeightQuantization, quantizationLines } from '../../shared/codegen/quantize.js';
import { isTfliteMode, tfliteLine } from '../../shared/codegen/keras/index.js';
import { parseWeightSource, WeightSourceError, type WeightSource } from '../../shared/training/weightSource.js';

const USAGE = `Usage: layerloom export FILE --to keras|ts|onnx -o DIR [--run best|latest|ID] [--checkpoint best|last] [--weights DIR | --seed N] [--quantize float16|uint8] [--tflite dynamic|float16|int8] [--opset N] [--force]

Writes the project as runnable code into DIR:
  --to keras        model.py (build_model, load_weights, main to train), requirements.txt, README.md, weights.npz,
                    k8s/tfjob.yaml + k8s/Dockerfile (Kubeflow TFJob: train on several machines)
  --to ts           model.ts (buildModel), weights.ts, train.ts, package.json, tsconfig.json, README.md, weights/
  --to onnx         model.onnx (weights inside), README.md (input and output names, types, shapes),
                    predict.py (runs it with ONNX Runtime)
  --run R           weights of a run of the project: best (the best value of its monitored metric,
                    val_loss unless set), latest, or a run id (its folder name under runs/);
                    only completed or stopped runs whose weights fit the graph count
  --checkpoint C    best (default) or last checkpoint of that run
  --weights DIR     weights of a saved model (a folder with model.json)
  --seed N          the initial weights of seed N (no run is read): each block's initializers
                    are seeded from N and the block's id, so two exports with the same N write
                    byte-identical weights, the ones \`layerloom train --seed N\` starts from, and
                    adding a block leaves the other blocks' weights unchanged
                    default: --run best when a run fits the graph, else the initial weights of
                    the project's seed
  --quantize Q      --to ts only: float16 (half the size) or uint8 (a quarter) weights, in
                    TensorFlow.js's quantized manifest form (tfjs dequantizes them when loading);
                    prints the size before → after and, when the project has a dataset, the
                    accuracy of the float and the quantized model on its validation split
  --tflite M        --to keras only: also write model.tflite, converted by the exported model.py
                    (python model.py --tflite M, TensorFlow's converter; needs Python with
                    TensorFlow: LAYERLOOM_PYTHON, else python3). dynamic: int8 weights, float
                    compute; float16: float16 weights; int8: full-integer, calibrated on the
                    project's training data. Recurrent models convert with the batch fixed to 1
                    and are refused in int8 (TensorFlow's converter crashes on them)
  --opset N         ONNX opset, ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET}); --to onnx only
  --external-data-above BYTES
                    ONNX: store the weights in model.onnx.data beside model.onnx when they exceed
                    BYTES (default 1 GiB; protobuf cannot hold more than 2 GiB)
  --force           write into DIR even if it is not empty (files with the same names are replaced)

README.md and layerloom-export.json say which run and checkpoint the weights came from.

Files are written to a staging folder in DIR and renamed into place when all are written;
layerloom-export.json, written last, lists each file with its size and sha256. A folder without
it is an incomplete export (e.g. an interrupted one).`;

/** Runs the command; returns the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function runExport(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        to: { type: 'string' },
        out: { type: 'string', short: 'o' },
        weights: { type: 'string' },
        run: { type: 'string' },
        checkpoint: { type: 'string' },
        seed: { type: 'string' },
        opset: { type: 'string' },
        'external-data-above': { type: 'string' },
        force: { type: 'boolean' },
        quantize: { type: 'string' },
        tflite: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const file = positionals[0];
  const to = values.to === 'tfjs' ? 'ts' : values.to;
  if (!file || !values.out || (to !== 'keras' && to !== 'ts' && to !== 'onnx')) {
    const why = !file ? 'Give the project file.' : !values.out ? 'Give the output folder with -o DIR.' : `--to must be keras, ts or onnx${values.to ? `, not "${values.to}"` : ''}.`;
    console.error(`${why}\n\n${USAGE}`);
    return 2;
  }
  const quantize = values.quantize;
  if (quantize !== undefined && !isWeightQuantization(quantize)) {
    console.error(`--quantize must be float16 or uint8, not "${quantize}".\n\n${USAGE}`);
    return 2;
  }
  if (quantize && to !== 'ts') {
    console.error(`--quantize applies to --to ts (TensorFlow.js weights); the Keras and ONNX exports ship float32 weights.\n\n${USAGE}`);
    return 2;
  }
  const tflite = values.tflite;
  if (tflite !== undefined && !isTfliteMode(tflite)) {
    console.error(`--tflite must be dynamic, float16 or int8, not "${tflite}".\n\n${USAGE}`);
    return 2;
  }
  if (tflite && to !== 'keras') {
    console.error(`--tflite applies to --to keras: the exported model.py converts the model with TensorFlow.\n\n${USAGE}`);
    return 2;
  }
  let source: WeightSource | undefined;
  try {
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isSafeInteger(seed)) throw new WeightSourceError(`--seed: expected an integer, got "${values.seed}".`);
    const given = values.run !== undefined || values.weights !== undefined || values.checkpoint !== undefined || seed !== undefined;
    if (given) source = parseWeightSource({ run: values.run, weights: values.weights, checkpoint: values.checkpoint, seed });
  } catch (e) {
    if (!(e instanceof WeightSourceError)) throw e;
    console.error(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  if ((values.opset !== undefined || values['external-data-above'] !== undefined) && to !== 'onnx') {
    console.error(`--opset and --external-data-above apply to --to onnx only.\n\n${USAGE}`);
    return 2;
  }
  const opset = values.opset === undefined ? undefined : Number(values.opset);
  if (opset !== undefined && !(Number.isInteger(opset) && opset >= MIN_OPSET && opset <= MAX_OPSET)) {
    console.error(`--opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, not "${values.opset}".`);
    return 2;
  }
  const external = values['external-data-above'];
  const externalDataAbove = external === undefined ? undefined : Number(external);
  if (externalDataAbove !== undefined && !(Number.isInteger(externalDataAbove) && externalDataAbove >= 0)) {
    console.error(`--external-data-above must be a whole number of bytes (0 or more), not "${external}".`);
    return 2;
  }
  let doc;
  try {
    doc = (await loadProjectFile(file)).doc;
  } catch (e) {
    if (e instanceof ProjectFileError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  // Export only initialises weights, so the pure-JS backend is enough; its "install tfjs-node"
  // banner would only confuse here. A quantized export also scores the model twice on the
  // validation split: that runs on the best backend that loads, as training does.
  let tf: TF;
  if (quantize) {
    try {
      tf = (await loadTrainingBackend('auto')).tf;
    } catch (e) {
      if (!(e instanceof BackendError)) throw e;
      console.error(e.message);
      return 1;
    }
  } else {
    tf = await import('@tensorflow/tfjs');
    await tf.ready();
  }
  silenceCpuBanner(tf);
  try {
    const result = await exportProject({ doc, target: to, folder: values.out, projectPath: file, ...(source ? { source } : {}), force: values.force === true, tf, opset, externalDataAbove, ...(quantize ? { quantize } : {}), ...(tflite ? { tflite } : {}) });
    for (const f of result.files) console.log(`wrote ${f}`);
    for (const n of result.notes) console.log(`note: ${n}`);
    if (result.tflite) console.log(tfliteLine(result.tflite));
    if (result.quantization) for (const line of quantizationLines(result.quantization)) console.log(line);
    const what = to === 'keras' ? 'Keras (Python)' : to === 'onnx' ? `ONNX (opset ${opset ?? DEFAULT_OPSET})` : 'TypeScript (tfjs)';
    console.log(`Exported ${doc.name} as ${what} to ${result.folder} with ${result.provenance.source === 'run' ? `the weights of ${result.provenance.label}` : result.provenance.label}${result.provenance.args ? ` (${result.provenance.args})` : ''}.`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}
