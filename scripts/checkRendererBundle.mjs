#!/usr/bin/env node
// Checks the built renderer (out/renderer, every chunk including lazy ones): the UI ships block
// specs, never the tfjs runtime. A tfjs layer class or `registerClass` call in the bundle means
// something in renderer/ imports shared/compile (directly or through shared/blocks).
// Run after `npm run build:renderer`; exits 1 naming the file and what was found.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'out', 'renderer');

/** Text that only the tfjs runtime side of shared/ (or tfjs-layers itself) contains. */
const FORBIDDEN = [
  ['registerClass', /\bregisterClass\b/],
  ['a tfjs layer class (extends tf.layers.Layer)', /extends\s+\w+\.layers\.Layer\b/],
  ["tfjs-layers' Layer base class", /Layer\.nodeKey|className = 'Orthogonal'/],
];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(js|mjs|cjs|html)$/.test(name)) yield p;
  }
}

let found = 0;
let scanned = 0;
try {
  for (const file of files(out)) {
    scanned++;
    const text = readFileSync(file, 'utf8');
    for (const [what, re] of FORBIDDEN) {
      if (re.test(text)) {
        found++;
        console.error(`${relative(root, file)}: contains ${what}`);
      }
    }
  }
} catch (e) {
  console.error(`Cannot read ${relative(root, out)} (${e.code ?? e.message}); run npm run build:renderer first.`);
  process.exit(1);
}
if (scanned === 0) {
  console.error(`${relative(root, out)} has no JavaScript; run npm run build:renderer first.`);
  process.exit(1);
}
if (found) {
  console.error('The renderer bundle must not contain the tfjs runtime: import block specs (shared/blocks), not shared/compile.');
  process.exit(1);
}
console.log(`renderer bundle: ${scanned} files, no tfjs runtime`);
