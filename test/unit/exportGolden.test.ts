/**
 * Golden files of the generated code for every example project (test/golden/<example>/keras|ts/),
 * determinism, and the inlined custom layer source being current. UPDATE_GOLDEN=1 rewrites the
 * golden files under test/golden (nothing else); review the diff before committing it.
 * customLayersSource.generated.ts is written by `npm run gen`: this test only checks it.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { generateKeras, generateKerasFiles, KERAS_WEIGHTS_FILE, type ExportFile } from '../../shared/codegen/keras/index.js';
import { CUSTOM_LAYERS_TS } from '../../shared/codegen/customLayersSource.generated.js';
import { customLayersModule, inlineCustomLayerSource, templateLiteral } from '../../shared/codegen/tsCustomLayers.js';
import { generateTs, TS_WEIGHTS_FOLDER } from '../../shared/codegen/typescript/index.js';
import { exampleCases } from './exportCases.js';

const update = process.env.UPDATE_GOLDEN === '1';
const goldenDir = fileURLToPath(new URL('../golden/', import.meta.url));
const customLayersFile = fileURLToPath(new URL('../../shared/compile/customLayers.ts', import.meta.url));
const generatedFile = fileURLToPath(new URL('../../shared/codegen/customLayersSource.generated.ts', import.meta.url));

const cases = exampleCases();

function exportsOf(doc: (typeof cases)[number]['doc']): Record<'keras' | 'ts', ExportFile[]> {
  return {
    keras: generateKerasFiles(doc, { weightsFile: KERAS_WEIGHTS_FILE }),
    ts: generateTs(doc, { weightsFolder: TS_WEIGHTS_FOLDER }),
  };
}

/** Compares (or with UPDATE_GOLDEN=1 writes) one folder of golden files, extra files included. */
function checkGolden(folder: string, files: readonly ExportFile[]): void {
  if (update) {
    rmSync(folder, { recursive: true, force: true });
    for (const f of files) {
      mkdirSync(dirname(join(folder, f.path)), { recursive: true });
      writeFileSync(join(folder, f.path), f.content);
    }
    return;
  }
  expect(existsSync(folder), `${folder} is missing: run UPDATE_GOLDEN=1 npx vitest run test/unit/exportGolden.test.ts and review it`).toBe(true);
  const onDisk = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((p) => statSync(join(folder, p)).isFile());
  expect(onDisk.map((p) => p.split(sep).join('/')).sort()).toEqual(files.map((f) => f.path).sort());
  for (const f of files) expect(f.content, `${folder}/${f.path} differs from the generated file`).toBe(readFileSync(join(folder, f.path), 'utf8'));
}

describe('export golden files', () => {
  it('the inlined custom layer source matches shared/compile/customLayers.ts', () => {
    const source = readFileSync(customLayersFile, 'utf8');
    const stale = 'shared/codegen/customLayersSource.generated.ts is stale: run `npm run gen` and commit the result';
    expect(readFileSync(generatedFile, 'utf8'), stale).toBe(customLayersModule(source));
    expect(CUSTOM_LAYERS_TS, stale).toBe(inlineCustomLayerSource(source));
  });

  it('the template literal of the generated module evaluates to exactly its text', () => {
    for (const text of ['', 'plain\nlines\n', 'a `tick` and ${x} and $ {y} and $', 'back\\slash \\` \\${', 'crlf\r\nand lone\r cr', '\u2028\u2029 \u00e9 \\u0041']) {
      expect(runInNewContext(templateLiteral(text))).toBe(text);
    }
  });

  for (const c of cases) {
    it(`${c.id}: Keras and TypeScript exports equal the golden files and are deterministic`, () => {
      const first = exportsOf(c.doc);
      expect(exportsOf(structuredClone(c.doc))).toEqual(first);
      checkGolden(join(goldenDir, c.id, 'keras'), first.keras);
      checkGolden(join(goldenDir, c.id, 'ts'), first.ts);
    });

    it(`${c.id}: model.py is formatted for people (lines ≤ 88, no trailing spaces, no tabs)`, () => {
      // With and without a shipped preprocessing.json (its code paths differ).
      for (const preprocessingFile of [null, 'preprocessing.json']) {
        const model = generateKeras(c.doc, { weightsFile: KERAS_WEIGHTS_FILE, preprocessingFile });
        const bad = model.split('\n').flatMap((line, i) => (line.length > 88 || /\s$/.test(line) || line.includes('\t') ? [`${i + 1}: ${line}`] : []));
        expect(bad).toEqual([]);
      }
    });
  }
});
