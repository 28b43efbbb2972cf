/**
 * `layerloom export FILE --to keras|ts -o DIR [--weights W] [--force]`: writes runnable Keras or
 * TypeScript code for a project, with its weights.
 */
import { parseArgs } from 'node:util';
import { ExportError, exportProject } from '../services/exportService.js';
import { loadProjectFile, ProjectFileError } from '../services/projectService.js';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';
import { DEFAULT_TRAINING } from '../../shared/training/settings.js';

const USAGE = `Usage: layerloom export FILE --to keras|ts -o DIR [--weights W | --seed N] [--force]

Writes the project as runnable code into DIR:
  --to keras   model.py (build_model, load_weights, main to train), requirements.txt, README.md, weights.npz
  --to ts      model.ts (buildModel), weights.ts, train.ts, package.json, tsconfig.json, README.md, weights/
  --weights W  weights of a saved model (a folder with model.json, e.g. runs/<id>/model);
               default: the project's latest run, else the initial weights
  --seed N     export the initial weights of seed N (no run is read): each block's initializers
               are seeded from N and the block's id, so two exports with the same N write
               byte-identical weights, the ones \`layerloom train --seed N\` starts from, and adding
               a block leaves the other blocks' weights unchanged. Without a run, the initial
               weights come from the project's seed.
  --force      write into DIR even if it is not empty (files with the same names are replaced)

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
        seed: { type: 'string' },
        force: { type: 'boolean' },
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
  if (!file || !values.out || (to !== 'keras' && to !== 'ts')) {
    const why = !file ? 'Give the project file.' : !values.out ? 'Give the output folder with -o DIR.' : `--to must be keras or ts${values.to ? `, not "${values.to}"` : ''}.`;
    console.error(`${why}\n\n${USAGE}`);
    return 2;
  }
  let seed: number | null = null;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isSafeInteger(seed)) {
      console.error(`--seed: expected an integer, got "${values.seed}".\n\n${USAGE}`);
      return 2;
    }
    if (values.weights) {
      console.error(`Give either --seed (initial weights) or --weights, not both.\n\n${USAGE}`);
      return 2;
    }
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
  // banner would only confuse here.
  const tf = await import('@tensorflow/tfjs');
  await tf.ready();
  silenceCpuBanner(tf);
  try {
    const result = await exportProject({ doc, target: to, folder: values.out, projectPath: file, weights: values.weights ?? null, seed, force: values.force === true, tf });
    for (const f of result.files) console.log(`wrote ${f}`);
    for (const n of result.notes) console.log(`note: ${n}`);
    console.log(`Exported ${doc.name} as ${to === 'keras' ? 'Keras (Python)' : 'TypeScript (tfjs)'} to ${result.folder} with ${result.weightsFrom === 'initial' ? `the initial weights (seed ${seed ?? doc.training?.seed ?? DEFAULT_TRAINING.seed})` : `the weights of ${result.weightsFrom}`}.`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}
