import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tfjs from '@tensorflow/tfjs';
import type { TF } from '../../shared/compile/tfTypes.js';
import {
  BACKEND_ORDER,
  BACKEND_ORDER_WITHOUT_WASM_KERNELS,
  BackendUnavailableError,
  defaultBackendOrder,
  detectBestBackend,
  loadBestBackend,
  nativeReason,
  toBackendStatus,
  type NativeProbe,
  wasmKernelsAvailable,
} from '../../electron/services/backendService.js';

const require = createRequire(import.meta.url);

/** Whether a native package is installed with its addon built, and if not, why. */
function nativeState(pkg: string): { ready: boolean; reason: string } {
  let dir: string;
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return { ready: false, reason: `${pkg} is not installed (run npm run native:link)` };
  }
  const lib = join(dir, 'lib');
  const built = existsSync(lib) && readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
  return built ? { ready: true, reason: '' } : { ready: false, reason: `${pkg}'s native addon is not built (run npm run native:link)` };
}

const native = nativeState('@tensorflow/tfjs-node');
const gpu = nativeState('@tensorflow/tfjs-node-gpu');
if (!native.ready) console.warn(`backend.test: skipping the native-backend tests: ${native.reason}`);

/** One optimizer step of a tiny CNN; returns how much the conv kernel moved. */
async function trainOneStep(tf: TF): Promise<{ loss: number; moved: number }> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: 'glorotUniform' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 1);
  const y = tf.tensor1d([0, 1, 0, 1, 1, 0], 'float32');
  const before = Array.from(model.layers[0].getWeights()[0].dataSync());
  const loss = (await model.trainOnBatch(x, y)) as number;
  const after = Array.from(model.layers[0].getWeights()[0].dataSync());
  const moved = after.reduce((m, v, i) => Math.max(m, Math.abs(v - before[i])), 0);
  tf.dispose([x, y]);
  model.dispose();
  return { loss, moved };
}

