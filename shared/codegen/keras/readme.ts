/** README.md of the Keras export. */
import type { ProjectDocument } from '../../graph/document.js';
import { dataLayout } from '../dataLayout.js';
import type { ModelPlan } from '../plan.js';
import type { TrainingPlan } from '../training.js';
import type { KerasExportOptions } from './options.js';
import { TFJOB_WORKERS } from './tfjob.js';
import { WORKER_GRACE_S } from './training.js';
import { recurrentLayers, TFLITE_REPRESENTATIVE_SAMPLES } from './tflite.js';

/** README's TensorFlow Lite section: the three modes and what holds for this model. */
function tfliteSection(plan: ModelPlan, t: TrainingPlan): string {
  const recurrent = recurrentLayers(plan);
  const int8 = recurrent.length
    ? `\`int8\` is refused for this model: TensorFlow's converter crashes on the full-integer quantization of its recurrent layers (${recurrent.map((n) => `\`${n}\``).join(', ')}). The other modes convert it with the batch fixed to 1 (the converter needs a fixed batch for a recurrent layer's loop): feed one sample per call.`
    : t.dataKind
      ? `\`int8\` calibrates on ${TFLITE_REPRESENTATIVE_SAMPLES} inputs of the training split (read from \`--data\` as for training); the model then takes and returns int8: scale inputs with the input tensor's \`quantization\` (scale, zero point) and read outputs with the output's.`
      : `\`int8\` needs data to calibrate on, and \`main()\` has no dataset loader for this model.`;
  return `## TensorFlow Lite

\`\`\`sh
python model.py --tflite dynamic   # or float16, int8; --tflite-output PATH (default model.tflite here)
\`\`\`

Converts \`build_model()\` with \`--weights\` through TensorFlow's converter: \`dynamic\` stores int8 weights and computes in float (about a quarter of the float32 size), \`float16\` stores float16 weights (half), \`int8\` quantizes weights and activations to int8 (full-integer, for integer-only hardware). ${int8} Run it with \`tf.lite.Interpreter(model_path="model.tflite")\` or LiteRT.
`;
}

/** README.md of a Keras export: the files, how to install, use and train the model, the data layout. */
export function kerasReadme(doc: Pick<ProjectDocument, 'name'>, plan: ModelPlan, t: TrainingPlan, opts: KerasExportOptions): string {
  const title = doc.name || plan.modelName;
  const files = [
    '| `model.py` | `build_model()` (the model, uncompiled), `load_weights()`, and `main()` to train it |',
    '| `requirements.txt` | the Keras, TensorFlow and NumPy versions this export was tested with |',
    ...(opts.weightsFile ? [`| \`${opts.weightsFile}\` | the model's weights when it was exported (arrays in \`model.get_weights()\` order) |`] : []),
    ...(opts.tflite ? [`| \`model.tflite\` | the model with these weights as TensorFlow Lite (\`--tflite ${opts.tflite}\`) |`] : []),
    ...(opts.preprocessingFile ? [`| \`${opts.preprocessingFile}\` | how the weights' training run prepared its data (classes, CSV scaling, vocabulary); the loaders reuse it |`] : []),
    ...(t.dataKind ? ['| `k8s/tfjob.yaml`, `k8s/Dockerfile` | a Kubeflow `TFJob` that trains on several machines of a Kubernetes cluster, and its image |'] : []),
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
| \`--workers\` | 1 | N > 1: start N local workers of one \`multiworker\` run on free 127.0.0.1 ports, see below |
| \`--worker-timeout\` | 300 | \`multiworker\`: seconds a worker waits for the others before it stops with a message |
| \`--mixed-precision\` | off | on a GPU, Keras's \`mixed_float16\` policy: float16 compute, float32 weights, the output layer float32 (so the loss is float32) and loss scaling; without a GPU it says so and trains in float32 |

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

On one machine, \`python model.py --workers 2\` does this for you: it picks free 127.0.0.1 ports, starts two worker processes of the same run with a \`TF_CONFIG\` each (worker 0 is the chief) and prints their process ids; Ctrl-C stops them all.

Every worker needs the dataset at the path given by \`--data\` and opens its port (here 12345) to the others. Each reads the same split in the same seeded order and takes its share of every global batch (\`tf.data\` auto-shard by data), so N workers train on the batches one process would; the strategy is created before any other TensorFlow op, and \`Replicas in sync: N\` is printed when training starts. Workers other than the chief write their checkpoints and model to a temporary folder.

When a worker dies mid-run, the others notice within seconds (TensorFlow's coordination service misses its heartbeats) and stop with a message naming it (\`Training stopped: worker 1 of this multi-worker run stopped or cannot be reached …\`); \`--workers\` then says which worker ended and how (\`worker 1 (127.0.0.1:PORT, process PID) was killed by SIGKILL\`), stops any worker still running after ${WORKER_GRACE_S} s, and exits with status 1. The chief's checkpoints from the epochs before stay in \`--output\`; no \`model.keras\` is written. A worker whose cluster does not come together within \`--worker-timeout\` seconds stops (exit status 1) after saying what it waits for, and a collective that waits longer than that ends training with a message, instead of waiting forever.

Keras 3 up to 3.15 does not train under tf.distribute as one process would (tensorflow/tensorflow#72388): it draws a batch to learn the shapes, which starts an extra pass over the data (a dataset reshuffled every pass then trains in another order), and under \`MultiWorkerMirroredStrategy\` it fails. \`patch_keras_distribute()\` replaces the two functions concerned, for those versions only, and keeps Keras's own \`fit\`, callbacks and metrics. Keras compiles steps with XLA (\`jit_compile="auto"\`) only in one process on a GPU, never under tf.distribute: compare a distributed run with \`--distribute mirrored\` rather than with a plain run there.

Tested on one machine (127.0.0.1), Keras 3.15.1 and TensorFlow 2.21 on CPU: two workers end with the same weights, bit for bit, and the validation loss of one process whose CPU is split into two replicas (to 1e-6), within 1e-3 of a plain single process at the same global batch (the rest is the rounding of summing two half-batch gradients); a worker killed mid-run ends the run as described above. Not tested here: several machines, GPUs.

### Kubernetes (Kubeflow)

\`k8s/tfjob.yaml\` is a Kubeflow \`TFJob\` (training operator, \`kubeflow.org/v1\`) of ${TFJOB_WORKERS} workers that run \`python model.py --distribute multiworker\` with the dataset and the chief's output on volumes; the operator sets each pod's \`TF_CONFIG\` and opens port 2222 between them. Build the image with \`docker build -f k8s/Dockerfile -t IMAGE .\` in this folder, push it, set \`image:\`, the claims and \`replicas:\` in the manifest, then \`kubectl apply -f k8s/tfjob.yaml\`. Tested: the manifest's command and \`TF_CONFIG\` as the operator writes it, on two local processes (127.0.0.1). Not tested here: the image build and a cluster.
`
    : `## Train

\`main()\` has no dataset loader for this model: ${t.dataProblem ?? ''} \`build_model()\` and \`load_weights()\` work as they are.
`;
  return `# ${title} (Keras)

Exported from Layerloom. \`build_model()\` builds the same network as the app: same layers, names and weights.

| File | What it is |
| --- | --- |
${files.join('\n')}
${opts.weightsNote ? `\n## Weights\n\n${opts.weightsNote}\n` : ''}
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

${train}
${tfliteSection(plan, t)}`;
}
