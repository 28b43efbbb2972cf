#!/usr/bin/env node
// Enforces the layering rule (docs/architecture.md):
//   shared/   imports only files inside shared/ (type-only imports of @tensorflow/tfjs are allowed,
//             because the compiler receives the tf namespace as a parameter);
//   renderer/ never imports electron/;  electron/ never imports renderer/.
// Exits 1 with one line per violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const importRe = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|tsx|mts|cts)$/.test(name)) yield p;
  }
}

const violations = [];
function check(layer, rule) {
  const base = join(root, layer);
  let files;
  try { files = [...walk(base)]; } catch { return; }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const typeOnly = Boolean(m[2]);
      const spec = m[3] ?? m[4] ?? m[5];
      const why = rule(file, spec, typeOnly);
      if (why) {
        const line = text.slice(0, m.index).split('\n').length + (text[m.index] === '\n' ? 1 : 0);
        violations.push(`${relative(root, file)}:${line}: imports '${spec}': ${why}`);
      }
    }
  }
}

const inside = (file, spec, dir) => {
  const target = resolve(dirname(file), spec);
  return target === join(root, dir) || target.startsWith(join(root, dir) + sep);
};

check('shared', (file, spec, typeOnly) => {
  if (spec.startsWith('.')) return inside(file, spec, 'shared') ? null : 'shared/ may only import files inside shared/';
  if (typeOnly && spec === '@tensorflow/tfjs') return null;
  return 'shared/ is pure TypeScript: no packages, Node, DOM, Electron or tfjs runtime imports (pass tf in as a parameter)';
});
check('renderer', (file, spec) =>
  spec.startsWith('.') && inside(file, spec, 'electron') ? 'renderer/ must not import electron/ (use shared/api and renderer/platform/api.ts)' : null);
check('electron', (file, spec) =>
  spec.startsWith('.') && inside(file, spec, 'renderer') ? 'electron/ must not import renderer/' : null);

if (violations.length) {
  console.error(`Layering rule broken (${violations.length}):\n` + violations.join('\n'));
  process.exit(1);
}
console.log('layering: ok');
