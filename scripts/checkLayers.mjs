#!/usr/bin/env node
// Enforces the layering rules (docs/architecture.md) as a rule table, on TypeScript's own parser
// (import/export declarations, `import x = require()`, dynamic `import()` and `require()` calls).
//   - `import type { X }` and `import { type X, type Y }` (every name type-only) are never flagged:
//     types vanish at run time.
//   - A dynamic `import()` / `require()` whose argument is not a string literal cannot be checked:
//     it is flagged in the layers listed in DYNAMIC_CHECKED unless the line (or the one above)
//     carries `layering-allow: <reason>`.
// Exits 1 with one line per violation. `checkLayers(root)` is exported for the tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * The rules. `from`: folder (relative to the root) whose files the rule applies to. `forbid(target)`
 * returns a reason when the import is not allowed; `target` is `{ spec, file }` with `file` the
 * resolved path (relative, `/`-separated) for relative imports and null for packages.
 */
export const RULES = [
  {
    from: 'shared',
    forbid: ({ spec, file }) => {
      if (file !== null) return file.startsWith('shared/') ? null : 'shared/ may only import files inside shared/';
      if (NODE_BUILTINS.has(spec)) return 'shared/ is pure TypeScript: no Node built-ins (services in electron/services do I/O)';
      if (spec === 'electron') return 'shared/ must not import Electron';
      if (spec.startsWith('@tensorflow/')) return 'shared/ takes the tf namespace as a parameter: no tfjs runtime import (import type is fine)';
      if (/^react(-dom)?(\/|$)/.test(spec)) return 'shared/ must not import React (UI lives in renderer/)';
      return 'shared/ is pure TypeScript: no npm packages at run time';
    },
  },
  {
    from: 'shared/blocks',
    forbid: ({ file }) => (file?.startsWith('shared/compile/') ? 'block specs never import the tfjs runtime (shared/compile); the runtime reads the specs' : null),
  },
  {
    from: 'shared/editing',
    forbid: ({ spec, file }) =>
      file === null && /^(react|react-dom|@xyflow\/)/.test(spec) ? 'shared/editing is pure editing logic: no React or DOM' : file?.startsWith('renderer/') ? 'shared/editing must not import renderer/' : null,
  },
  {
    from: 'electron/services',
    forbid: ({ spec, file }) => {
      if (spec === 'electron') return 'services are plain Node: no Electron import (electron/main wires them to Electron)';
      if (file && /^electron\/(main|preload|server|cli|shell|host)\//.test(file)) return 'services must not import the hosts that use them (electron/main, preload, server, cli)';
      if (file === 'electron/main.ts' || file === 'electron/preload.ts') return 'services must not import the Electron entry points';
      return null;
    },
  },
  {
    from: 'renderer',
    forbid: ({ spec, file }) =>
      file?.startsWith('electron/') ? 'renderer/ must not import electron/ (use shared/api and renderer/platform/api.ts)' : spec === 'electron' ? 'renderer/ must not import Electron (contextIsolation: use the preload API)' : null,
  },
  {
    from: 'electron',
    forbid: ({ file }) => (file?.startsWith('renderer/') ? 'electron/ must not import renderer/' : null),
  },
];

/** Layers where an import that cannot be resolved statically is a violation. */
const DYNAMIC_CHECKED = ['shared', 'renderer', 'electron/services'];

function* walk(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|tsx|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) yield p;
  }
}

/** Every import of a source file: `{ spec | null, typeOnly, line }` (`spec` null: not a string literal). */
export function importsOf(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found = [];
  const line = (node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const literal = (node) => (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : null);
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : null;
      const typeOnly = Boolean(
        clause && (clause.isTypeOnly || (!clause.name && named && named.length > 0 && named.every((e) => e.isTypeOnly))),
      );
      found.push({ spec: literal(node.moduleSpecifier), typeOnly, line: line(node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : null;
      const typeOnly = node.isTypeOnly || Boolean(named && named.length > 0 && named.every((e) => e.isTypeOnly));
      found.push({ spec: literal(node.moduleSpecifier), typeOnly, line: line(node) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      found.push({ spec: literal(node.moduleReference.expression), typeOnly: node.isTypeOnly, line: line(node) });
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1;
      if (isImport || isRequire) found.push({ spec: literal(node.arguments[0]), typeOnly: false, line: line(node), dynamic: true });
    } else if (ts.isImportTypeNode(node)) {
      return; // `typeof import('x')` in a type: no run-time import
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Checks a tree; returns the violations as `path:line: message` lines. */
export function checkLayers(root) {
  const violations = [];
  const rel = (p) => relative(root, p).split(sep).join('/');
  const files = new Set(RULES.flatMap((r) => [...walk(join(root, r.from))]));
  for (const path of files) {
    const from = rel(path);
    const rules = RULES.filter((r) => from.startsWith(`${r.from}/`));
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    for (const imp of importsOf(path, text)) {
      if (imp.spec === null) {
        const allowed = /layering-allow:\s*\S/.test(lines[imp.line - 1] ?? '') || /layering-allow:\s*\S/.test(lines[imp.line - 2] ?? '');
        if (!allowed && DYNAMIC_CHECKED.some((l) => from.startsWith(`${l}/`))) {
          violations.push(`${from}:${imp.line}: an import whose module is computed at run time cannot be checked; use a string literal (or justify it with "layering-allow: reason")`);
        }
        continue;
      }
      if (imp.typeOnly) continue;
      const file = imp.spec.startsWith('.') ? rel(resolve(dirname(path), imp.spec)) : null;
      for (const rule of rules) {
        const why = rule.forbid({ spec: imp.spec, file });
        if (why) violations.push(`${from}:${imp.line}: imports '${imp.spec}': ${why}`);
      }
    }
  }
  return violations.sort();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const violations = checkLayers(root);
  if (violations.length) {
    console.error(`Layering rule broken (${violations.length}):\n` + violations.join('\n'));
    process.exit(1);
  }
  console.log(`layering: ok (${RULES.length} rules)`);
}
