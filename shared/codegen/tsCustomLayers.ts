/**
 * Layerloom's custom tfjs layers (shared/compile/customLayers.ts) as a standalone file of the
 * TypeScript export. The export ships the app's own source, not a rewrite, so the exported model
 * runs the same maths; {@link inlineCustomLayerSource} turns that module into a file that depends
 * only on `@tensorflow/tfjs`. The result is kept in customLayersSource.generated.ts (shared/ has no
 * file access): `npm run gen` (scripts/gen.ts) rewrites it, and the golden export test fails when it
 * is stale.
 */

/** File name of the custom layers inside a TypeScript export. */
export const TS_CUSTOM_LAYERS_FILE = 'layerloomLayers.ts';

const HEADER = `/**
 * Layerloom's own layers, copied from Layerloom's source so this model runs exactly as it does there.
 * model.ts calls layerloomLayers(tf) to get the classes; they are registered for serialization, so
 * models saved with them load again with tf.loadLayersModel once this module has been called.
 */
`;

/**
 * Turns the source of shared/compile/customLayers.ts into the export's layerloomLayers.ts: relative
 * imports go (the `TF` type is restated from `@tensorflow/tfjs`) and `createCustomLayer`, which
 * needs the block catalog, is left out. Throws when the module no longer has the expected shape,
 * naming what to update.
 */
export function inlineCustomLayerSource(source: string): string {
  const lines = source.split('\n');
  const kept: string[] = [];
  let importedTf = false;
  for (const line of lines) {
    const m = /^import (type )?.* from '([^']+)';$/.exec(line);
    if (m && m[2].startsWith('.')) {
      if (/\bTF\b/.test(line)) importedTf = true;
      continue;
    }
    kept.push(line);
  }
  let text = kept.join('\n');
  const bodyStart = text.indexOf('\nexport function createCustomLayer(');
  if (bodyStart >= 0) {
    // Its JSDoc goes with it.
    const doc = text.lastIndexOf('/**', bodyStart);
    const start = doc >= 0 && text.slice(doc, bodyStart).trimEnd().endsWith('*/') ? doc : bodyStart + 1;
    const end = text.indexOf('\n}\n', bodyStart);
    if (end < 0) throw new Error('customLayers.ts: cannot find the end of createCustomLayer; update inlineCustomLayerSource.');
    text = text.slice(0, start) + text.slice(end + 3);
  }
  if (importedTf) {
    const lastImport = [...text.matchAll(/^import .*;$/gm)].pop();
    if (!lastImport || lastImport.index === undefined) throw new Error('customLayers.ts no longer imports @tensorflow/tfjs types; update inlineCustomLayerSource.');
    const at = lastImport.index + lastImport[0].length;
    text = `${text.slice(0, at)}\n\ntype TF = typeof tfjs;${text.slice(at)}`;
  }
  for (const name of ['LayerCall', 'tfjsConfig', 'createCustomLayer']) {
    if (new RegExp(`\\b${name}\\b`).test(text.replace(/\/\*[^]*?\*\//g, '').replace(/\/\/.*$/gm, ''))) {
      throw new Error(`customLayers.ts uses ${name} outside createCustomLayer; the TypeScript export cannot inline it. Update inlineCustomLayerSource.`);
    }
  }
  return HEADER + text.trimEnd().replace(/\n{3,}/g, '\n\n') + '\n';
}

/**
 * `text` as a TypeScript template literal that evaluates to exactly `text`, its lines kept as lines:
 * backslashes, backticks and `${` are escaped, and so are carriage returns (which a template
 * literal would turn into line feeds).
 */
export function templateLiteral(text: string): string {
  return '`' + text.replace(/[\\`]|\$\{|\r/g, (c) => (c === '\r' ? '\\r' : `\\${c}`)) + '`';
}

/** The text of customLayersSource.generated.ts for a given customLayers.ts source. */
export function customLayersModule(source: string): string {
  return (
    '// Generated from shared/compile/customLayers.ts by `npm run gen` (scripts/gen.ts).\n' +
    '// Do not edit: change customLayers.ts and run `npm run gen`.\n\n' +
    "/** The TypeScript export's layerloomLayers.ts (see tsCustomLayers.ts). */\n" +
    `export const CUSTOM_LAYERS_TS = ${templateLiteral(inlineCustomLayerSource(source))};\n`
  );
}
