/**
 * `layerloom explain PROJECT [--run R [--checkpoint C] | --weights DIR] --input FILE
 *  --method gradcam|saliency|activations [--layer NAME] [--class K] --out DIR`:
 * shows what a trained model looks at (Grad-CAM, saliency) or what each block outputs for one input.
 */
import { parseArgs } from 'node:util';
import { loadProjectFile, ProjectFileError } from '../services/projectService.js';
import { BackendError, loadTrainingBackend } from '../services/trainingBackend.js';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';
import { ExplainError } from '../../shared/explain/explain.js';
import { parseWeightSource, WeightSourceError, type WeightSource } from '../../shared/training/weightSource.js';
import { explainToFolder, loadExplainModel, prepareInputFile, type ExplainMethod } from '../services/explainService.js';

const USAGE = `Usage: layerloom explain PROJECT [--run best|latest|ID [--checkpoint best|last] | --weights DIR] --input FILE --method gradcam|saliency|activations [--layer NAME] [--class K] --out DIR

Explains what a trained model does with one input, prepared as training prepared the dataset:
  --method gradcam      DIR/heatmap.png (grey, the input's width × height, 0–255 = importance) and
                        DIR/overlay.png: Grad-CAM of the last convolutional block (or --layer)
  --method saliency     the same files: |∂score/∂pixel|, the maximum over channels
  --method activations  one PNG per block (feature maps, heat maps, bar strips) and
                        DIR/activations.json (shape, min, max, mean, dead ReLU share per block)
  For a text model (a .txt input), gradcam and saliency write DIR/attribution.json: gradient ×
  embedding per token.
  --run R               weights of a run: best (default), latest or a run id
  --checkpoint C        best (default) or last checkpoint of that run
  --weights DIR         weights of a saved model (a folder with model.json)
  --layer NAME          Grad-CAM: the block to explain (its layer name or block id)
  --class K             the class to explain (default: the predicted class)`;

const METHODS: readonly ExplainMethod[] = ['gradcam', 'saliency', 'activations'];

/** Runs the command; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runExplain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      run: { type: 'string' },
      checkpoint: { type: 'string' },
      weights: { type: 'string' },
      input: { type: 'string' },
      method: { type: 'string' },
      layer: { type: 'string' },
      class: { type: 'string' },
      out: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const file = positionals[0];
  const method = values.method as ExplainMethod | undefined;
  const why = !file
    ? 'Give the project file.'
    : !values.input
      ? 'Give the input with --input FILE.'
      : !method || !METHODS.includes(method)
        ? `--method must be gradcam, saliency or activations${values.method ? `, not "${values.method}"` : ''}.`
        : !values.out
          ? 'Give the output folder with --out DIR.'
          : null;
  if (why || !file || !values.input || !method || !values.out) {
    console.error(`${why ?? ''}\n\n${USAGE}`);
    return 2;
  }
  const classIndex = values.class === undefined ? undefined : Number(values.class);
  if (classIndex !== undefined && !(Number.isInteger(classIndex) && classIndex >= 0)) {
    console.error(`--class must be a class index (0, 1, …), not "${values.class}".\n\n${USAGE}`);
    return 2;
  }
  let source: WeightSource;
  try {
    source = parseWeightSource({ run: values.run ?? (values.weights === undefined ? 'best' : undefined), weights: values.weights, checkpoint: values.checkpoint });
  } catch (e) {
    if (!(e instanceof WeightSourceError)) throw e;
    console.error(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  try {
    const { doc } = await loadProjectFile(file);
    const { tf } = await loadTrainingBackend('auto');
    silenceCpuBanner(tf);
    const model = await loadExplainModel(tf, { doc, projectPath: file, source });
    for (const n of model.notes) console.log(`note: ${n}`);
    const input = await prepareInputFile(tf, model, values.input);
    try {
      const outcome = await explainToFolder(tf, model, input, { method, out: values.out, ...(values.layer ? { layer: values.layer } : {}), ...(classIndex !== undefined ? { classIndex } : {}) });
      for (const f of outcome.files) console.log(`wrote ${f}`);
      const name = (k: number) => (model.preprocessing && 'classes' in model.preprocessing ? (model.preprocessing.classes[k] ?? String(k)) : String(k));
      console.log(`Predicted class ${outcome.predicted} (${name(outcome.predicted)}, p = ${(outcome.probabilities[outcome.predicted] ?? outcome.probabilities[0]).toFixed(4)}) with ${model.provenance.label}.`);
      if (outcome.classIndex !== null) console.log(`Explained class ${outcome.classIndex} (${name(outcome.classIndex)})${outcome.layer ? ` at block ${outcome.layer}` : ''}.`);
      return 0;
    } finally {
      input.x.dispose();
      model.model.dispose();
    }
  } catch (e) {
    if (e instanceof ExplainError || e instanceof ProjectFileError || e instanceof WeightSourceError || e instanceof BackendError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}
