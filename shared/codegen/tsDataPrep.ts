/**
 * Layerloom's data preparation (the split, the tokenizer, image resizing and CSV post-processing of
 * shared/training) as one standalone file of the TypeScript export, layerloomData.ts. The export
 * ships the app's own source, not a rewrite, so its loader prepares the same tensors; the parity
 * tests prove it. The text is kept in dataPrepSource.generated.ts (shared/ has no file access):
 * `npm run gen` (scripts/gen.ts) rewrites it, and the golden export test fails when it is stale.
 */
import { templateLiteral } from './tsCustomLayers.js';

/** File name of the data preparation inside a TypeScript export. */
export const TS_DATA_PREP_FILE = 'layerloomData.ts';

/** The shared/training modules the export ships, in order (each imports at most the ones before it). */
export const DATA_PREP_SOURCES = ['split.ts', 'tokenizer.ts', 'resize.ts', 'csvPrep.ts'] as const;

const HEADER = `/**
 * Layerloom's data preparation, copied from Layerloom's source so this loader prepares exactly the
 * tensors Layerloom trains on: the seeded stratified split, the tokenizer (Keras TextVectorization's
 * rules), bilinear resizing with half-pixel centres and CSV column rules (types, missing values,
 * standardization, one-hot, label order).
 */
`;

/**
 * Joins the modules into one file: their relative imports go (the names are defined in the same
 * file). Throws when a module imports anything else, naming it.
 */
export function inlineDataPrepSources(sources: readonly { name: string; text: string }[]): string {
  const parts = sources.map(({ name, text }) => {
    const kept = text.split('\n').filter((line) => {
      const m = /^import (type )?.* from '([^']+)';$/.exec(line);
      if (!m) return true;
      if (!m[2].startsWith('./')) throw new Error(`shared/training/${name} imports ${m[2]}; the TypeScript export cannot inline it. Keep the data modules free of imports.`);
      return false;
    });
    return `// ---- shared/training/${name}\n\n${kept.join('\n').trim()}\n`;
  });
  return HEADER + '\n' + parts.join('\n').replace(/\n{3,}/g, '\n\n');
}

/** The text of dataPrepSource.generated.ts for the given module sources. */
export function dataPrepModule(sources: readonly { name: string; text: string }[]): string {
  return (
    '// Generated from shared/training/{' + DATA_PREP_SOURCES.join(',') + '} by `npm run gen` (scripts/gen.ts).\n' +
    '// Do not edit: change those modules and run `npm run gen`.\n\n' +
    "/** The TypeScript export's layerloomData.ts (see tsDataPrep.ts). */\n" +
    `export const DATA_PREP_TS = ${templateLiteral(inlineDataPrepSources(sources))};\n`
  );
}
