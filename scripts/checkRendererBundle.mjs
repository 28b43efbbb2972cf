#!/usr/bin/env node
// Checks the built renderers, every chunk including lazy ones:
// - out/renderer (what users run) and out/renderer-e2e (the test build) ship block specs, never the
//   tfjs runtime: a tfjs layer class or `registerClass` call means something in renderer/ imports
//   shared/compile (directly or through shared/blocks);
// - out/renderer does not carry the `__layerloom` test handle (renderer/testHook.ts), which only the
//   test build (`vite --mode e2e`) compiles in; out/renderer-e2e, when present, does.
// Run after `npm run build:renderer` (and build:renderer:e2e); exits 1 naming the file and what was found.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Text that only the tfjs runtime side of shared/ (or tfjs-layers itself) contains. */
const TFJS_RUNTIME = [
  ['registerClass', /\bregisterClass\b/],
  ['a tfjs layer class (extends tf.layers.Layer)', /extends\s+\w+\.layers\.Layer\b/],
  ["tfjs-layers' Layer base class", /Layer\.nodeKey|className = 'Orthogonal'/],
];
const TEST_HOOK = ['the __layerloom test handle', /__layerloom/];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(js|mjs|cjs|html)$/.test(name)) yield p;
  }
}

let failed = false;

/** Scans one build; returns how many files had the test handle. */
function scan(dir, forbidden) {
  let scanned = 0;
  let withHook = 0;
  try {
    for (const file of files(dir)) {
      scanned++;
      const text = readFileSync(file, 'utf8');
      if (TEST_HOOK[1].test(text)) withHook++;
      for (const [what, re] of forbidden) {
        if (re.test(text)) {
          failed = true;
          console.error(`${relative(root, file)}: contains ${what}`);
        }
      }
    }
  } catch (e) {
    console.error(`Cannot read ${relative(root, dir)} (${e.code ?? e.message}); run npm run build:renderer first.`);
    process.exit(1);
  }
  if (scanned === 0) {
    console.error(`${relative(root, dir)} has no JavaScript; run npm run build:renderer first.`);
    process.exit(1);
  }
  return { scanned, withHook };
}

const plain = scan(join(root, 'out', 'renderer'), [...TFJS_RUNTIME, TEST_HOOK]);
let e2eLine = '';
const e2eDir = join(root, 'out', 'renderer-e2e');
if (existsSync(e2eDir)) {
  const e2e = scan(e2eDir, TFJS_RUNTIME);
  if (e2e.withHook === 0) {
    failed = true;
    console.error('out/renderer-e2e has no __layerloom handle: build it with `npm run build:renderer:e2e` (vite --mode e2e).');
  }
  e2eLine = `; test build: ${e2e.scanned} files, no tfjs runtime, test handle present`;
}
if (failed) {
  console.error(
    'The renderer bundle must not contain the tfjs runtime (import block specs, shared/blocks, not shared/compile), and only the test build may carry the test handle.',
  );
  process.exit(1);
}
console.log(`renderer bundle: ${plain.scanned} files, no tfjs runtime, no test handle${e2eLine}`);
