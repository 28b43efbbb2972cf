/**
 * `--allow-unsupported`: a model saved by real Keras with a custom layer class (`Acme>Scale`, with a
 * weight) and a `Lambda` imports with each of them as an opaque block that keeps the layer's Keras
 * config and weights, shows "unsupported: <class>" as an error on the node (so training and export
 * refuse, naming it), counts its weights as Keras does, and keeps its config unchanged through
 * save and reopen. The other layers' weights still become the project's initial weights. Without
 * the option the import stops and lists both layers. One Python process; skipped without Keras.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { OPAQUE_LAYER_TYPE, opaqueWeights } from '../../shared/graph/opaqueLayer.js';
import { KerasImportError } from '../../shared/import/kerasModel.js';
import { importModelFile, writeImportedProject } from '../../electron/services/import/importService.js';
import { exportProject } from '../../electron/services/exportService.js';
import { loadProjectFile, saveProjectFile } from '../../electron/services/projectService.js';
import { modelInput } from '../../electron/services/trainingEngine.js';
import { readNamedWeights } from '../../electron/services/weights/tfjsFolder.js';
import { runImport } from '../../electron/cli/import.js';
import { runPythonJson, whyNoKeras } from '../helpers/python.js';

const skip = whyNoKeras();
if (skip) console.log(`Unsupported-layer import skipped: ${skip}. Install keras 3.15 and tensorflow-cpu 2.21 (see FACTS.md).`);

await tf.setBackend('cpu');
const work = mkdtempSync(join(tmpdir(), 'layerloom-opaque-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BUILD = `
import sys, json, keras
@keras.saving.register_keras_serializable(package='Acme')
class Scale(keras.layers.Layer):
    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1],), initializer='random_normal', name='w')
    def call(self, x):
        return x * self.w
keras.utils.set_random_seed(3)
inp = keras.Input((4,), name='x')
h = keras.layers.Dense(3, name='d1')(inp)
h = Scale(name='scale')(h)
h = keras.layers.Lambda(lambda t: t * 2.0, name='twice')(h)
out = keras.layers.Dense(2, name='head')(h)
m = keras.Model(inp, out)
m.save(sys.argv[1])
w = {l.name: [v.tolist() for v in l.get_weights()] for l in m.layers}
print(json.dumps({'params': m.count_params(), 'weights': w}))
`;

describe.skipIf(skip !== null)('importing a Keras model with a custom layer and a Lambda', () => {
  const file = join(work, 'acme.keras');
  const keras = skip ? null : runPythonJson<{ params: number; weights: Record<string, number[][]> }>(BUILD, [file]);
  const layerEntries = (): Record<string, unknown>[] => (JSON.parse(strFromU8(unzipSync(readFileSync(file))['config.json'])) as { config: { layers: Record<string, unknown>[] } }).config.layers;

  it('without --allow-unsupported: stops and lists both layers, nothing imported', async () => {
    const e = await importModelFile(file, { tf }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KerasImportError);
    expect((e as KerasImportError).layers.map((l) => `${l.layer} ${l.kerasClass}`)).toEqual(['scale Scale', 'twice Lambda']);
    expect((e as Error).message).toMatch(/--allow-unsupported/);
  });

  it('with it: opaque blocks that keep config and weights, error on the node, Keras totals, shapes around them', async () => {
    const imported = await importModelFile(file, { tf, allowUnsupported: true });
    const doc = imported.doc;
    const opaque = doc.nodes.filter((n) => n.type === OPAQUE_LAYER_TYPE);
    expect(opaque.map((n) => n.label)).toEqual(['scale', 'twice']);
    const analysis = analyzeGraph(doc);
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.nodeId])).toEqual([
      ['LL027', opaque[0].id],
      ['LL027', opaque[1].id],
    ]);
    expect(errors[0].message).toMatch(/^unsupported: Acme>Scale\b/);
    expect(errors[1].message).toMatch(/^unsupported: Lambda\b/);
    // Keras's count: the custom layer's weight included; shapes flow through the opaque blocks.
    expect(analysis.totals.trainable + analysis.totals.nonTrainable).toBe(keras?.params);
    const head = doc.nodes.find((n) => n.label === 'head');
    expect(analysis.nodes.get(head?.id ?? '')?.inputShapes).toEqual([[3]]);
    expect(analysis.nodes.get(head?.id ?? '')?.shape).toEqual([2]);
    // The custom layer's weight, exactly as Keras saved it.
    const w = opaqueWeights(opaque[0].params);
    expect(w.map((a) => a.shape)).toEqual([[3]]);
    expect(Array.from(w[0].data)).toEqual(Array.from(Float32Array.from(keras?.weights.scale[0] as unknown as number[])));
    expect(opaqueWeights(opaque[1].params)).toEqual([]);

    // Written and reopened: the regular layers' weights are the initial weights, the configs unchanged.
    const project = join(work, 'acme.layerloom');
    const folder = await writeImportedProject(imported, project);
    imported.model?.dispose();
    expect(folder).not.toBeNull();
    const named = await readNamedWeights(tf, folder as string);
    const kernel = Object.entries(named).find(([k]) => /head.*kernel/.test(k))?.[1];
    expect(kernel?.arraySync()).toEqual((keras?.weights.head[0] as unknown as number[][]).map((r) => r.map((x) => Math.fround(x))));
    tf.dispose(Object.values(named));
    const reopened = (await loadProjectFile(project)).doc;
    const entries = layerEntries();
    for (const name of ['scale', 'twice']) {
      const node = reopened.nodes.find((n) => n.label === name);
      const { inbound_nodes: _wires, ...entry } = entries.find((l) => (l.config as { name: string }).name === name) as Record<string, unknown>;
      expect(JSON.parse(String(node?.params.keras_config))).toEqual(entry);
    }
    await saveProjectFile(join(work, 'again.layerloom'), reopened);
    expect(readFileSync(join(work, 'again.layerloom'), 'utf8')).toBe(readFileSync(project, 'utf8'));

    // Training and export refuse, naming the layer's class.
    expect(() => modelInput(reopened)).toThrow(/unsupported: Acme>Scale/);
    await expect(exportProject({ doc: reopened, target: 'keras', folder: join(work, 'export'), seed: 1, tf })).rejects.toThrow(/unsupported: Lambda/);
  });

  it('the CLI: refused without the option (nothing written), imported with it', async () => {
    const out = join(work, 'cli.layerloom');
    await expect(runImport([file, '-o', out])).rejects.toThrow(/scale \(Scale\).*\n.*twice \(Lambda\)/);
    await expect(loadProjectFile(out)).rejects.toThrow();
    expect(await runImport([file, '-o', out, '--allow-unsupported'])).toBe(0);
    expect((await loadProjectFile(out)).doc.nodes.filter((n) => n.type === OPAQUE_LAYER_TYPE)).toHaveLength(2);
  });
});
