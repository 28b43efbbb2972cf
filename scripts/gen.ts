/**
 * `npm run gen`: rewrites every generated file of the repository from its source.
 *
 *   shared/codegen/customLayersSource.generated.ts   from shared/compile/customLayers.ts (tsCustomLayers.ts)
 *   shared/codegen/dataPrepSource.generated.ts       from shared/training/{split,tokenizer,resize,csvPrep}.ts (tsDataPrep.ts)
 *   examples/*.layerloom                             from scripts/makeExamples.ts
 *   test/fixtures/broken/*.layerloom                 from test/fixtures/makeBroken.ts
 *
 * Only files whose text changed are written; `.layerloom` files in those two folders that no
 * generator produces any more are removed. Prints what changed. The generated files are committed:
 * CI runs this and then `git diff --exit-code`, so a change to a source without `npm run gen`
 * fails there (and the golden export test fails on a stale customLayersSource.generated.ts).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { customLayersModule } from '../shared/codegen/tsCustomLayers.js';
import { DATA_PREP_SOURCES, dataPrepModule } from '../shared/codegen/tsDataPrep.js';
import { brokenFixtureFiles } from '../test/fixtures/makeBroken.js';
import { exampleFiles } from './makeExamples.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Repository-relative path → text, for every generated file. */
async function generatedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const customLayers = readFileSync(join(root, 'shared/compile/customLayers.ts'), 'utf8');
  files.set('shared/codegen/customLayersSource.generated.ts', customLayersModule(customLayers));
  const dataSources = DATA_PREP_SOURCES.map((name) => ({ name, text: readFileSync(join(root, 'shared/training', name), 'utf8') }));
  files.set('shared/codegen/dataPrepSource.generated.ts', dataPrepModule(dataSources));
  for (const f of await exampleFiles()) files.set(f.path, f.content);
  for (const f of brokenFixtureFiles()) files.set(f.path, f.content);
  return files;
}

/** Folders whose `.layerloom` files are all generated. */
const GENERATED_FOLDERS = ['examples', 'test/fixtures/broken'];

const files = await generatedFiles();
let changed = 0;
for (const [path, content] of files) {
  const file = join(root, path);
  if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
  writeFileSync(file, content);
  console.log(`wrote ${path}`);
  changed++;
}
for (const folder of GENERATED_FOLDERS) {
  for (const name of readdirSync(join(root, folder))) {
    const path = `${folder}/${name}`;
    if (!name.endsWith('.layerloom') || files.has(path)) continue;
    rmSync(join(root, path));
    console.log(`removed ${path} (no generator writes it)`);
    changed++;
  }
}
console.log(changed ? `npm run gen: ${changed} file(s) changed of ${files.size}` : `npm run gen: all ${files.size} generated files are up to date`);
