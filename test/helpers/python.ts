/**
 * Running real Python Keras from a test: whether it is there (and why not), and a script run that
 * returns the JSON object printed on its last stdout line.
 */
import { spawnSync } from 'node:child_process';
import { lastPythonError, pythonStderr } from './pythonLog.js';

/** The Python interpreter the tests use (PYTHON overrides). */
export const PYTHON = process.env.PYTHON ?? 'python3';

const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', KERAS_BACKEND: 'tensorflow' };

/** Why real Keras cannot be used here, or null when `import keras` works. */
export function whyNoKeras(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import keras, numpy'], { encoding: 'utf8', timeout: 180_000, env });
  if (r.error) return `${PYTHON} cannot be run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import keras: ${lastPythonError(r.stderr)}`;
  return null;
}

/** Runs Python code (with `args` as sys.argv[1:]) and parses the JSON of its last stdout line. */
export function runPythonJson<T>(code: string, args: readonly string[] = [], cwd?: string): T {
  const r = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 << 20, env, ...(cwd ? { cwd } : {}) });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`Python failed (exit ${r.status}):\n${pythonStderr(r.stderr).slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return JSON.parse(last) as T;
}
