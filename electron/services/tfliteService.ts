/**
 * Runs an exported model.py's `--tflite MODE` in a child process (Python with TensorFlow: the
 * conversion is TensorFlow's own converter), so a converter that crashes or runs out of memory
 * takes down only that process, and turns every way it can fail into a message that names the fix.
 */
import { spawn } from 'node:child_process';
import type { TfliteMode } from '../../shared/codegen/keras/index.js';

/** The Python interpreter `--tflite` runs: LAYERLOOM_PYTHON, else python3 (python on Windows). */
export function defaultPython(): string {
  return process.env.LAYERLOOM_PYTHON || (process.platform === 'win32' ? 'python' : 'python3');
}

/** A conversion that failed, with a message for people. */
export class TfliteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TfliteError';
  }
}

/** The last lines of Python's stderr that say something (TensorFlow's log lines left out). */
function lastLines(stderr: string, count = 6): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/^[WIE]\d{4} /.test(l) && !/^WARNING: All log messages/.test(l));
  return lines.slice(-count).join('\n');
}

/**
 * Converts the model of the export in `folder` (model.py + weights) to TensorFlow Lite at `output`.
 * `data` is the dataset the int8 conversion calibrates on (absolute). Resolves with model.py's
 * report line; rejects with a {@link TfliteError}.
 */
export function runTfliteConversion(options: { folder: string; mode: TfliteMode; output: string; data: string | null; python?: string; signal?: AbortSignal }): Promise<string> {
  const python = options.python ?? defaultPython();
  const args = ['model.py', '--tflite', options.mode, '--tflite-output', options.output, ...(options.data ? ['--data', options.data] : [])];
  return new Promise((resolveRun, reject) => {
    const child = spawn(python, args, {
      cwd: options.folder,
      env: { ...process.env, KERAS_BACKEND: 'tensorflow', TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-16_000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-16_000)));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        reject(new TfliteError(`--tflite runs the exported model.py with Python and TensorFlow, but "${python}" was not found. Install Python 3 with TensorFlow (pip install -r requirements.txt in the export folder), or set LAYERLOOM_PYTHON to the Python that has it.`));
      } else if (e.name === 'AbortError') reject(new TfliteError('The TFLite conversion was cancelled.'));
      else reject(new TfliteError(`Cannot run ${python} for the TFLite conversion: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        const line = stdout.split('\n').filter((l) => l.startsWith('Wrote ')).pop();
        resolveRun(line ?? `Wrote ${options.output}`);
        return;
      }
      const missing = /No module named '(tensorflow|keras|numpy)/.exec(stderr);
      if (missing) {
        reject(new TfliteError(`--tflite needs Python TensorFlow, but ${python} cannot import ${missing[1]}. Install it (pip install -r requirements.txt in the export folder: keras, tensorflow, numpy), or set LAYERLOOM_PYTHON to the Python that has it.`));
        return;
      }
      const said = lastLines(stderr);
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      // model.py's own refusals (SystemExit with a message) are one line: pass them on as they are.
      if (code === 1 && said && !said.includes('Traceback') && said.split('\n').length === 1) reject(new TfliteError(said));
      else reject(new TfliteError(`TensorFlow's TFLite converter failed (${python} model.py --tflite ${options.mode} ${how})${said ? `:\n${said}` : '.'}`));
    });
  });
}
