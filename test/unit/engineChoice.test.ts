/**
 * Choosing the training engine: the interpreter setting, `--engine auto` from the probe cache, and
 * the CLI's engine options reaching the engine (through the real `layerloom` command).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pickEngine, resolvePython, savePythonSetting, type EngineProbe } from '../../electron/services/engineService.js';

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
  });
});
