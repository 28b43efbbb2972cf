/**
 * `layerloom export --to keras --tflite dynamic|float16|int8`: model.tflite, written by the exported
 * model.py with TensorFlow's converter, runs in `tf.lite.Interpreter` and predicts as the Keras model
 * with the same weights. The mnist example is trained briefly (`layerloom train --epochs 2`) and
 * scored on its 800 validation images (the digits split model.py draws as Layerloom does); the text
 * example (Embedding + two LSTMs) converts with the batch fixed to 1 from seeded initial weights; int8
 * of a recurrent model is refused with a message, by the CLI before anything is written and by
 * model.py itself. All Python checks run in one process. Skipped, saying why, without Python
 * TensorFlow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, runPythonJson } from '../helpers/python.js';
import { lastPythonError } from '../helpers/pythonLog.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repo, 'bin/layerloom.js');

function whyNoTfLite(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import keras, numpy, tensorflow as tf; tf.lite.Interpreter'], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import keras + tensorflow (tf.lite): ${lastPythonError(r.stderr)}`;
  return null;
}
const skipReason = whyNoTfLite();
if (skipReason) console.log(`TFLite export check skipped: ${skipReason}. Install keras 3.15 and tensorflow-cpu 2.21 (see FACTS.md) to run it.`);

const root = mkdtempSync(join(tmpdir(), 'layerloom-tflite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const env = { ...process.env, LAYERLOOM_PYTHON: PYTHON };
const cli = (args: string[], extraEnv: Record<string, string> = {}) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 400_000, env: { ...env, ...extraEnv } });

/** A copy of an example project whose dataset is a bundled one (absolute path). */
function project(example: string, dataset: string): string {
  const doc = JSON.parse(readFileSync(join(repo, 'examples', `${example}.layerloom`), 'utf8')) as { dataset?: { path: string; kind: string } };
  doc.dataset = { path: join(repo, 'assets/datasets', dataset), kind: dataset === 'text' ? 'text' : 'images' };
  const path = join(root, `${example === 'mnist-cnn' ? 'mnist' : example}.layerloom`);
  writeFileSync(path, JSON.stringify(doc, null, 2));
  return path;
}

type Mode = 'dynamic' | 'float16' | 'int8';
const mnist = project('mnist-cnn', 'digits');
const text = project('text-lstm', 'text');
symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
const out = (name: string) => join(root, `export-${name}`);

interface ModeResult {
  readonly maxDiff: number;
  readonly accuracy: number;
  readonly argmaxChanged: number;
  readonly inputDtype: string;
  readonly inputShape: number[];
}
interface Checks {
  readonly samples: number;
  readonly kerasAccuracy: number;
  readonly mnist: Record<Mode, ModeResult>;
  readonly text: Record<'dynamic' | 'float16', ModeResult>;
  readonly textSamples: number;
  readonly refusal: string;
  readonly sizes: Record<Mode, number>;
}

/**
 * One Python process: the Keras model of each export (build_model + weights.npz) and each
 * model.tflite in tf.lite.Interpreter on the validation split model.py draws (read_images /
 * read_texts, VALIDATION_SPLIT, SEED); int8 inputs and outputs go through the tensors' own scale
 * and zero point. Then model.py's main() with --tflite int8 on the text export, which must refuse.
 */