describe('backend doctor', () => {
  it('uses the full order once the wasm training kernels exist, cpu before wasm without them', () => {
    expect(BACKEND_ORDER).toEqual(['native-gpu', 'native', 'wasm', 'cpu']);
    expect(BACKEND_ORDER_WITHOUT_WASM_KERNELS.indexOf('cpu')).toBeLessThan(BACKEND_ORDER_WITHOUT_WASM_KERNELS.indexOf('wasm'));
    expect(defaultBackendOrder()).toEqual(wasmKernelsAvailable() ? BACKEND_ORDER : BACKEND_ORDER_WITHOUT_WASM_KERNELS);
  });

  it.skipIf(!native.ready)('picks native TensorFlow by default, on the shared tfjs instance, and trains a step', async () => {
    const { tf, report } = await loadBestBackend({ backend: 'auto' });
    expect(report.backend).toBe('tensorflow');
    expect(['native', 'native-gpu']).toContain(report.id);
    expect(report.tfVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(tf.getBackend()).toBe('tensorflow');
    // The namespace everyone else imports sees the same backend.
    expect(tfjs.getBackend()).toBe('tensorflow');
    expect(tf.engine()).toBe(tfjs.engine());
    expect(report.fast).toBe(true);
    expect(report.attempts.at(-1)).toMatchObject({ ok: true, backend: report.id });
    expect(report.attempts.filter((a) => a.ok)).toHaveLength(1);

    const { loss, moved } = await trainOneStep(tf);
    expect(Number.isFinite(loss)).toBe(true);
    expect(moved).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it.skipIf(!native.ready)('detection without loading gives the same verdict', async () => {
    const detected = await detectBestBackend();
    expect(detected.backend).toBe('tensorflow');
    expect(detected.tfVersion).toMatch(/^\d+\.\d+\.\d+/);
    const status = toBackendStatus(detected);
    expect(status.ok).toBe(true);
    expect(status.summary).toContain('TensorFlow');
  });

  it.skipIf(gpu.ready)('explains why the GPU package was not used, naming the fix', async () => {
    const report = await detectBestBackend({ backend: 'auto' });
    const attempt = report.attempts.find((a) => a.backend === 'native-gpu');
    expect(attempt?.ok).toBe(false);
    expect(attempt?.reason).toContain('@tensorflow/tfjs-node-gpu');
    expect(attempt?.reason).toContain('npm run native:link -- --gpu');
    await expect(loadBestBackend({ backend: 'native-gpu' })).rejects.toThrow(BackendUnavailableError);
  });

  it('forcing cpu works and trains a step', async () => {
    const { tf, report } = await loadBestBackend({ backend: 'cpu' });
    expect(report).toMatchObject({ id: 'cpu', backend: 'cpu', forced: true, fast: false, tfVersion: null });
    expect(report.attempts).toEqual([expect.objectContaining({ backend: 'cpu', ok: true })]);
    expect(tf.getBackend()).toBe('cpu');
    expect(tfjs.getBackend()).toBe('cpu');
    expect(toBackendStatus(report).ok).toBe(false);
    const { loss, moved } = await trainOneStep(tf);
    expect(Number.isFinite(loss)).toBe(true);
    expect(moved).toBeGreaterThan(0);
  });

  it('forcing wasm loads it and reports the training kernels when they exist', async () => {
    const { tf, report } = await loadBestBackend({ backend: 'wasm' });
    expect(report.id).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    if (wasmKernelsAvailable()) expect(report.wasmKernels?.registered).toContain('Conv2DBackpropFilter');
    else expect(report.wasmKernels).toBeNull();
  });

  it('refuses an unknown backend name with the valid ones', async () => {
    await expect(loadBestBackend({ backend: 'tpu' as never })).rejects.toThrow(/auto, native-gpu, native, wasm or cpu/);
  });

  describe('explains native failures as people need them (error texts as tfjs-node prints them)', () => {
    const gpuPkg = '@tensorflow/tfjs-node-gpu';
    const probe = (p: Partial<NativeProbe>): NativeProbe => ({
      pkg: gpuPkg, dir: '/app/node_modules/@tensorflow/tfjs-node-gpu', loaded: false, gpu: false, tfVersion: null, error: null, log: '', linkedTo: null, ...p,
    });
    const cases: Array<[string, 'native' | 'native-gpu', Partial<NativeProbe>, RegExp[], RegExp[]]> = [
      ['package absent', 'native-gpu', { dir: null, error: 'not installed' }, [/@tensorflow\/tfjs-node-gpu not installed/, /npm run native:link -- --gpu/], []],
      ['addon not built', 'native', { pkg: '@tensorflow/tfjs-node', error: 'addon not built' }, [/native addon is not built: run npm run native:link$/], []],
      ['stock addon, CUDA library absent at load', 'native-gpu',
        { error: 'libcudart.so.11.0: cannot open shared object file: No such file or directory' },
        [/^libcudart\.so\.11\.0 missing: tfjs-node-gpu 4\.22 needs CUDA 11\.2 \+ cuDNN 8\.1; or run npm run native:link -- --gpu against a CUDA 12 tensorflow wheel$/], []],
      ['loaded on the CPU, cuDNN absent', 'native-gpu',
        { loaded: true, tfVersion: '2.9.1', log: "2024-05-06 00:05:33.767399: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory" },
        [/loaded, but TensorFlow found no usable GPU: libcudnn\.so\.8 missing/], []],
      ['loaded on the CPU, libraries opened but no device', 'native-gpu',
        { loaded: true, tfVersion: '2.9.1', log: 'I tensorflow/stream_executor/platform/default/dso_loader.cc:53] Successfully opened dynamic library libcudart.so.11.0\nE tensorflow/stream_executor/cuda/cuda_driver.cc:271] failed call to cuInit: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected' },
        [/no NVIDIA driver or CUDA device found/], [/libcudart.*missing/]],
      ['linked wheel without its CUDA packages', 'native-gpu',
        { linkedTo: '/venv/lib/python3.11/site-packages/tensorflow', error: 'libcudart.so.12: cannot open shared object file: No such file or directory' },
        [/^libcudart\.so\.12 missing: the TensorFlow at \/venv\/.*tensorflow\[and-cuda\]/], []],
      ['linked TensorFlow uninstalled', 'native',
        { pkg: '@tensorflow/tfjs-node', linkedTo: '/venv/lib/python3.11/site-packages/tensorflow', error: 'libtensorflow_cc.so.2: cannot open shared object file: No such file or directory' },
        [/libtensorflow_cc\.so\.2 missing: the TensorFlow the addon was linked against \(\/venv\/.*\) is gone/, /npm run native:link -- --force/], []],
      ['C++ runtime too old', 'native',
        { pkg: '@tensorflow/tfjs-node', error: "/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.30' not found (required by tfjs_binding.node)" },
        [/GLIBCXX_3\.4\.30/, /native:link -- --force/], []],
    ];
    for (const [name, id, p, must, mustNot] of cases) {
      it(name, () => {
        const reason = nativeReason(id, probe(p));
        for (const re of must) expect(reason).toMatch(re);
        for (const re of mustNot) expect(reason).not.toMatch(re);
      });
    }
  });
});
