/**
 * The one table of losses, metrics and optimizers: its Keras arguments are real Keras 3 defaults
 * (except momentum's deliberate 0.9), and the optimizers the app builds, model.py builds in real
 * Keras and train.ts builds in tfjs have the same hyperparameters, whatever the tfjs backend's
 * own default epsilon is.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { OPTIMIZER_TABLE, TFJS_LOSS, TFJS_METRIC, kerasOptimizerExpression, makeTfjsOptimizer, setTfjsLearningRate, tfjsOptimizerExpression } from '../../shared/training/compileTable.js';
import { LOSSES, OPTIMIZERS, type OptimizerName } from '../../shared/training/settings.js';
import { runPythonJson, whyNoKeras } from '../helpers/python.js';

await tf.setBackend('cpu');

/** The hyperparameters of a tfjs optimizer, in Keras's words. */
function tfjsHyper(o: tf.Optimizer): Record<string, number | boolean> {
  const c = o.getConfig() as Record<string, number | boolean>;
  const name = o.getClassName();
  if (name === 'Adam') return { beta_1: c.beta1, beta_2: c.beta2, epsilon: c.epsilon };
  if (name === 'RMSProp') return { rho: c.decay, momentum: c.momentum, epsilon: c.epsilon, centered: c.centered };
  if (name === 'Momentum') return { momentum: c.momentum, nesterov: c.useNesterov };
  return { momentum: 0 };
}

/** Builds train.ts's optimizer expression (`tf.train.NAME(LEARNING_RATE, ARGS…)`) with this tfjs. */
function evalTs(name: OptimizerName): tf.Optimizer {
  const m = /^tf\.train\.(\w+)\(LEARNING_RATE((?:, [^,()]+)*)\)$/.exec(tfjsOptimizerExpression(name, 'LEARNING_RATE'));
  if (!m) throw new Error(`not a tf.train call: ${tfjsOptimizerExpression(name, 'LEARNING_RATE')}`);
  const args = m[2] ? m[2].slice(2).split(', ').map((a) => JSON.parse(a) as number | boolean) : [];
  const factory = (tf.train as unknown as Record<string, (lr: number, ...a: (number | boolean)[]) => tf.Optimizer>)[m[1]];
  return factory.call(tf.train, 0.01, ...args);
}

describe('loss, metric and optimizer table', () => {
  it('names every loss and optimizer a project can choose', () => {
    expect(Object.keys(TFJS_LOSS).sort()).toEqual(LOSSES.filter((l) => l !== 'auto').sort());
    expect(Object.keys(OPTIMIZER_TABLE).sort()).toEqual([...OPTIMIZERS].sort());
    expect(TFJS_METRIC.mean_absolute_error).toBe('mae');
  });

  it('the app and train.ts build the same optimizer, even on a backend whose default epsilon is 1e-4', () => {
    // A float16 WebGL backend answers epsilon() = 1e-4; tfjs's Adam/RMSprop take it when none is given.
    const backend = tf.backend() as unknown as { epsilon: () => number };
    const original = backend.epsilon;
    backend.epsilon = () => 1e-4;
    try {
      for (const name of OPTIMIZERS) {
        const app = makeTfjsOptimizer(tf, name, 0.01);
        const exported = evalTs(name);
        expect(tfjsHyper(exported), name).toEqual(tfjsHyper(app));
        const keras = Object.fromEntries(OPTIMIZER_TABLE[name].kerasArgs);
        expect(tfjsHyper(app), name).toEqual(keras);
      }
    } finally {
      backend.epsilon = original;
    }
  });

  it('a learning-rate change reaches SGD and momentum, which keep the rate in a tensor', () => {
    for (const name of ['sgd', 'momentum'] as const) {
      const o = makeTfjsOptimizer(tf, name, 0.1);
      const v = tf.variable(tf.scalar(1));
      setTfjsLearningRate(o, 0.5);
      o.applyGradients([{ name: v.name, tensor: tf.scalar(1) }]);
      expect(v.dataSync()[0], name).toBeCloseTo(0.5, 6);
      v.dispose();
      o.dispose();
    }
  });

  const noKeras = whyNoKeras();
  if (noKeras) console.log(`Keras optimizer check skipped: ${noKeras}.`);
  it.skipIf(noKeras !== null)(`model.py's optimizers in real Keras have the table's values, which are Keras's defaults`, () => {
    const exprs = Object.fromEntries(OPTIMIZERS.map((n) => [n, kerasOptimizerExpression(n, 'LEARNING_RATE')]));
    const out = runPythonJson<{ configs: Record<string, Record<string, unknown>>; defaults: Record<string, Record<string, unknown>> }>(
      `import json, sys, inspect, keras
exprs = json.loads(sys.argv[1])
LEARNING_RATE = 0.01
configs = {n: keras.optimizers.get(eval(e)).get_config() for n, e in exprs.items()}
defaults = {}
for cls in ["Adam", "SGD", "RMSprop"]:
    params = inspect.signature(getattr(keras.optimizers, cls).__init__).parameters
    defaults[cls] = {k: p.default for k, p in params.items() if isinstance(p.default, (int, float, bool))}
print(json.dumps({"configs": configs, "defaults": defaults}))`,
      [JSON.stringify(exprs)],
    );
    for (const name of OPTIMIZERS) {
      const spec = OPTIMIZER_TABLE[name];
      const config = out.configs[name];
      expect(config.learning_rate, name).toBeCloseTo(0.01, 9);
      for (const [k, v] of spec.kerasArgs) {
        expect(config[k], `${name}.${k} in model.py`).toBe(v);
        // Keras's own default, except the momentum optimizer's momentum (Keras SGD(momentum=0.9)).
        if (!(name === 'momentum' && k === 'momentum')) expect(out.defaults[spec.kerasClass][k], `${spec.kerasClass}.${k} default`).toBe(v);
      }
    }
  }, 120_000);
});