const CHECK = String.raw`
import importlib.util, inspect, io, json, os, sys, contextlib
import numpy as np
import tensorflow as tf

def load(folder):
    spec = importlib.util.spec_from_file_location("model_" + os.path.basename(folder), os.path.join(folder, "model.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m

def run_tflite(path, x, batch1):
    it = tf.lite.Interpreter(model_path=path)
    inp, outp = it.get_input_details()[0], it.get_output_details()[0]
    def invoke(xs):
        if inp["dtype"] == np.int8:
            scale, zero = inp["quantization"]
            xs = np.clip(np.round(xs / scale + zero), -128, 127).astype(np.int8)
        it.set_tensor(inp["index"], xs.astype(inp["dtype"]))
        it.invoke()
        y = it.get_tensor(outp["index"])
        if outp["dtype"] == np.int8:
            scale, zero = outp["quantization"]
            y = (y.astype(np.float32) - zero) * scale
        return y
    if batch1:
        it.allocate_tensors()
        return np.concatenate([invoke(x[i:i + 1]) for i in range(len(x))]), inp
    it.resize_tensor_input(inp["index"], list(x.shape))
    it.allocate_tensors()
    return invoke(x), inp

def compare(folder, tflite_paths, read, batch1):
    m = load(folder)
    model = m.build_model()
    m.load_weights(model, os.path.join(folder, "weights.npz"))
    _, _, labels, x, _, val = read(m)
    x, y = x[val], np.asarray(labels)[val]
    ref = model.predict(x, batch_size=64, verbose=0)
    out = {}
    for mode, path in tflite_paths.items():
        p, inp = run_tflite(path, x, batch1)
        out[mode] = dict(
            maxDiff=float(np.abs(p - ref).max()),
            accuracy=float((p.argmax(1) == y).mean()),
            argmaxChanged=int((p.argmax(1) != ref.argmax(1)).sum()),
            inputDtype=np.dtype(inp["dtype"]).name,
            inputShape=[int(d) for d in inp["shape"]],
        )
    return out, float((ref.argmax(1) == y).mean()), len(y), m

def read(fn, path, m):
    # An export of a run's weights ships preprocessing.json, and its readers take it (None: fit here).
    saved = [None] if "saved" in inspect.signature(fn).parameters else []
    return fn(path, m.VALIDATION_SPLIT, *saved)

def convert_here(folder, mode, path):
    # The other modes through model.py's own export_tflite, in this process (TensorFlow loads once).
    m = load(folder)
    with contextlib.redirect_stdout(io.StringIO()):
        m.export_tflite(mode, None, os.path.join(folder, "weights.npz"), path)
    return path

args = json.loads(sys.argv[1])
mnist_dir, text_dir = args["mnist"], args["text"]
mnist, keras_acc, samples, _ = compare(
    mnist_dir,
    dict(
        int8=os.path.join(mnist_dir, "model.tflite"),
        dynamic=convert_here(mnist_dir, "dynamic", os.path.join(args["scratch"], "mnist-dynamic.tflite")),
        float16=convert_here(mnist_dir, "float16", os.path.join(args["scratch"], "mnist-float16.tflite")),
    ),
    lambda m: read(m.read_images, args["digits"], m), False)
text, _, text_samples, tm = compare(
    text_dir,
    dict(
        dynamic=os.path.join(text_dir, "model.tflite"),
        float16=convert_here(text_dir, "float16", os.path.join(args["scratch"], "text-float16.tflite")),
    ),
    lambda m: read(m.read_texts, args["texts"], m), True)
sizes = {mode: os.path.getsize(p) for mode, p in [("dynamic", os.path.join(args["scratch"], "mnist-dynamic.tflite")), ("float16", os.path.join(args["scratch"], "mnist-float16.tflite")), ("int8", os.path.join(mnist_dir, "model.tflite"))]}
sys.argv = ["model.py", "--tflite", "int8", "--data", args["texts"], "--tflite-output", os.path.join(text_dir, "int8.tflite")]
refusal = ""
try:
    with contextlib.redirect_stdout(io.StringIO()):
        tm.main()
except SystemExit as e:
    refusal = str(e.code)
print(json.dumps(dict(samples=samples, kerasAccuracy=keras_acc, mnist=mnist, text=text, textSamples=text_samples, refusal=refusal, sizes=sizes)))
`;

