/**
 * TypeScript export: a standalone TensorFlow.js (Node) project with `model.ts` (`buildModel()`,
 * the same layers, names and weights as the app), `weights.ts` (loads the exported weights),
 * `train.ts` (the same data preparation and training as the Python export, on tfjs-node), and its
 * package.json / tsconfig.json / README.md. Pure and deterministic.
 *
 * model.ts, weights.ts, training.ts (with the loaders of data.ts), project.ts and readme.ts write
 * those files; this module lists them.
 */
import type { ProjectDocument } from '../../graph/document.js';
import { CUSTOM_LAYERS_TS } from '../customLayersSource.generated.js';
import { DATA_PREP_TS } from '../dataPrepSource.generated.js';
import type { ExportFile } from '../exportFile.js';
import { planModel } from '../plan.js';
import { planTraining } from '../training.js';
import { TS_CUSTOM_LAYERS_FILE } from '../tsCustomLayers.js';
import { TS_DATA_PREP_FILE } from '../tsDataPrep.js';
import { modelTs, usesCustomLayers } from './model.js';
import type { TsExportOptions } from './options.js';
import { packageJson, TSCONFIG } from './project.js';
import { readmeTs } from './readme.js';
import { trainTs } from './training.js';
import { planConstraints } from './constraints.js';
import { WEIGHTS_TS } from './weights.js';

export { TS_WEIGHTS_FOLDER, type TsExportOptions } from './options.js';

/** Generates the TypeScript export's files (model.ts first). Throws {@link CompileError} for a graph with errors. */
export function generateTs(doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name' | 'dataset' | 'training'>, opts: TsExportOptions = {}): ExportFile[] {
  const plan = planModel(doc);
  const t = planTraining(doc, plan);
  const dataDefault = opts.dataPath === undefined ? (doc.dataset?.path ?? null) : opts.dataPath;
  const files: ExportFile[] = [
    { path: 'model.ts', content: modelTs(doc, plan) },
    { path: 'weights.ts', content: WEIGHTS_TS },
    { path: 'train.ts', content: trainTs(t, opts, dataDefault, planConstraints(plan)) },
  ];
  // Layerloom's split, tokenizer and resizing, which train.ts's loaders use.
  files.push({ path: TS_DATA_PREP_FILE, content: DATA_PREP_TS });
  if (usesCustomLayers(plan)) files.push({ path: TS_CUSTOM_LAYERS_FILE, content: CUSTOM_LAYERS_TS });
  files.push({ path: 'package.json', content: packageJson(plan, t.dataKind === 'csv') });
  files.push({ path: 'tsconfig.json', content: TSCONFIG });
  files.push({ path: 'README.md', content: readmeTs(doc, plan, t, opts) });
  return files;
}
