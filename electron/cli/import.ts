/**
 * `layerloom import FILE [-o PROJECT.layerloom] [--max-size MB] [--force] [--json]`: opens a Keras
 * (.keras, .h5, JSON) or TensorFlow.js (model.json) model as a Layerloom project, with its weights
 * as the project's initial weights.
 */
import { parseArgs } from 'node:util';
import { basename, dirname, extname, join } from 'node:path';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';
import { importModelFile, writeImportedProject } from '../services/import/importService.js';
import { MAX_MODEL_BYTES } from '../services/import/modelReaders.js';

const USAGE = `Usage: layerloom import FILE [-o PROJECT.layerloom] [--max-size MB] [--allow-unsupported] [--force] [--json]

Opens a model made elsewhere as an editable Layerloom project:
  FILE              a Keras 3 .keras file, an .h5 file saved by Keras 3 (model.save("m.h5")),
                    Keras JSON (model.to_json(), architecture only), or a TensorFlow.js
                    model.json (its weight shards beside it; quantized weights are dequantized)
  -o PROJECT        the project file to write (default: FILE's name with .layerloom, beside it);
                    the weights go to PROJECT's name with .weights/ beside it (a tfjs model
                    folder): training starts from them, and export with no run writes them
  --max-size MB     refuse files larger than MB megabytes (default ${MAX_MODEL_BYTES / 1024 ** 2})
  --allow-unsupported
                    keep each layer Layerloom cannot represent as an opaque block that holds
                    its Keras config and weights unchanged and shows "unsupported: <class>"
                    as an error (training and export refuse until it is replaced)
  --force           replace an existing project file and weights folder
  --json            print the import report as JSON

Layers Layerloom cannot represent (a custom class, Lambda, an option no block has) are never
dropped or approximated: the import stops and lists each layer with its class and option, and
nothing is written (unless --allow-unsupported keeps them as opaque blocks). A layer called at two places (shared weights) stops the import too.`;

/** Runs the command; returns the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: 'string', short: 'o' },
      'max-size': { type: 'string' },
      force: { type: 'boolean' },
      'allow-unsupported': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    console.error(`${file ? 'Give one model file.' : 'Missing the model file.'}\n\n${USAGE}`);
    return 2;
  }
  let maxBytes = MAX_MODEL_BYTES;
  if (values['max-size'] !== undefined) {
    const mb = Number(values['max-size']);
    if (!(mb > 0)) {
      console.error(`--max-size: expected a positive number of megabytes, got "${values['max-size']}".\n\n${USAGE}`);
      return 2;
    }
    maxBytes = Math.floor(mb * 1024 ** 2);
  }
  const out = values.out ?? join(dirname(file), `${basename(file, extname(file))}.layerloom`);
  const tf = (await import('@tensorflow/tfjs'));
  silenceCpuBanner(tf);
  await tf.setBackend('cpu');
  const imported = await importModelFile(file, { tf, maxBytes, allowUnsupported: values['allow-unsupported'] === true });
  try {
    const weights = await writeImportedProject(imported, out, values.force === true);
    const r = imported.report;
    if (values.json) {
      console.log(JSON.stringify({ ...r, project: out, weights }));
    } else {
      console.log(
        `Imported ${basename(file)} (${r.format}, ${(r.bytes / 1024).toFixed(1)} KiB): ${r.layers} layers, ${r.params.toLocaleString('en-US')} params (${r.trainable.toLocaleString('en-US')} trainable) in ${r.ms} ms.\n` +
          `Project: ${out}\n` +
          (weights ? `Weights: ${weights}` : 'No weights in the file: training starts from the blocks\' initialisers.') +
          (r.unsupported.length
            ? `\nKept as opaque blocks (errors until replaced): ${r.unsupported.map((u) => `${u.layer} (${u.kerasClass})`).join(', ')}.`
            : ''),
      );
    }
    return 0;
  } finally {
    imported.model?.dispose();
  }
}