describe.skipIf(skipReason !== null)('layerloom export --to keras --tflite', () => {
  let checks: Checks;
  const stdout: Record<string, string> = {};

  beforeAll(() => {
    // One epoch is enough for the accuracy bound to mean something (the float model scores > 0.5).
    const trained = cli(['train', mnist, '--epochs', '1']);
    expect(trained.status, trained.stderr).toBe(0);
    // Through the CLI: int8 (it passes the dataset to calibrate on) and the text example's dynamic
    // (batch 1); the other modes through model.py's export_tflite in the check's Python process.
    const int8 = cli(['export', mnist, '--to', 'keras', '-o', out('mnist'), '--run', 'latest', '--tflite', 'int8']);
    expect(int8.status, int8.stderr).toBe(0);
    stdout.mnist = int8.stdout;
    const dynamic = cli(['export', text, '--to', 'keras', '-o', out('text'), '--seed', '7', '--tflite', 'dynamic']);
    expect(dynamic.status, dynamic.stderr).toBe(0);
    stdout.text = dynamic.stdout;
    checks = runPythonJson<Checks>(CHECK, [JSON.stringify({ mnist: out('mnist'), digits: join(repo, 'assets/datasets/digits'), text: out('text'), texts: join(repo, 'assets/datasets/text'), scratch: root })]);
  }, 900_000);

  it('writes model.tflite into the export, listed in its manifest, and says its size', () => {
    for (const [name, mode] of [['mnist', 'int8'], ['text', 'dynamic']] as const) {
      const folder = out(name);
      const manifest = JSON.parse(readFileSync(join(folder, 'layerloom-export.json'), 'utf8')) as { files: { path: string; size: number }[] };
      const entry = manifest.files.find((f) => f.path === 'model.tflite');
      expect(entry?.size).toBe(readFileSync(join(folder, 'model.tflite')).byteLength);
      expect(stdout[name]).toMatch(new RegExp(`TFLite ${mode}: model\\.tflite [\\d.]+ [KM]B \\(float32 weights [\\d.]+ [KM]B\\)`));
      expect(readFileSync(join(folder, 'README.md'), 'utf8')).toContain(`\`--tflite ${mode}\``);
    }
    expect(stdout.mnist).toContain('(float32 weights 364.54 KB)');
    // int8 and dynamic store the kernels in a byte each, float16 in two (93,322 weights), plus the graph.
    expect(checks.sizes.dynamic).toBeLessThan(93_322 * 1.3);
    expect(checks.sizes.int8).toBeLessThan(93_322 * 1.3);
    expect(checks.sizes.float16).toBeLessThan(93_322 * 2.3);
    expect(checks.sizes.float16).toBeGreaterThan(93_322 * 2);
  });

  /**
   * Tolerances on softmax outputs of the 800 validation images. float16 weights keep 11
   * significant bits: outputs move by well under 1e-2. Dynamic range stores each kernel in int8
   * with one scale per output channel (≈ 0.4% of its range) and quantizes activations on the fly:
   * a few hundredths. Both catch a wrong weight order or a missing weight file (outputs move by
   * whole units then), and few images may change class.
   */
  it('dynamic and float16 predict the mnist validation images as the Keras model', () => {
    expect(checks.samples).toBe(800);
    expect(checks.mnist.float16.maxDiff).toBeLessThanOrEqual(1e-2);
    expect(checks.mnist.dynamic.maxDiff).toBeLessThanOrEqual(0.05);
    expect(checks.mnist.float16.argmaxChanged).toBeLessThanOrEqual(2);
    expect(checks.mnist.dynamic.argmaxChanged).toBeLessThanOrEqual(8);
    expect(checks.mnist.dynamic.inputDtype).toBe('float32');
  });

  it('int8 is full-integer and keeps the validation accuracy within 2 points of the float model', () => {
    expect(checks.mnist.int8.inputDtype).toBe('int8');
    expect(checks.kerasAccuracy).toBeGreaterThan(0.5); // trained, so the bound means something
    expect(checks.kerasAccuracy - checks.mnist.int8.accuracy).toBeLessThanOrEqual(0.02);
  });

  it('the text example (Embedding + LSTM) converts with the batch fixed to 1 and predicts as Keras', () => {
    expect(checks.textSamples).toBeGreaterThan(10);
    for (const mode of ['dynamic', 'float16'] as const) {
      expect(checks.text[mode].inputShape).toEqual([1, 100]);
      expect(checks.text[mode].inputDtype).toBe('int32');
    }
    expect(checks.text.float16.maxDiff).toBeLessThanOrEqual(1e-3);
    expect(checks.text.dynamic.maxDiff).toBeLessThanOrEqual(1e-2);
  });

  it('int8 of a recurrent model is refused with a message: by the CLI before writing, and by model.py', () => {
    const message = "TFLite int8 is not available for models with recurrent layers (lstm, lstm_1): TensorFlow's converter crashes on their full-integer quantization. Use --tflite dynamic or float16";
    const r = cli(['export', text, '--to', 'keras', '-o', out('text-int8'), '--seed', '7', '--tflite', 'int8']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(existsSync(out('text-int8'))).toBe(false);
    expect(checks.refusal).toContain(message);
    expect(existsSync(join(out('text'), 'int8.tflite'))).toBe(false);
  });
});

describe('--tflite without Python TensorFlow, and its arguments', () => {
  it('says what to install when the Python is missing or lacks TensorFlow, and writes nothing', () => {
    const missing = cli(['export', mnist, '--to', 'keras', '-o', out('no-python'), '--seed', '1', '--tflite', 'dynamic'], { LAYERLOOM_PYTHON: join(root, 'no-such-python') });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('was not found. Install Python 3 with TensorFlow');
    expect(readdirSync(out('no-python')).filter((f) => !f.startsWith('.'))).toEqual([]);
    // A Python without site-packages: keras, tensorflow and numpy cannot be imported.
    const bare = join(root, 'bare-python');
    writeFileSync(bare, `#!/bin/sh\nexec ${PYTHON} -I -S "$@"\n`);
    chmodSync(bare, 0o755);
    const r = cli(['export', mnist, '--to', 'keras', '-o', out('bare'), '--seed', '1', '--tflite', 'float16'], { LAYERLOOM_PYTHON: bare });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--tflite needs Python TensorFlow, but .*bare-python cannot import (keras|numpy|tensorflow)\. Install it/);
  });

  it('refuses an unknown mode and other targets', () => {
    const bad = cli(['export', mnist, '--to', 'keras', '-o', out('bad'), '--tflite', 'int4']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--tflite must be dynamic, float16 or int8, not "int4"');
    const ts = cli(['export', mnist, '--to', 'ts', '-o', out('bad'), '--tflite', 'dynamic']);
    expect(ts.status).toBe(2);
    expect(ts.stderr).toContain('--tflite applies to --to keras');
  });
});
