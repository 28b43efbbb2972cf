/**
 * `layerloom train FILE --data DIR [--epochs N] [--batch-size N] [--out DIR] [--json] …`:
 * trains a project in the training worker, with a progress bar and ETA on a terminal, one line per
 * epoch otherwise, or every event as a JSON line with `--json`. Ctrl-C stops gracefully after the
 * current batch (the model so far is saved); a second Ctrl-C aborts.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { BACKEND_CHOICES, TRAINING_ENGINES, workersProblem, type BackendChoice, type TrainingEngine, type TrainingEvent } from '../../shared/training/protocol.js';
import { pickEngine, readProbe, resolvePython } from '../services/engineService.js';
import { currentProbeKey } from './doctor.js';
import { OPTIMIZERS, type OptimizerName, type TrainingSettings } from '../../shared/training/settings.js';
import { loadProjectFile, ProjectFileError } from '../services/projectService.js';
import { train } from '../services/trainingService.js';

const HELP = `Usage: layerloom train FILE [--data DIR|FILE.csv] [options]

Trains the project's graph on a dataset and saves the run (checkpoints, history, model,
evaluation) in runs/<timestamp>/ beside the project, or under --out.

Options:
  --data PATH          dataset folder (class sub-folders) or CSV file; default: the project's
  --target COLUMN      CSV: the column to predict (default: the project's, else the last column)
  --epochs N           number of epochs (default: the project's)
  --batch-size N       batch size
  --lr X               learning rate
  --optimizer NAME     ${OPTIMIZERS.join(', ')}
  --validation-split F fraction held out for validation (0 to < 1)
  --seed N             fixes the run's randomness (default: the project's seed): the
                       train/validation split, each epoch's shuffle order, image augmentation,
                       the initial weights (each block's from N and the block's id, the weights
                       \`layerloom export --seed N\` writes) and the dropout masks of every step.
                       The same project, data and N give the same losses epoch by epoch on the
                       cpu and wasm backends and on the native backend on the CPU; a GPU does
                       not promise bit-identical results.
  --out DIR            folder for run folders (default: <project folder>/runs)
  --resume RUN_DIR     continue a run from its last checkpoint
  --engine NAME        tfjs: TensorFlow.js, nothing to install; keras: the exported model.py
                       in Python Keras/TensorFlow (graph mode, faster; needs Python with
                       tensorflow>=2.16 and keras>=3); auto: the faster engine here, as
                       measured by \`layerloom doctor --probe\` (tfjs when never measured).
                       Default: the project's training.engine, else tfjs
  --workers N          Keras engine: train as N local workers of one multi-worker run
                       (tf.distribute MultiWorkerMirroredStrategy; N Python processes on free
                       127.0.0.1 ports, each with its TF_CONFIG; worker 0, the chief, reports
                       progress and writes the run; the global batch stays --batch-size).
                       Ctrl-C stops every worker after the same step. Default 1: one process.
  --python PATH        the Keras engine's Python interpreter (default: LAYERLOOM_PYTHON, else
                       the saved setting, see \`layerloom doctor --set-python\`, else python3)
  --mixed-precision    keras engine: Keras's mixed_float16 policy on a GPU (float16 compute,
                       float32 weights and outputs); on a machine without a GPU it says so and
                       trains in float32. The tfjs engine trains in float32 only.
  --backend NAME       tfjs engine: ${BACKEND_CHOICES.join(', ')} (default: auto, the best that loads)
  --thread             run the worker in a thread instead of a child process
  --json               print every event as one JSON line (for scripts)
  -h, --help           this text

Exit code: 0 when training completed or was stopped, 1 when it failed, 2 for bad arguments.`;

function fmtTime(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function fmtMetrics(m: Readonly<Record<string, number>>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(4) : String(v)}`)
    .join(' · ');
}

function bar(fraction: number, width = 24): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: expected an integer ≥ ${min}, got "${v}".`);
  return n;
}

class UsageError extends Error {}

const MIXED_PRECISION_TFJS = '--mixed-precision needs the Keras engine (--engine keras): the tfjs engine trains in float32 only.';

/** Runs `layerloom train`; returns the exit code. */
export async function runTrain(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        target: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
        'validation-split': { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'string' },
        backend: { type: 'string' },
        engine: { type: 'string' },
        python: { type: 'string' },
        workers: { type: 'string' },
        'mixed-precision': { type: 'boolean' },
        thread: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const file = positionals[0];
  if (!file) {
    console.error(HELP);
    return 2;
  }
  const overrides: { -readonly [K in keyof TrainingSettings]?: TrainingSettings[K] } = {};
  let backend: BackendChoice = 'auto';
  // Not given: the project's training settings choose (absent there: tfjs).
  let engineChoice: TrainingEngine | 'auto' | undefined;
  let workers = 1;
  try {
    if (values.engine !== undefined) {
      if (![...TRAINING_ENGINES, 'auto'].includes(values.engine)) throw new UsageError(`--engine: expected one of ${[...TRAINING_ENGINES, 'auto'].join(', ')}, got "${values.engine}".`);
      engineChoice = values.engine as TrainingEngine | 'auto';
    }
    const epochs = int('epochs', values.epochs, 1);
    const batch = int('batch-size', values['batch-size'], 1);
    const seed = int('seed', values.seed, Number.MIN_SAFE_INTEGER);
    if (epochs !== undefined) overrides.epochs = epochs;
    if (batch !== undefined) overrides.batchSize = batch;
    if (seed !== undefined) overrides.seed = seed;
    if (values.lr !== undefined) {
      const lr = Number(values.lr);
      if (!(lr > 0 && lr <= 10)) throw new UsageError(`--lr: expected a number > 0 and ≤ 10, got "${values.lr}".`);
      overrides.learningRate = lr;
    }
    if (values['validation-split'] !== undefined) {
      const f = Number(values['validation-split']);
      if (!(f >= 0 && f < 1)) throw new UsageError(`--validation-split: expected a number ≥ 0 and < 1, got "${values['validation-split']}".`);
      overrides.validationSplit = f;
    }
    if (values.optimizer !== undefined) {
      if (!(OPTIMIZERS as readonly string[]).includes(values.optimizer)) throw new UsageError(`--optimizer: expected one of ${OPTIMIZERS.join(', ')}, got "${values.optimizer}".`);
      overrides.optimizer = values.optimizer as OptimizerName;
    }
    if (values.workers !== undefined) {
      workers = values.workers.trim() === '' ? NaN : Number(values.workers);
      // The count here; the engine once the project's setting is known.
      const problem = workersProblem(workers, 'keras', values.workers);
      if (problem) throw new UsageError(problem);
    }
    if (values.backend !== undefined) {
      if (!(BACKEND_CHOICES as readonly string[]).includes(values.backend)) throw new UsageError(`--backend: expected one of ${BACKEND_CHOICES.join(', ')}, got "${values.backend}".`);
      backend = values.backend as BackendChoice;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }

  let doc;
  try {
    doc = (await loadProjectFile(file)).doc;
  } catch (e) {
    if (e instanceof ProjectFileError) {
      if (values.json) console.log(JSON.stringify({ kind: 'finished', status: 'failed', message: e.message, error: { code: 'graph', message: e.message } }));
      else console.error(e.message);
      return 1;
    }
    throw e;
  }
  if (!values.data && !doc.dataset) {
    console.error(`${file} has no dataset. Pass one with --data DIR (a folder of class sub-folders) or --data FILE.csv.`);
    return 2;
  }

  const json = values.json === true;
  const tty = !json && process.stdout.isTTY === true;
  let lineOpen = false;
  const out = (text: string) => {
    // A progress line still open is replaced by the message.
    if (lineOpen) process.stdout.write('\r\x1b[K');
    lineOpen = false;
    console.log(text);
  };
  let epochs = 0;
  let lastScan = 0;
  const onEvent = (e: TrainingEvent) => {
    if (json) {
      console.log(JSON.stringify(e));
      return;
    }
    switch (e.kind) {
      case 'log':
        if (e.progress) {
          if (tty) {
            const p = e.progress;
            process.stdout.write(`\r\x1b[KDataset: ${p.phase} ${p.done}${p.total ? `/${p.total}` : ''}${p.etaSeconds !== null ? ` · ETA ${fmtTime(p.etaSeconds)}` : ''}`);
            lineOpen = true;
          } else if (Date.now() - lastScan > 5000) {
            lastScan = Date.now();
            out(`Dataset: ${e.progress.phase} ${e.progress.done}${e.progress.total ? `/${e.progress.total}` : ''}`);
          }
        } else if (e.message) out(`${e.level === 'info' ? '' : `${e.level}: `}${e.message}`);
        break;
      case 'started':
        epochs = e.epochs;
        out(
          `Training "${doc.name}" on ${e.trainSamples} samples (${e.validationSamples} for validation), ${e.batchesPerEpoch} batches per epoch\n` +
            `${engine === 'keras' ? 'Engine' : 'Backend'}: ${e.backend}\nLoss: ${e.loss} — ${e.lossReason}\nRun folder: ${e.runDir}` +
            (e.startEpoch ? `\nResuming after epoch ${e.startEpoch}` : ''),
        );
        break;
      case 'batch':
        if (tty) {
          process.stdout.write(
            `\r\x1b[KEpoch ${e.epoch}/${epochs} ${bar(e.batch / e.batchesPerEpoch)} ${e.batch}/${e.batchesPerEpoch} · ${fmtMetrics(e.metrics)} · ${Math.round(e.samplesPerSecond)} samples/s · ETA ${fmtTime(e.etaSeconds)}`,
          );
          lineOpen = true;
        }
        break;
      case 'epoch':
        out(`Epoch ${e.epoch}/${e.epochs} · ${fmtMetrics(e.metrics)} · ${e.seconds.toFixed(1)} s · ${Math.round(e.samplesPerSecond)} samples/s${e.improved ? ' · best' : ''} · ETA ${fmtTime(e.etaSeconds)}`);
        break;
      case 'finished': {
        if (e.status === 'failed') {
          out(`Training failed${e.error ? ` (${e.error.code})` : ''}:\n${e.message ?? ''}`);
          break;
        }
        if (e.message) out(e.message);
        const ev = e.evaluation;
        if (ev?.task === 'classification') {
          out(`\nEvaluation on ${ev.samples} ${ev.split} samples: accuracy ${(ev.accuracy * 100).toFixed(2)}%, loss ${ev.loss.toFixed(4)}`);
          const w = Math.max(5, ...ev.perClass.map((c) => c.name.length));
          out(`${'class'.padEnd(w)}  precision  recall  support`);
          for (const c of ev.perClass) {
            const p = Number.isFinite(c.precision) ? c.precision.toFixed(3) : '  -  ';
            const r = Number.isFinite(c.recall) ? c.recall.toFixed(3) : '  -  ';
            out(`${c.name.padEnd(w)}  ${p.padStart(9)}  ${r.padStart(6)}  ${String(c.support).padStart(7)}`);
          }
        } else if (ev?.task === 'regression') {
          out(`\nEvaluation on ${ev.samples} ${ev.split} samples: MSE ${ev.meanSquaredError.toFixed(4)}, MAE ${ev.meanAbsoluteError.toFixed(4)}, R² ${ev.r2.toFixed(3)}`);
        }
        if (e.runDir) out(`Saved: ${e.runDir}`);
        break;
      }
    }
  };

  const python = await resolvePython(values.python);
  const chosen = engineChoice ?? doc.training?.engine ?? 'tfjs';
  // --workers needs the Keras engine by name or setting: "auto" might pick tfjs.
  const workersRefused = workersProblem(workers, chosen === 'keras' ? 'keras' : 'tfjs');
  if (workersRefused) {
    console.error(workersRefused);
    return 2;
  }
  // Likewise --mixed-precision, once the project's own engine setting is known.
  if (values['mixed-precision'] && chosen === 'tfjs') {
    console.error(MIXED_PRECISION_TFJS);
    return 2;
  }
  let engine: TrainingEngine = chosen === 'auto' ? 'tfjs' : chosen;
  if (chosen === 'auto') {
    const picked = pickEngine(await readProbe(await currentProbeKey(python)));
    engine = picked.engine;
    if (!json) out(`Engine: ${picked.reason}.`);
    if (values['mixed-precision'] && engine === 'tfjs') {
      console.error(`${MIXED_PRECISION_TFJS} --engine auto picked tfjs here (${picked.reason}).`);
      return 2;
    }
  }
  const handle = train(
    {
      doc,
      ...(engine === 'keras' ? { engine, python, workers } : {}),
      ...(values['mixed-precision'] ? { modelArgs: ['--mixed-precision'] } : {}),
      projectPath: resolve(file),
      ...(values.data ? { datasetPath: resolve(values.data) } : {}),
      ...(values.target ? { targetColumn: values.target } : {}),
      overrides,
      ...(values.out ? { runsDir: resolve(values.out) } : {}),
      ...(values.resume ? { resumeFrom: resolve(values.resume) } : {}),
      backend,
      mode: values.thread ? 'thread' : 'process',
      progressIntervalMs: tty ? 100 : json ? 250 : 1000,
    },
    onEvent,
  );
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      if (!json) out('Stopping after the current batch… (Ctrl-C again to abort)');
      handle.stop();
    } else handle.kill();
  };
  process.on('SIGINT', onSigint);
  const finished = await handle.done;
  process.off('SIGINT', onSigint);
  return finished.status === 'failed' ? 1 : 0;
}
