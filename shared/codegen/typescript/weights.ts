/** weights.ts of the TypeScript export: loads weights saved in TensorFlow.js format into buildModel()'s model. */
import { importLines } from './imports.js';

/** The text of weights.ts (the same for every model). */
export const WEIGHTS_TS = `/**
 * Loads weights saved in TensorFlow.js's format (model.json + binary shards) into a model built by
 * buildModel(), matching each weight by name and checking its shape. Works with any tfjs backend.
 */
${importLines([['* as tf', '@tensorflow/tfjs'], ['{ readFile }', 'node:fs/promises'], ['{ join }', 'node:path']])}

interface ModelJson {
  readonly weightsManifest: tf.io.WeightsManifestConfig;
}

/** Sets the weights of \`model\` from \`folder\`/model.json and the files it lists. */
export async function loadWeights(model: tf.LayersModel, folder: string): Promise<void> {
  const manifest = (JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as ModelJson).weightsManifest;
  const specs = manifest.flatMap((group) => group.weights);
  const shards = await Promise.all(manifest.flatMap((group) => group.paths).map((p) => readFile(join(folder, p))));
  const bytes = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let offset = 0;
  for (const shard of shards) {
    bytes.set(shard, offset);
    offset += shard.byteLength;
  }
  const named = tf.io.decodeWeights(bytes.buffer, specs);
  try {
    const values = model.weights.map((w) => {
      const value = named[w.originalName];
      if (!value) throw new Error(\`\${folder}/model.json has no weight "\${w.originalName}": it was saved from a different model.\`);
      if (value.shape.join(',') !== w.shape.join(',')) {
        throw new Error(\`\${folder}: weight "\${w.originalName}" has shape [\${value.shape}], the model needs [\${w.shape}].\`);
      }
      return value;
    });
    model.setWeights(values);
  } finally {
    tf.dispose(Object.values(named));
  }
}
`;
