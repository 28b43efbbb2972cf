/**
 * Project format 2: the migration from version 1 (GRU keeps reset_after=False), `initialWeights`,
 * and `params.trainable` on every layer block. The version-1 fixtures are files as Layerloom wrote
 * them before format 2 (resnet-mini is the bundled example as saved then; text-gru is the text
 * example with its LSTMs as GRUs, the params a version-1 GRU had), opened through the app's loader.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProjectFile } from '../../electron/services/projectService.js';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { BLOCKS } from '../../shared/blocks/registry.js';
import { CURRENT_FORMAT_VERSION } from '../../shared/graph/document.js';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/format1/${name}`, import.meta.url));

describe('project format 2', () => {
  it('is the version this build writes', () => {
    expect(CURRENT_FORMAT_VERSION).toBe(2);
  });

  it('opens a version-1 file through the loader, migrated, with the same model', async () => {
    const { doc, migratedFrom } = await loadProjectFile(fixture('resnet-mini.layerloom'));
    expect(migratedFrom).toBe(1);
    expect(doc.version).toBe(2);
    const raw = JSON.parse(readFileSync(fixture('resnet-mini.layerloom'), 'utf8'));
    expect(raw.version).toBe(1);
    expect(doc.nodes.map((n) => n.id)).toEqual(raw.nodes.map((n: { id: string }) => n.id));
    // Every layer is trainable (the version-1 meaning), and the params a file had are kept.
    for (const [i, node] of doc.nodes.entries()) {
      expect(node.params).toMatchObject(raw.nodes[i].params);
      if (node.type !== 'Input' && node.type !== 'Output') expect(node.params.trainable).toBe(true);
    }
    const saved = JSON.parse(serializeProject(doc));
    expect(saved.version).toBe(2);
    expect(saved.initialWeights).toBeUndefined();
  });

  it('keeps reset_after=False on the GRUs of a version-1 file (the weights they were built with)', async () => {
    const { doc } = await loadProjectFile(fixture('text-gru.layerloom'));
    const grus = doc.nodes.filter((n) => n.type === 'GRU');
    expect(grus).toHaveLength(2);
    for (const g of grus) expect(g.params.reset_after).toBe(false);
    // The summary is the reset_after=False one: 3·64·(64 + 64 + 1) for the first GRU on 64 features.
    const a = analyzeGraph(doc);
    expect(a.nodes.get(grus[0].id)?.params).toEqual({ trainable: 24_768, nonTrainable: 0 });
    // Written explicitly, so the file means the same whatever the block's default.
    const saved = JSON.parse(serializeProject(doc));
    for (const n of saved.nodes.filter((x: { type: string }) => x.type === 'GRU')) expect(n.params.reset_after).toBe(false);
  });

  it('refuses a file from a newer version, and migrates nothing', () => {
    const raw = JSON.parse(readFileSync(fixture('text-gru.layerloom'), 'utf8'));
    raw.version = 3;
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors[0]).toMatch(/newer Layerloom \(file format version 3\); this app reads versions up to 2/);
  });

  it('leaves a version-1 GRU with broken params for the reader to report', () => {
    const raw = JSON.parse(readFileSync(fixture('text-gru.layerloom'), 'utf8'));
    const i = raw.nodes.findIndex((n: { type: string }) => n.type === 'GRU');
    raw.nodes[i].params = 'units=64';
    const parsed = parseProject(JSON.stringify(raw));
    expect(!parsed.ok && parsed.errors).toContain(`nodes[${i}].params: expected an object, got "units=64"`);
  });

  it('round-trips initialWeights, a folder inside the project folder', () => {
    const raw = JSON.parse(readFileSync(fixture('resnet-mini.layerloom'), 'utf8'));
    raw.version = 2;
    for (const path of ['resnet-mini.weights', './weights/resnet.weights', 'a/../resnet.weights']) {
      raw.initialWeights = path;
      const parsed = parseProject(JSON.stringify(raw));
      expect(parsed.ok && parsed.doc.initialWeights).toBe(path);
      if (!parsed.ok) continue;
      const text = serializeProject(parsed.doc);
      expect(JSON.parse(text).initialWeights).toBe(path);
      const again = parseProject(text);
      expect(again.ok && serializeProject(again.doc)).toBe(text);
    }
  });

  it.each([
    ['/home/u/model.weights', /absolute path/],
    ['C:\\models\\w', /absolute path/],
    ['C:w', /absolute path/],
    ['\\\\server\\share\\w', /absolute path/],
    ['../other/model.weights', /leads out of the project's folder/],
    ['a/../../model.weights', /leads out of the project's folder/],
    ['.', /the project's folder itself/],
    ['', /empty text/],
    [42, /expected text, got 42/],
  ])('refuses initialWeights %j with a message that names the field', (path, message) => {
    const raw = JSON.parse(readFileSync(fixture('resnet-mini.layerloom'), 'utf8'));
    raw.version = 2;
    raw.initialWeights = path;
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toMatch(/^initialWeights: /);
    expect(parsed.errors[0]).toMatch(message);
  });

  it('accepts params.trainable on every layer block, true by default, and checks its type', () => {
    for (const def of BLOCKS) {
      const spec = def.params.find((p) => p.name === 'trainable');
      // Keras's SpatialDropout layers take no `trainable` (and have no weights to freeze).
      if (def.role === 'layer' && !def.type.startsWith('SpatialDropout')) expect(spec, def.type).toMatchObject({ kind: 'bool', default: true });
      else expect(spec, def.type).toBeUndefined();
    }
    const raw = JSON.parse(readFileSync(fixture('resnet-mini.layerloom'), 'utf8'));
    const conv = raw.nodes.findIndex((n: { type: string }) => n.type === 'Conv2D');
    raw.nodes[conv].params.trainable = false;
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok && parsed.doc.nodes[conv].params.trainable).toBe(false);
    if (parsed.ok) expect(JSON.parse(serializeProject(parsed.doc)).nodes[conv].params.trainable).toBe(false);
    raw.nodes[conv].params.trainable = 'no';
    const bad = parseProject(JSON.stringify(raw));
    expect(!bad.ok && bad.errors).toContain(`nodes[${conv}].params.trainable: expected true or false, got "no"`);
  });
});
