/**
 * Training engines on this machine: the Python interpreter setting of the Keras engine, the probe
 * that measures each engine's training speed, and its cache (per machine and versions), which
 * `--engine auto` reads to pick the faster engine.
 *
 * Files (in `~/.layerloom/`, or the folder given): `settings.json` (`{"python": "/usr/bin/python3"}`:
 * an app started from a desktop launcher may not see the shell's PATH) and `engine-probe.json`.
 */
import { mkdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import { cpus, homedir, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectDocument } from '../../shared/graph/document.js';
import type { PythonInterpreterStatus } from '../../shared/api/types.js';
import { kerasVersionProblem, type KerasVersions } from '../../shared/training/kerasVersions.js';
import type { TrainingEngine } from '../../shared/training/protocol.js';
import { writeJson } from './runsService.js';
import { defaultPython } from './tfliteService.js';
import { train } from './trainingService.js';
import { describeKeras, probeKeras } from './training/keras/engine.js';

/** Where the settings and the probe cache live. */
export function engineSettingsDir(): string {
  return process.env.LAYERLOOM_SETTINGS_DIR || join(homedir(), '.layerloom');
}

async function readJsonOr<T>(path: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/**
 * The Python interpreter the Keras engine runs: the one named (`--python`), else
 * `LAYERLOOM_PYTHON`, else the saved setting, else python3 (python on Windows).
 */
export async function resolvePython(named?: string, dir = engineSettingsDir()): Promise<string> {
  if (named) return named;
  if (process.env.LAYERLOOM_PYTHON) return process.env.LAYERLOOM_PYTHON;
  const settings = await readJsonOr<{ python?: unknown }>(join(dir, 'settings.json'), {});
  return typeof settings.python === 'string' && settings.python ? settings.python : defaultPython();
}

/**
 * Checks that `python` can run the Keras engine (it starts, and has TensorFlow ≥ 2.16 and Keras ≥ 3)
 * and returns what it has; throws an Error whose message says what is wrong and how to fix it.
 * What `layerloom doctor --set-python` and the app's interpreter setting check before saving.
 */
export async function checkPythonInterpreter(python: string): Promise<KerasVersions> {
  const found = await probeKeras(python);
  const problem = kerasVersionProblem(found);
  if (problem) throw new Error(`${problem} (Python interpreter "${python}"). Install them there with \`${python} -m pip install "tensorflow>=2.16" "keras>=3"\`, or choose another interpreter.`);
  return found;
}

/** The Keras engine's interpreter, where it comes from, and what it has (the app's setting shows it). */
export async function pythonInterpreterStatus(dir = engineSettingsDir(), checked?: { python: string; versions: KerasVersions }): Promise<PythonInterpreterStatus> {
  const settings = await readJsonOr<{ python?: unknown }>(join(dir, 'settings.json'), {});
  const saved = typeof settings.python === 'string' && settings.python ? settings.python : null;
  const source = process.env.LAYERLOOM_PYTHON ? 'environment' : saved ? 'setting' : 'default';
  const python = await resolvePython(undefined, dir);
  try {
    // An interpreter just checked is not started again.
    const versions = checked?.python === python ? checked.versions : await checkPythonInterpreter(python);
    return { python, source, saved, versions, description: describeKeras(versions), problem: null };
  } catch (e) {
    return { python, source, saved, versions: null, description: null, problem: (e as Error).message };
  }
}

/**
 * Saves `python` as the Keras engine's interpreter once it passes {@link checkPythonInterpreter}
 * (nothing is saved otherwise: the error says why); an empty string removes the setting.
 */
export async function setPythonInterpreter(python: string, dir = engineSettingsDir()): Promise<PythonInterpreterStatus> {
  const versions = python ? await checkPythonInterpreter(python) : null;
  await savePythonSetting(python, dir);
  return pythonInterpreterStatus(dir, versions ? { python, versions } : undefined);
}

/** Saves the Python interpreter setting (an empty string removes it). */
export async function savePythonSetting(python: string, dir = engineSettingsDir()): Promise<void> {
  const path = join(dir, 'settings.json');
  const settings = await readJsonOr<Record<string, unknown>>(path, {});
  if (python) settings.python = python;
  else delete settings.python;
  await mkdir(dir, { recursive: true });
  await writeJson(path, settings);
}

/** What a probe measured, and on what. */
export interface EngineProbe {
  /** Machine and versions the figures hold for. */
  readonly key: string;
  readonly at: string;
  /** Training samples/s of each engine that ran (after its warm-up epoch); absent: it could not run. */
  readonly samplesPerSecond: Partial<Record<TrainingEngine, number>>;
  /** Why an engine could not be measured. */
  readonly problems: Partial<Record<TrainingEngine, string>>;
}

/** The key of a probe: machine, CPU, and the versions of both engines' TensorFlow. */
export function probeKey(tfjsVersion: string, keras: Pick<KerasVersions, 'tensorflow' | 'keras'> | null): string {
  return [hostname(), cpus()[0]?.model ?? 'cpu', `tfjs-tf ${tfjsVersion}`, keras ? `keras ${keras.keras} tf ${keras.tensorflow}` : 'no keras'].join(' | ');
}

/** The cached probe for `key`, or null. */
export async function readProbe(key: string, dir = engineSettingsDir()): Promise<EngineProbe | null> {
  const cache = await readJsonOr<Record<string, EngineProbe>>(join(dir, 'engine-probe.json'), {});
  return cache[key] ?? null;
}

async function writeProbe(probe: EngineProbe, dir: string): Promise<void> {
  const path = join(dir, 'engine-probe.json');
  const cache = await readJsonOr<Record<string, EngineProbe>>(path, {});
  await mkdir(dir, { recursive: true });
  await writeJson(path, { ...cache, [probe.key]: probe });
}

/**
 * `--engine auto`: the engine the probe found faster here, or tfjs (with the reason) when there is
 * no probe for this machine and these versions.
 */
export function pickEngine(probe: EngineProbe | null): { engine: TrainingEngine; reason: string } {
  const tfjs = probe?.samplesPerSecond.tfjs;
  const keras = probe?.samplesPerSecond.keras;
  if (!probe) return { engine: 'tfjs', reason: 'no engine probe for this machine and these versions (run `layerloom doctor --probe`): training on tfjs' };
  if (keras === undefined) return { engine: 'tfjs', reason: `the Keras engine cannot run here (${probe.problems.keras ?? 'not measured'}): training on tfjs` };
  if (tfjs === undefined || keras > tfjs) return { engine: 'keras', reason: `the probe measured Keras ${Math.round(keras)} samples/s${tfjs !== undefined ? ` against tfjs ${Math.round(tfjs)}` : ''}: training on Keras` };
  return { engine: 'tfjs', reason: `the probe measured tfjs ${Math.round(tfjs)} samples/s against Keras ${Math.round(keras)}: training on tfjs` };
}

/**
 * Measures each engine: trains `doc` on `datasetPath` for two epochs through the real engines and
 * takes the second epoch's samples/s (the first warms up), then caches the figures under `key`.
 */
export async function measureEngines(options: { readonly key: string; readonly doc: ProjectDocument; readonly datasetPath: string; readonly python: string; readonly batchSize?: number; readonly dir?: string }): Promise<EngineProbe> {
  const work = await mkdtemp(join(tmpdir(), 'layerloom-probe-'));
  const samplesPerSecond: Partial<Record<TrainingEngine, number>> = {};
  const problems: Partial<Record<TrainingEngine, string>> = {};
  try {
    for (const engine of ['tfjs', 'keras'] as const) {
      let rate: number | undefined;
      const handle = train(
        { doc: options.doc, projectPath: null, datasetPath: options.datasetPath, runsDir: join(work, engine), engine, python: options.python, overrides: { epochs: 2, batchSize: options.batchSize ?? 32, validationSplit: 0 } },
        (e) => {
          if (e.kind === 'epoch' && e.epoch === 2) rate = e.samplesPerSecond;
        },
      );
      const finished = await handle.done;
      if (finished.status === 'completed' && rate !== undefined) samplesPerSecond[engine] = rate;
      else problems[engine] = finished.message ?? finished.status;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const probe: EngineProbe = { key: options.key, at: new Date().toISOString(), samplesPerSecond, problems };
  await writeProbe(probe, options.dir ?? engineSettingsDir());
  return probe;
}
