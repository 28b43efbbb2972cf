/**
 * Code generation entry points: the Keras (Python) and TypeScript (tfjs) exports of a project.
 */
import type { GeneratedCode } from '../api/types.js';
import type { ProjectDocument } from '../graph/document.js';
import { generateKerasFiles, KERAS_WEIGHTS_FILE, type KerasExportOptions } from './keras.js';
import { generateTs, TS_WEIGHTS_FOLDER, type TsExportOptions } from './typescript.js';

export { generateKeras, generateKerasFiles, KERAS_WEIGHTS_FILE } from './keras.js';
export type { ExportFile, KerasExportOptions } from './keras.js';
export { generateTs, TS_WEIGHTS_FOLDER } from './typescript.js';
export type { TsExportOptions } from './typescript.js';

/**
 * The generated files for a target, main file first, as the editor's code view shows them
 * (`generateCode` of the API). Weights are referenced as they will be shipped by an export.
 * Throws CompileError for a graph with errors.
 */
export function generateCode(
  doc: Pick<ProjectDocument, 'nodes' | 'edges' | 'name' | 'dataset' | 'training'>,
  target: 'keras' | 'tfjs',
  opts: KerasExportOptions & TsExportOptions = {},
): GeneratedCode {
  if (target === 'keras') {
    return { target, language: 'python', files: generateKerasFiles(doc, { weightsFile: KERAS_WEIGHTS_FILE, ...opts }) };
  }
  return { target, language: 'typescript', files: generateTs(doc, { weightsFolder: TS_WEIGHTS_FOLDER, ...opts }) };
}
