/**
 * docs/keras-coverage.md against real Keras and the block registry: every class `keras.layers`
 * exports is named in the document (covered, not covered with a reason, or an alias); every
 * constructor argument of a covered class is named in its row (offered, or not offered and why) or
 * across blocks; no class is both covered and not covered; every layer block of the palette is in the
 * covered table. A class or argument added by a Keras upgrade, or a block added without its row,
 * fails here. Skipped, saying why, without Python + Keras.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { runPythonJson, whyNoKeras } from '../helpers/python.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/keras-coverage.md', import.meta.url)), 'utf8');
const skipReason = whyNoKeras();
if (skipReason) console.log(`keras-coverage.md check against Keras skipped: ${skipReason}. Install keras 3.15 (see FACTS.md) to run it.`);

/** Class names in a piece of Markdown: backticked names, with `Name1D/2D/3D` expanded. */
function classNames(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const [, span] of markdown.matchAll(/`([^`]+)`/g)) {
    const token = (span ?? '').trim();
    const family = /^([A-Z][A-Za-z]*?)([123]D(?:\/[123]D)+)([A-Za-z]*)$/.exec(token);
    if (family) {
      for (const dim of (family[2] ?? '').split('/')) names.add(`${family[1]}${dim}${family[3]}`);
    } else if (/^[A-Z][A-Za-z0-9]*$/.test(token)) {
      names.add(token);
    }
  }
  return names;
}

/** The text of a `## Heading` section, up to the next `## `. */
function section(heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/keras-coverage.md has no "## ${heading}" section`);
  const end = doc.indexOf('\n## ', start + 4);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** The first column of every table row of a section (where the class names are). */
function firstColumns(text: string): string {
  return text
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---') && !line.startsWith('| Keras class'))
    .map((line) => line.split(' | ')[0] ?? '')
    .join('\n');
}

const covered = classNames(firstColumns(section('Covered')));
const notCovered = classNames(firstColumns(section('Not covered')));

describe('docs/keras-coverage.md', () => {
  it('no class is listed as both covered and not covered', () => {
    expect([...covered].filter((name) => notCovered.has(name))).toEqual([]);
  });

  it('every layer block of the palette has its row in the covered table', () => {
    const layerBlocks = BLOCKS.filter((b) => b.role === 'layer' && b.type !== 'PositionEmbedding').map((b) => b.type);
    expect(layerBlocks.length).toBeGreaterThan(30);
    expect(layerBlocks.filter((type) => !covered.has(type))).toEqual([]);
  });

  const keras = skipReason
    ? null
    : runPythonJson<{ classes: string[]; args: Record<string, string[]> }>(
        'import inspect, json, keras\n' +
          'classes = sorted(n for n in dir(keras.layers) if inspect.isclass(getattr(keras.layers, n)))\n' +
          'args = {n: list(inspect.signature(getattr(keras.layers, n).__init__).parameters) for n in classes}\n' +
          'print(json.dumps({"classes": classes, "args": args}))',
      );

  it.skipIf(skipReason !== null)('names every class keras.layers exports', () => {
    const classes = keras?.classes ?? [];
    expect(classes.length).toBeGreaterThan(150);
    const named = classNames(doc);
    expect(classes.filter((name) => !named.has(name))).toEqual([]);
  });

  it.skipIf(skipReason !== null)('names every constructor argument of each covered class, offered or not', () => {
    // Arguments of every Keras layer (the block's label is its name, `trainable` is the freeze switch).
    const everyLayer = new Set(['self', 'name', 'dtype', 'trainable', 'autocast', 'kwargs', 'args']);
    // What the introduction and "Options across blocks" say holds for every block (data_format, seed, …).
    const general = (doc.slice(0, doc.indexOf('\n## Covered\n')) + section('Options across blocks')).toLowerCase();
    const rows = section('Covered')
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const missing: string[] = [];
    for (const row of rows) {
      const text = row.toLowerCase().replace(/ /g, '_');
      for (const cls of classNames(row.split(' | ')[0] ?? '')) {
        for (const arg of keras?.args[cls] ?? []) {
          // `kernel_initializer` may be written "kernel/bias initializer".
          const base = arg.replace(/_(initializer|regularizer|constraint)$/, '');
          if (everyLayer.has(arg) || general.includes(`\`${arg}`) || text.includes(arg) || text.includes(base)) continue;
          missing.push(`${cls}.${arg}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
