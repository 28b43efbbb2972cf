/** The layering checker (scripts/checkLayers.mjs) on small trees written for each rule. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module script without type declarations
import { checkLayers } from '../../scripts/checkLayers.mjs';

const check = checkLayers as (root: string) => string[];
let root = '';

/** Writes `files` (path → text) into a fresh temporary tree and checks it. */
function tree(files: Record<string, string>): string[] {
  root = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return check(root);
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('layering rules', () => {
  it.each([
    ['shared/a.ts', "import { readFileSync } from 'node:fs';", 'no Node built-ins'],
    ['shared/a.ts', "import * as tf from '@tensorflow/tfjs';", 'no tfjs runtime import'],
    ['shared/a.ts', "import { useState } from 'react';", 'must not import React'],
    ['shared/a.ts', "import Ajv from 'ajv';", 'no npm packages'],
    ['shared/a.ts', "import { x } from '../renderer/x.js';", 'only import files inside shared/'],
    ['shared/blocks/a.ts', "import { applyLayer } from '../compile/layerFactory.js';", 'never import the tfjs runtime'],
    ['shared/editing/a.ts', "import { useStore } from 'react';", 'no React or DOM'],
    ['electron/services/a.ts', "import { app } from 'electron';", 'no Electron import'],
    ['electron/services/a.ts', "import { x } from '../server/hostApi.js';", 'must not import the hosts'],
    ['electron/services/a.ts', "import { x } from '../main/windows.js';", 'must not import the hosts'],
    ['renderer/a.ts', "import { x } from '../electron/services/projectService.js';", 'renderer/ must not import electron/'],
    ['electron/cli/a.ts', "import { x } from '../../renderer/App.js';", 'electron/ must not import renderer/'],
    ['shared/a.ts', "export { x } from 'ajv';", 'no npm packages'],
    ['shared/a.ts', "const m = await import('node:path');", 'no Node built-ins'],
    ['shared/a.ts', "const m = await import(name);", 'cannot be checked'],
    ['renderer/a.ts', 'const m = require(`./${name}`);', 'cannot be checked'],
  ])('%s: %s is refused', (path, code, reason) => {
    const found = tree({ [path]: `${code}\nexport const y = 1;\n` });
    // Each refusal names the file and line; a file under two rules (shared/editing) may get both.
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.every((l) => l.startsWith(`${path}:1:`))).toBe(true);
    expect(found.filter((l) => l.includes(reason))).toHaveLength(1);
  });

  it('allows type-only imports, imports inside a layer, and justified dynamic imports on the Node side', () => {
    expect(
      tree({
        'shared/blocks/a.ts': [
          "import type { TF } from '../compile/tfTypes.js';",
          "import { type LayerCall, type KerasArg } from './types.js';",
          "import type * as tfjs from '@tensorflow/tfjs';",
          "export type { X } from '../compile/layerFactory.js';",
          "type M = typeof import('../compile/layerFactory.js');",
          "import { ok } from './results.js';",
        ].join('\n'),
        'shared/compile/b.ts': "import { getBlock } from '../blocks/registry.js';",
        'electron/services/c.ts': "import { readFileSync } from 'node:fs';\nimport * as tf from '@tensorflow/tfjs';\nimport { analyzeGraph } from '../../shared/analysis/analyze.js';\n// layering-allow: a backend package found at run time\nrequire(dir);",
        'electron/server/d.ts': "import { projects } from '../services/projectService.js';\nconst m = await import(url);",
        'renderer/e.tsx': "import { useState } from 'react';\nimport { getBlock } from '../shared/blocks/registry.js';",
      }),
    ).toEqual([]);
  });

  it('flags a named import that mixes a value with types', () => {
    const found = tree({ 'shared/blocks/a.ts': "import { type LayerCall, createLayer } from '../compile/layerFactory.js';" });
    expect(found).toHaveLength(1);
  });

  it('passes on this repository', () => {
    root = '';
    expect(check(join(dirname(new URL(import.meta.url).pathname), '..', '..'))).toEqual([]);
  });
});
