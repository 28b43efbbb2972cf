/** README.md of the TypeScript export. */
import type { ProjectDocument } from '../../graph/document.js';
import { dataLayout } from '../dataLayout.js';
import type { ModelPlan } from '../plan.js';
import type { TrainingPlan } from '../training.js';
import { TS_DATA_PREP_FILE } from '../tsDataPrep.js';
import { TS_CUSTOM_LAYERS_FILE } from '../tsCustomLayers.js';
import { TFJS_VERSION } from '../versions.js';
import { usesCustomLayers } from './model.js';
import type { TsExportOptions } from './options.js';

/** README.md of a TypeScript export: the files, how to run it, the data layout. */
export function readmeTs(doc: Pick<ProjectDocument, 'name'>, plan: ModelPlan, t: TrainingPlan, opts: TsExportOptions): string {
  const usesCustom = usesCustomLayers(plan);
  return `# ${doc.name || plan.modelName} (TensorFlow.js)

Exported from Layerloom. \`buildModel()\` in \`model.ts\` builds the same network as the app: same layers, names and weights layout.

| File | What it is |
| --- | --- |
| \`model.ts\` | \`buildModel()\`: the model, uncompiled |
| \`weights.ts\` | \`loadWeights(model, folder)\`: loads weights saved in TensorFlow.js format |
| \`train.ts\` | trains the model on the project's dataset (same preparation and settings as Layerloom) |
| \`${TS_DATA_PREP_FILE}\` | Layerloom's own data preparation (split, tokenizer, image resizing, CSV rules), so train.ts prepares the same tensors |
${usesCustom ? `| \`${TS_CUSTOM_LAYERS_FILE}\` | Layerloom's own layers used by this model (attention, position embedding) |\n` : ''}${opts.weightsFolder ? `| \`${opts.weightsFolder}/\` | the model's weights when it was exported (\`model.json\` + \`weights.bin\`) |\n` : ''}${opts.preprocessingFile ? `| \`${opts.preprocessingFile}\` | how the weights' training run prepared its data (classes, CSV scaling, vocabulary); train.ts reuses it |\n` : ''}${opts.weightsNote ? `\n## Weights\n\n${opts.weightsNote}\n` : ''}
## Run

\`\`\`sh
npm install
npm run typecheck
npx tsx train.ts --data PATH --epochs ${t.settings.epochs}
\`\`\`

Options: \`--data\` (dataset path), \`--epochs\`, \`--batch-size\`, \`--weights FOLDER|none\` (initial weights; default: the exported ones), \`--output DIR\` (checkpoints \`last/\` and \`best/\`, and the trained \`model/\`; default \`training_output\`).

\`@tensorflow/tfjs-node\` downloads TensorFlow's C library when installed. On a machine with an NVIDIA GPU (CUDA 11.2 + cuDNN 8.1), install \`@tensorflow/tfjs-node-gpu@${TFJS_VERSION}\` instead and change the import in \`train.ts\` to \`'@tensorflow/tfjs-node-gpu'\`. \`model.ts\` only needs \`@tensorflow/tfjs\`, so it also runs in a browser.

## Data

${dataLayout(t)}
`;
}
