/**
 * Choosing the training engine: the interpreter setting, `--engine auto` from the probe cache, and
 * the CLI's engine options reaching the engine (through the real `layerloom` command).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pickEngine, resolvePython, savePythonSetting, setPythonInterpreter, type EngineProbe } from '../../electron/services/engineService.js';
import { validateArgs } from '../../shared/api/validation.js';
import { PYTHON, whyNoKeras } from '../helpers/python.js';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';
import { kerasEngineLabel, runEngineLabel } from '../../shared/training/kerasVersions.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'layerloom-engine-choice-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const probe = (rates: EngineProbe['samplesPerSecond'], problems: EngineProbe['problems'] = {}): EngineProbe => ({ key: 'k', at: '2026-12-06T00:00:00Z', samplesPerSecond: rates, problems });

describe('engine choice', () => {
  it('auto picks the faster measured engine, and tfjs when nothing was measured or Keras cannot run', () => {
    expect(pickEngine(probe({ tfjs: 1212, keras: 3900 })).engine).toBe('keras');
    expect(pickEngine(probe({ tfjs: 1500, keras: 900 })).engine).toBe('tfjs');
    expect(pickEngine(null)).toEqual({ engine: 'tfjs', reason: expect.stringContaining('layerloom doctor --probe') });
    expect(pickEngine(probe({ tfjs: 1212 }, { keras: 'TensorFlow or Keras is missing' })).reason).toContain('TensorFlow or Keras is missing');
  });

  it('the interpreter: named, else LAYERLOOM_PYTHON, else the saved setting, else python3', async () => {
    const dir = join(work, 'settings');
    const env = process.env.LAYERLOOM_PYTHON;
    delete process.env.LAYERLOOM_PYTHON;
    try {
      expect(await resolvePython(undefined, dir)).toBe(process.platform === 'win32' ? 'python' : 'python3');
      await savePythonSetting('/opt/py/bin/python3', dir);
      expect(await resolvePython(undefined, dir)).toBe('/opt/py/bin/python3');
      expect(await resolvePython('/named/python', dir)).toBe('/named/python');
      process.env.LAYERLOOM_PYTHON = '/env/python';
      expect(await resolvePython(undefined, dir)).toBe('/env/python');
      delete process.env.LAYERLOOM_PYTHON;
      await savePythonSetting('', dir);
      expect(await resolvePython(undefined, dir)).toBe(process.platform === 'win32' ? 'python' : 'python3');
    } finally {
      if (env !== undefined) process.env.LAYERLOOM_PYTHON = env;
    }
  });

  it('layerloom train --engine refuses an unknown engine and passes --python to the Keras engine', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/layerloom.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LAYERLOOM_SETTINGS_DIR: join(work, 'cli') } });
    const bad = cli('train', 'examples/mlp.layerloom', '--engine', 'pytorch');
    expect([bad.status, bad.stderr.trim()]).toEqual([2, '--engine: expected one of tfjs, keras, auto, got "pytorch".']);
    const missing = join(work, 'no-python');
    const r = cli('train', 'examples/mlp.layerloom', '--data', 'assets/datasets/iris.csv', '--engine', 'keras', '--python', missing, '--out', join(work, 'runs'), '--json');
    expect(r.status).toBe(1);
    const finished = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { status: string; error?: { code: string }; message: string };
    expect([finished.status, finished.error?.code]).toEqual(['failed', 'backend']);
    expect(finished.message).toContain(`"${missing}" cannot be started`);
  }, 180_000);

  it('layerloom train without --engine trains on the engine the project names (training.engine)', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/layerloom.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LAYERLOOM_SETTINGS_DIR: join(work, 'cli') } });
    const missing = join(work, 'no-python');
    const project = JSON.parse(readFileSync(join(root, 'examples/mlp.layerloom'), 'utf8')) as { training: Record<string, unknown> };
    const file = join(work, 'keras-project.layerloom');
    writeFileSync(file, JSON.stringify({ ...project, training: { ...project.training, engine: 'keras' } }));
    const own = cli('train', file, '--data', 'assets/datasets/iris.csv', '--python', missing, '--out', join(work, 'runs'), '--json');
    // The Keras engine was asked for: it names the interpreter it could not start.
    expect(JSON.parse(own.stdout.trim().split('\n').pop() ?? '{}')).toMatchObject({ status: 'failed', error: { code: 'backend' }, message: expect.stringContaining(`"${missing}" cannot be started`) });
  }, 120_000);

  it('a project stores its engine in its training settings (absent: tfjs), and a bad one is refused', () => {
    const project = JSON.parse(readFileSync(join(root, 'examples/mlp.layerloom'), 'utf8')) as { training: Record<string, unknown> };
    const read = (engine: unknown) => parseProject(JSON.stringify({ ...project, training: { ...project.training, engine } }));
    const keras = read('keras');
    expect(keras.ok && keras.doc.training?.engine).toBe('keras');
    expect(keras.ok && JSON.parse(serializeProject(keras.doc)).training.engine).toBe('keras');
    const none = parseProject(JSON.stringify(project));
    expect(none.ok && none.doc.training && 'engine' in none.doc.training).toBe(false);
    expect(read('pytorch')).toMatchObject({ ok: false, errors: [expect.stringContaining('training.engine: expected one of "tfjs", "keras"')] });
  });

  it('layerloom train --mixed-precision: the tfjs engine refuses it; the Keras engine passes it to model.py', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/layerloom.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LAYERLOOM_SETTINGS_DIR: join(work, 'mixed') } });
    const tfjs = cli('train', 'examples/mlp.layerloom', '--mixed-precision');
    expect([tfjs.status, tfjs.stderr.trim()]).toEqual([2, '--mixed-precision needs the Keras engine (--engine keras): the tfjs engine trains in float32 only.']);
    // auto with nothing measured picks tfjs, so it refuses too, and says why.
    const auto = cli('train', 'examples/mlp.layerloom', '--data', 'assets/datasets/iris.csv', '--engine', 'auto', '--mixed-precision');
    expect(auto.status).toBe(2);
    expect(auto.stderr).toMatch(/^--mixed-precision needs the Keras engine .* --engine auto picked tfjs here \(.*layerloom doctor --probe/s);
    // The Keras engine writes model.py's command line before it starts Python (missing here).
    const runs = join(work, 'mixed-runs');
    const keras = cli('train', 'examples/mlp.layerloom', '--data', 'assets/datasets/iris.csv', '--engine', 'keras', '--python', join(work, 'no-python'), '--mixed-precision', '--out', runs, '--json');
    expect(keras.status).toBe(1);
    const [run] = readdirSync(runs);
    const driver = JSON.parse(readFileSync(join(runs, run, 'keras', 'driver.json'), 'utf8')) as { argv: string[] };
    expect(driver.argv.slice(-1)).toEqual(['--mixed-precision']);
  }, 180_000);
});

describe('engine labels (status bar, runs list)', () => {
  it('names the Keras engine with its TensorFlow version and device', () => {
    const v = { python: '3.11.2', tensorflow: '2.21.0', keras: '3.15.0' };
    expect(kerasEngineLabel({ ...v, devices: ['/device:CPU:0 (CPU)'] })).toBe('Keras · TF 2.21 · CPU');
    expect(kerasEngineLabel({ ...v, devices: ['/device:CPU:0 (CPU)', '/device:GPU:0 (GPU)'] })).toBe('Keras · TF 2.21 · GPU');
    expect(kerasEngineLabel({ ...v, devices: ['/device:CPU:0 (CPU)', '/device:GPU:0 (GPU)', '/device:GPU:1 (GPU)'] })).toBe('Keras · TF 2.21 · 2 GPUs');
    expect(kerasEngineLabel({ ...v, tensorflow: '2.16.0rc0' })).toBe('Keras · TF 2.16 · CPU');
  });

  it('labels each run with its engine and device', () => {
    expect(runEngineLabel({ engine: 'keras', backend: 'Keras 3.15.0 / TensorFlow 2.21.0 (Python 3.11.2) on CPU:0', engineLabel: 'Keras · TF 2.21 · CPU' })).toBe('Keras · TF 2.21 · CPU');
    // Runs from before the label was recorded.
    expect(runEngineLabel({ engine: 'keras', backend: 'Keras 3.15.0 / TensorFlow 2.21.0 (Python 3.11.2) on GPU:0' })).toBe('Keras · GPU');
    expect(runEngineLabel({ backend: 'tensorflow (native, TF 2.21.0) on CPU: Intel Xeon (2 cores, 23.4 GiB)' })).toBe('tfjs · CPU');
    expect(runEngineLabel({ engine: 'tfjs', backend: 'wasm on CPU' })).toBe('tfjs · CPU');
  });
});

const noKeras = whyNoKeras();
/** The interpreter as an absolute path (the app's setting takes only those). */
const PYTHON_PATH = spawnSync(PYTHON, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

describe('the interpreter setting in the app (getPythonInterpreter, setPythonInterpreter)', () => {
  it('checks an interpreter as doctor does before saving it, and saves nothing when it cannot run the engine', async () => {
    const dir = join(work, 'app-setting');
    const env = process.env.LAYERLOOM_PYTHON;
    delete process.env.LAYERLOOM_PYTHON;
    try {
      const missing = join(work, 'no-such-python');
      await expect(setPythonInterpreter(missing, dir)).rejects.toThrow(`"${missing}" cannot be started`);
      expect(existsSync(join(dir, 'settings.json'))).toBe(false);
      // The IPC argument: an absolute path, or "" to remove the setting.
      expect(validateArgs('setPythonInterpreter', ['bin/python3'])).toMatchObject({ ok: false, errors: [expect.stringContaining('path must be absolute')] });
      expect(validateArgs('setPythonInterpreter', [''])).toMatchObject({ ok: true });
      if (noKeras !== null) return;
      const status = await setPythonInterpreter(PYTHON_PATH, dir);
      expect(status).toMatchObject({ python: PYTHON_PATH, source: 'setting', saved: PYTHON_PATH, problem: null });
      expect(status.description).toMatch(/^Keras 3\.\d+\.\d+ \/ TensorFlow 2\.\d+\.\d+ \(Python 3\.\d+\.\d+\) on CPU/);
      expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toEqual({ python: PYTHON_PATH });
    } finally {
      if (env !== undefined) process.env.LAYERLOOM_PYTHON = env;
    }
  }, 120_000);
});
