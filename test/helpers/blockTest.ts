/**
 * Table-driven block tests (in the manner of Keras's `run_layer_test`): one helper checks a block's
 * inferred shape, parameter count, diagnostics, param JSON round trip and — with tfjs — that the
 * real layer built from the block has the same output shape and weight count, and that the layer
 * survives serialization: rebuilt from its saved topology (config) with the same weights, it gives
 * the same outputs.
 */
import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { getBlock } from '../../shared/blocks/registry.js';
import { defaultParams } from '../../shared/blocks/paramUtils.js';
import { applyBlock } from '../../shared/compile/layerFactory.js';
import type { ParamValue, Shape } from '../../shared/blocks/types.js';
import type { SymbolicTensor } from '../../shared/compile/tfTypes.js';
import type { DiagnosticCode } from '../../shared/analysis/diagnostics.js';

/** One row of a block table. Expected values come from Keras 3 (documented or measured). */
export interface BlockCase {
  /** Defaults to a description built from the row. */
  readonly name?: string;
  readonly block: string;
  readonly params?: Readonly<Record<string, ParamValue>>;
  /** Per-sample input shapes in port order (`null` = unconnected optional port). */
  readonly inputs: readonly (Shape | null)[];
  /** Expected output shape, or null when an error is expected. */
  readonly shape: Shape | null;
  /** Expected total params, or split counts. */
  readonly count?: number | { readonly trainable: number; readonly nonTrainable: number };
  /** Expected diagnostic codes (errors or warnings) from shape inference. */
  readonly codes?: readonly DiagnosticCode[];
  /** Skip building the real tfjs layer (e.g. when tfjs itself cannot express the case). */
  readonly noTfjs?: boolean;
  /** Input dtype for the tfjs check (Embedding needs int32). */
  readonly dtype?: 'float32' | 'int32';
}

/** Registers one vitest `it` per case. */
export function runBlockCases(cases: readonly BlockCase[]): void {
  for (const c of cases) {
    const label = c.name ?? `${c.block}(${JSON.stringify(c.params ?? {})}) on ${JSON.stringify(c.inputs)} → ${JSON.stringify(c.shape)}`;
    it(label, () => checkBlockCase(c));
  }
}

/** Runs one case; usable directly in custom tests. */
export async function checkBlockCase(c: BlockCase): Promise<void> {
  const def = getBlock(c.block);
  expect(def, `block ${c.block} is registered`).toBeDefined();
  if (!def) return;
  const params = { ...defaultParams(def.params), ...(c.params ?? {}) };
  // Params survive a JSON round trip unchanged (they are stored in project files).
  expect(JSON.parse(JSON.stringify(params))).toEqual(params);

  const result = def.inferShape(c.inputs, params);
  expect(result.shape).toEqual(c.shape);
  const codes = result.problems.map((p) => p.code);
  expect(codes).toEqual(c.codes ?? []);
  for (const p of result.problems) expect(p.message.length).toBeGreaterThan(20);
  if (c.shape === null) return;

  const count = def.paramCount(c.inputs, params);
  if (c.count !== undefined) {
    const want = typeof c.count === 'number' ? { total: c.count } : { ...c.count, total: c.count.trainable + c.count.nonTrainable };
    expect(count.trainable + count.nonTrainable).toBe(want.total);
    if ('trainable' in want) expect(count).toEqual({ trainable: want.trainable, nonTrainable: want.nonTrainable });
  }
  if (c.noTfjs) return;

  // The real tfjs layer agrees with the inference.
  const symbolic = c.inputs.map((s, i) => (s === null ? null : tf.input({ shape: [...s], dtype: c.dtype ?? 'float32', name: `in_${i}` })));
  const out = applyBlock(tf, def, symbolic, params, c.inputs, 'layer_under_test');
  expect(out.shape.slice(1)).toEqual([...c.shape]);
  const model = tf.model({ inputs: symbolic.filter((s): s is SymbolicTensor => s !== null), outputs: out });
  expect(model.countParams()).toBe(count.trainable + count.nonTrainable);
  const trainableWeights = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  expect(trainableWeights).toBe(count.trainable);
  // Run it on concrete data (variable dims become 5) and check the actual output shape against the
  // block's own inference for those sizes (a variable length may shrink, grow or add up on the way).
  const batch = 2;
  const concreteShapes = c.inputs.map((s) => (s === null ? null : s.map((d) => d ?? 5)));
  const concrete = concreteShapes
    .filter((s): s is number[] => s !== null)
    .map((s) => {
      const shape = [batch, ...s];
      return c.dtype === 'int32' ? tf.randomUniform(shape, 0, 3, 'int32') : tf.randomNormal(shape);
    });
  const y = model.predict(concrete.length === 1 ? concrete[0] : concrete) as tf.Tensor;
  const expected = def.inferShape(concreteShapes, params).shape;
  expect(expected, 'inference on the concrete sizes succeeds').not.toBeNull();
  expect(y.shape).toEqual([batch, ...(expected ?? [])]);

  // Serialization round trip (a run's saved model.json, reloaded): the topology as JSON, rebuilt by
  // tfjs's deserializer (Layerloom's own classes are registered), nothing lost from any layer's
  // config (tfjs may add defaults such as an Embedding's dtype), same weights, same outputs.
  const topology = model.toJSON(null, false) as unknown as tf.serialization.ConfigDict;
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: JSON.parse(JSON.stringify(topology)) as tf.serialization.ConfigDict });
  expect(rebuilt.toJSON(null, false), 'the rebuilt model keeps every config value').toMatchObject(topology);
  rebuilt.setWeights(model.getWeights());
  const y2 = rebuilt.predict(concrete.length === 1 ? concrete[0] : concrete) as tf.Tensor;
  expect(Array.from(y2.dataSync()), 'the rebuilt model gives the same outputs').toEqual(Array.from(y.dataSync()));
  tf.dispose([...concrete, y, y2]);
  model.dispose();
  rebuilt.dispose();
}
